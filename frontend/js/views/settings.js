// Settings: language now; API tokens and admin pages arrive with accounts.

import { html, render } from "../lib/html.js";
import { language, LANGUAGES, setLanguage, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";

/** Mount the settings view. */
export function mountSettings(root) {
  render(root, html`<div class="view settings-view" data-testid="view-settings">
    <header class="view-head"><h1>${t("settings.title")}</h1></header>
    <section class="card glass">
      <h2 class="section-title">${icon("globe", { size: 18 })}${t("settings.language")}</h2>
      <label class="field" for="language-select"><span>${t("settings.language_label")}</span>
        <select id="language-select" data-testid="language-select">
          ${LANGUAGES.map((l) => html`<option value="${l.id}" ${l.id === language() ? "selected" : ""}>${l.label}</option>`)}
        </select></label>
    </section>
  </div>`);
  root.querySelector("[data-testid=language-select]").addEventListener("change", (event) => {
    setLanguage(event.target.value);
  });
}
