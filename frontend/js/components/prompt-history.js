// The "history" button by the prompt: a searchable list of the last prompts sent; picking one
// fills the prompt. Keyboard: arrows move through the list, Escape closes and returns focus.

import { element, html, render } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { searchPrompts } from "../lib/prompt-history.js";

/** Build the button + popover for `prompt` (a textarea); returns {el, destroy}. */
export function createPromptHistory(prompt) {
  const el = element(html`<div class="history">
    <button type="button" class="btn small subtle" data-testid="history-button" aria-expanded="false" aria-controls="history-pop">
      ${icon("history", { size: 16 })}<span>${t("history.open")}</span></button>
    <div class="history-pop glass" id="history-pop" role="dialog" aria-label="${t("history.title")}" data-testid="history-pop" hidden>
      <input type="search" data-testid="history-search" aria-label="${t("history.search")}" placeholder="${t("history.search")}">
      <ul class="history-list" data-list></ul>
    </div>
  </div>`);
  const button = el.querySelector("[data-testid=history-button]");
  const pop = el.querySelector(".history-pop");
  const search = el.querySelector("input");
  const list = el.querySelector("[data-list]");

  function fill() {
    const entries = searchPrompts(search.value);
    render(list, entries.length
      ? html`${entries.map((e) => html`<li><button type="button" class="history-item" data-testid="history-item" data-prompt="${e.prompt}">${e.prompt}</button></li>`)}`
      : html`<li class="muted small" data-testid="history-empty">${search.value ? t("history.no_match") : t("history.empty")}</li>`);
  }

  function open(state) {
    pop.hidden = !state;
    button.setAttribute("aria-expanded", String(state));
    if (state) {
      search.value = "";
      fill();
      search.focus();
    }
  }

  const items = () => [...list.querySelectorAll(".history-item")];
  button.addEventListener("click", () => open(pop.hidden));
  search.addEventListener("input", fill);
  pop.addEventListener("click", (event) => {
    const item = event.target.closest(".history-item");
    if (!item) return;
    prompt.value = item.dataset.prompt;
    prompt.dispatchEvent(new Event("input", { bubbles: true })); // the counter follows
    open(false);
    prompt.focus();
  });
  pop.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      open(false);
      button.focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    const all = items();
    const at = all.indexOf(document.activeElement);
    const next = event.key === "ArrowDown" ? Math.min(all.length - 1, at + 1) : at - 1;
    (next < 0 ? search : all[next])?.focus();
  });
  const onOutside = (event) => {
    if (!pop.hidden && !el.contains(event.target)) open(false);
  };
  document.addEventListener("pointerdown", onOutside);
  return { el, destroy: () => document.removeEventListener("pointerdown", onOutside) };
}
