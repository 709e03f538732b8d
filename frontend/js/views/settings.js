// Settings: language, and the "tell me when a job ends" notifications (off by default).

import { html, render, setText } from "../lib/html.js";
import { language, LANGUAGES, setLanguage, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { notificationsEnabled, notificationsSupported, setNotificationsEnabled } from "../lib/notify.js";

function notifyHint() {
  if (!notificationsSupported()) return t("notify.unsupported");
  if (Notification.permission === "denied") return t("notify.blocked");
  return t("notify.hint");
}

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
    <section class="card glass">
      <h2 class="section-title">${icon("activity", { size: 18 })}${t("notify.title")}</h2>
      <label class="switch-field" for="notify-toggle">
        <input id="notify-toggle" type="checkbox" role="switch" data-testid="notify-toggle"
          ${notificationsEnabled() ? "checked" : ""} ${notificationsSupported() ? "" : "disabled"}>
        <span>${t("notify.label")}</span></label>
      <p class="muted small" data-testid="notify-hint">${notifyHint()}</p>
    </section>
  </div>`);
  root.querySelector("[data-testid=language-select]").addEventListener("change", (event) => {
    setLanguage(event.target.value);
  });
  const toggle = root.querySelector("[data-testid=notify-toggle]");
  const hint = root.querySelector("[data-testid=notify-hint]");
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    const result = await setNotificationsEnabled(toggle.checked);
    toggle.checked = notificationsEnabled();
    toggle.disabled = false;
    setText(hint, result === "denied" ? t("notify.blocked") : notifyHint());
  });
}
