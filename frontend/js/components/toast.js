// Toast messages in an aria-live region; errors stay longer than confirmations.

import { element, html } from "../lib/html.js";
import { icon } from "../lib/icons.js";

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
  const node = element(html`<div class="toast toast-${kind}" data-testid="toast">
    ${icon(name, { size: 18 })}<span>${message}</span>
    <button type="button" class="icon-btn small" aria-label="×">${icon("close", { size: 16 })}</button>
  </div>`);
  const remove = () => node.remove();
  node.querySelector("button").addEventListener("click", remove);
  region.append(node);
  setTimeout(remove, kind === "error" ? 8000 : 4000);
}

/** Show an API error in words a person can act on. */
export function toastError(err, t) {
  if (err && err.name === "RateLimited") {
    toast(t("error.rate_limited", { seconds: err.retryAfter ?? "?" }), "error");
  } else if (err && err.name === "NetworkError") {
    toast(t("error.offline"), "error");
  } else {
    toast(err && err.message ? err.message : t("error.generic"), "error");
  }
}
