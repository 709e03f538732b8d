// Toast messages in an aria-live region; errors stay longer than confirmations. At most three
// are on screen (a new one pushes out the oldest), and an error toast goes as soon as the next
// write succeeds (main.js): a stale "rate limited" must not sit over a working page.

import { element, html } from "../lib/html.js";
import { errorText } from "../lib/error-text.js";
import { icon } from "../lib/icons.js";

const MAX_TOASTS = 3;
let region = null;

/** Create the toast region once (called by main.js). */
export function mountToasts(parent) {
  region = element(html`<div class="toasts" role="status" aria-live="polite" data-testid="toasts"></div>`);
  parent.append(region);
}

/** Show a short message; kind is "info", "success" or "error". */
export function toast(message, kind = "info") {
  if (!region) return;
  const name = kind === "error" ? "alert" : kind === "success" ? "check" : "sparkles";
  const node = element(html`<div class="toast toast-${kind}" data-testid="toast" data-kind="${kind}">
    ${icon(name, { size: 18 })}<span>${message}</span>
    <button type="button" class="icon-btn small" aria-label="×">${icon("close", { size: 16 })}</button>
  </div>`);
  const remove = () => node.remove();
  node.querySelector("button").addEventListener("click", remove);
  region.append(node);
  while (region.children.length > MAX_TOASTS) region.firstElementChild.remove();
  setTimeout(remove, kind === "error" ? 8000 : 4000);
}

/** Close every error toast (the action they were about has since succeeded). */
export function clearErrorToasts() {
  if (region) for (const node of region.querySelectorAll("[data-kind=error]")) node.remove();
}

/** Show an API error in words a person can act on, in the page's language. */
export function toastError(err) {
  toast(errorText(err), "error");
}
