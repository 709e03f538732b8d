// Escaping templates: every interpolated value is escaped unless it is already SafeHtml.
// This is the only place markup is produced from strings, so user text can never become markup,
// and the place bidi control characters are removed, so user text cannot reorder what is shown.

export class SafeHtml {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

// Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): a prompt or file name
// with them can display reversed or reordered text ("Trojan Source"). Natural RTL text keeps
// working without them; the marks U+200E/U+200F cannot override and are kept.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Remove bidi embedding/override/isolate controls from text that came from users or the server. */
export function stripBidi(value) {
  return String(value).replace(BIDI_CONTROLS, "");
}

/** Escape text for HTML element content and quoted attribute values (bidi controls removed). */
export function escapeHtml(value) {
  return stripBidi(value).replace(/[&<>"'`]/g, (ch) => ESCAPES[ch]);
}

/** Set an element's text from user or server text (the textContent twin of escapeHtml). */
export function setText(node, value) {
  node.textContent = stripBidi(value ?? "");
}

/** Allow only same-origin paths, http(s), blob: and raster data: URLs in src/href. */
export function safeUrl(value) {
  const url = String(value ?? "").trim();
  if (url === "") return "";
  if (/^(https?:|blob:|data:image\/(png|jpe?g|webp|gif);)/i.test(url)) return url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return "#"; // javascript:, vbscript:, anything else
  return url;
}

const URL_ATTR = /\s(?:src|href|action|formaction|poster)\s*=\s*["']?$/i;

function convert(value, urlContext) {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map((v) => convert(v, false)).join("");
  return escapeHtml(urlContext ? safeUrl(value) : value);
}

/** Tagged template: html`<p>${userText}</p>` escapes userText; nested html`` stays markup. */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i += 1) {
    out += convert(values[i], URL_ATTR.test(strings[i])) + strings[i + 1];
  }
  return new SafeHtml(out);
}

/** Mark a trusted constant (never user input) as markup, e.g. vendored SVG icons. */
export function unsafeRaw(text) {
  return new SafeHtml(String(text));
}

/** Replace the children of target with the template's nodes. */
export function render(target, template) {
  if (!(template instanceof SafeHtml)) throw new TypeError("render() needs an html`` template");
  const tpl = document.createElement("template");
  tpl.innerHTML = template.text; // safe: every dynamic part went through escapeHtml above
  target.replaceChildren(tpl.content);
  return target;
}

/** Build one element from a template (the template must have a single root element). */
export function element(template) {
  const tpl = document.createElement("template");
  render(tpl.content, template);
  return tpl.content.firstElementChild;
}
