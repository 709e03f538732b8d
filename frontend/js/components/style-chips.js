// Style chips under the prompt: each switches a named prompt/negative pair on or off; the
// user's own styles can be added (name, prompt, negative) and deleted.

import { element, html, render } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { addStyle, allStyles, deleteStyle, selectStyles, selectedStyleIds, styledText } from "../lib/styles.js";

/** Build the chip row; returns {el, styled(prompt, negative) -> {prompt, negative}}. */
export function createStyleChips() {
  const el = element(html`<div class="styles" role="group" aria-label="${t("styles.title")}" data-testid="styles"></div>`);
  let formOpen = false;

  function draw() {
    const on = new Set(selectedStyleIds());
    render(el, html`<div class="chip-row">
      <span class="styles-label muted small" aria-hidden="true">${t("styles.title")}</span>
      ${allStyles().map((s) => html`<span class="style-chip">
        <button type="button" class="chip ${on.has(s.id) ? "active" : ""}" aria-pressed="${on.has(s.id) ? "true" : "false"}"
          data-style-id="${s.id}" data-testid="style-chip" title="${s.prompt}">${s.name}</button>
        ${s.builtIn ? "" : html`<button type="button" class="icon-btn small" data-delete="${s.id}" data-testid="style-delete"
          aria-label="${t("styles.delete", { name: s.name })}">${icon("close", { size: 14 })}</button>`}</span>`)}
      <button type="button" class="chip" data-new aria-expanded="${formOpen ? "true" : "false"}" data-testid="style-new">
        ${icon("plus", { size: 16 })}${t("styles.new")}</button>
    </div>
    ${formOpen ? html`<div class="style-form" data-testid="style-form">
      <div class="field"><label for="style-name">${t("styles.name")}</label><input id="style-name" type="text" maxlength="40" data-testid="style-name"></div>
      <div class="field"><label for="style-prompt">${t("styles.prompt")}</label>
        <input id="style-prompt" type="text" maxlength="500" data-testid="style-prompt" aria-describedby="style-prompt-hint">
        <p class="hint" id="style-prompt-hint">${t("styles.prompt_hint")}</p></div>
      <div class="field"><label for="style-negative">${t("styles.negative")}</label><input id="style-negative" type="text" maxlength="500" data-testid="style-negative"></div>
      <p class="form-error" role="alert" data-style-error hidden></p>
      <div class="action-row"><button type="button" class="btn small primary" data-save data-testid="style-save">${t("styles.save")}</button>
        <button type="button" class="btn small" data-cancel-form>${t("styles.cancel")}</button></div>
    </div>` : ""}`);
  }

  el.addEventListener("click", (event) => {
    const chip = event.target.closest("[data-style-id]");
    const del = event.target.closest("[data-delete]");
    if (chip) {
      const ids = selectedStyleIds();
      const id = chip.dataset.styleId;
      selectStyles(ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]);
      draw();
      el.querySelector(`[data-style-id="${CSS.escape(id)}"]`)?.focus();
    } else if (del) {
      deleteStyle(del.dataset.delete);
      draw();
      el.querySelector("[data-new]").focus();
    } else if (event.target.closest("[data-new]") || event.target.closest("[data-cancel-form]")) {
      formOpen = !formOpen;
      draw();
      (formOpen ? el.querySelector("#style-name") : el.querySelector("[data-new]")).focus();
    } else if (event.target.closest("[data-save]")) save();
  });

  // Enter in a field of the style form saves the style (not the studio form around it).
  el.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey || !event.target.closest(".style-form input")) return;
    event.preventDefault();
    save();
  });

  function save() {
    const value = (id) => el.querySelector(id).value;
    const error = el.querySelector("[data-style-error]");
    const name = value("#style-name").trim();
    const problem = !name ? t("styles.need_name") : !value("#style-prompt").trim() && !value("#style-negative").trim() ? t("styles.need_text") : "";
    error.hidden = !problem;
    error.textContent = problem;
    if (problem) return;
    const style = addStyle({ name, prompt: value("#style-prompt"), negative: value("#style-negative") });
    selectStyles([...selectedStyleIds(), style.id]);
    formOpen = false;
    draw();
    el.querySelector(`[data-style-id="${CSS.escape(style.id)}"]`)?.focus();
  }

  draw();
  return { el, styled: (prompt, negative) => styledText(prompt, negative, selectedStyleIds()) };
}
