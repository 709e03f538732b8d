// Prompt styles: a named prompt/negative pair added to what is sent. A few are built in
// (their names are translated); the user's own live in localStorage with the chosen ones.

import { t } from "./i18n.js";
import { readList, writeList } from "./saved-list.js";

const STORAGE_KEY = "studio.styles";
const SELECTED_KEY = "studio.styles.selected";

// "{prompt}" marks where the user's prompt goes; without it the style's text is appended.
const BUILT_IN = [
  { id: "builtin:cinematic", prompt: "cinematic still, dramatic lighting, shallow depth of field, film grain", negative: "cartoon, flat lighting" },
  { id: "builtin:photo", prompt: "professional photograph, natural light, sharp focus, 35mm", negative: "illustration, painting, cgi" },
  { id: "builtin:anime", prompt: "anime style, clean line art, vibrant colours", negative: "photo, realistic" },
  { id: "builtin:watercolor", prompt: "watercolour painting, soft washes, paper texture", negative: "photo, harsh edges" },
];

function ownStyles() {
  return readList(STORAGE_KEY).filter((s) => s && typeof s.id === "string" && typeof s.name === "string");
}

/** Every style, built-in first: {id, name, prompt, negative, builtIn}. */
export function allStyles() {
  const builtIn = BUILT_IN.map((s) => ({ ...s, name: t(`styles.${s.id.slice(8)}`), builtIn: true }));
  return [...builtIn, ...ownStyles().map((s) => ({ ...s, builtIn: false }))];
}

/** Save a new style of the user's; returns it. */
export function addStyle({ name, prompt, negative }) {
  const style = { id: `own:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, name: name.trim(), prompt: prompt.trim(), negative: negative.trim() };
  writeList(STORAGE_KEY, [...ownStyles(), style]);
  return style;
}

/** Delete one of the user's styles (built-in ones cannot be deleted). */
export function deleteStyle(id) {
  writeList(STORAGE_KEY, ownStyles().filter((s) => s.id !== id));
  selectStyles(selectedStyleIds().filter((x) => x !== id));
}

/** The ids of the styles switched on, in the order they were chosen. */
export function selectedStyleIds() {
  const known = new Set(allStyles().map((s) => s.id));
  return readList(SELECTED_KEY).filter((id) => known.has(id));
}

/** Remember which styles are switched on. */
export function selectStyles(ids) {
  writeList(SELECTED_KEY, ids);
}

/** The prompt and negative prompt with the chosen styles applied, in order. */
export function styledText(prompt, negative, ids) {
  const chosen = ids.map((id) => allStyles().find((s) => s.id === id)).filter(Boolean);
  let text = prompt;
  const negatives = negative ? [negative] : [];
  for (const style of chosen) {
    if (style.prompt.includes("{prompt}")) text = style.prompt.replaceAll("{prompt}", text);
    else if (style.prompt) text = text ? `${text}, ${style.prompt}` : style.prompt;
    if (style.negative) negatives.push(style.negative);
  }
  return { prompt: text, negative: negatives.join(", ") };
}
