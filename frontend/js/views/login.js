// Sign-in page (#/login): user name and password, errors inline, language choice.

import { ApiError, NetworkError, RateLimited } from "../lib/api.js";
import { errorText } from "../lib/error-text.js";
import { html, render, setText } from "../lib/html.js";
import { language, LANGUAGES, setLanguage, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { expiredUsername, login, sessionExpired } from "../lib/session.js";

/** Words a person can act on for a failed sign-in. */
export function loginErrorText(err) {
  if (err instanceof RateLimited) return t("login.throttled", { seconds: err.retryAfter ?? 60 });
  if (err instanceof NetworkError || (err instanceof ApiError && err.status >= 500)) return t("error.offline");
  if (err instanceof ApiError && (err.status === 401 || err.code === "invalid_credentials")) return t("login.invalid");
  if (err instanceof ApiError && err.code === "account_disabled") return t("login.disabled");
  return errorText(err);
}

/** Mount the sign-in page; onSignedIn(result) runs after a successful login. */
export function mountLogin(root, { onSignedIn }) {
  render(root, html`<div class="login-view" data-testid="view-login">
    <form class="login-card glass" data-testid="login-form" novalidate>
      <div class="login-brand">${icon("sparkles", { size: 30 })}<span>${t("app.name")}</span></div>
      <h1>${t("login.title")}</h1>
      <p class="banner banner-warn" data-testid="login-expired" ${sessionExpired() ? "" : "hidden"}>
        ${icon("lock", { size: 18 })}<span>${t("login.expired")}</span></p>
      <div class="field">
        <label for="login-username">${t("login.username")}</label>
        <input id="login-username" name="username" type="text" autocomplete="username" autocapitalize="none"
          spellcheck="false" required maxlength="64" data-testid="login-username">
      </div>
      <div class="field">
        <label for="login-password">${t("login.password")}</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required
          maxlength="1024" data-testid="login-password">
      </div>
      <p class="form-error" role="alert" data-testid="login-error" hidden></p>
      <button type="submit" class="btn primary big" data-testid="login-submit">${t("login.submit")}</button>
      <label class="login-lang" for="login-language">${icon("globe", { size: 16 })}
        <select id="login-language" data-testid="login-language" aria-label="${t("settings.language_label")}">
          ${LANGUAGES.map((l) => html`<option value="${l.id}" ${l.id === language() ? "selected" : ""}>${l.label}</option>`)}
        </select></label>
    </form>
  </div>`);
  const form = root.querySelector("form");
  const username = form.querySelector("[data-testid=login-username]");
  const password = form.querySelector("[data-testid=login-password]");
  const error = form.querySelector("[data-testid=login-error]");
  const submit = form.querySelector("[data-testid=login-submit]");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text || "");
  };
  // Throttled: the server refuses every try until Retry-After has passed, so the button says
  // how long, second by second, and stays off (the alert above is read out once, not per tick).
  let waitTimer = null;
  const waitThenEnable = (seconds) => {
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0 && form.isConnected) {
        setText(submit, t("login.wait", { seconds: left }));
        return;
      }
      clearInterval(waitTimer);
      waitTimer = null;
      setText(submit, t("login.submit"));
      submit.disabled = false;
    };
    clearInterval(waitTimer);
    submit.disabled = true;
    tick();
    waitTimer = setInterval(tick, 250);
  };
  form.querySelector("[data-testid=login-language]").addEventListener("change", (event) => {
    setLanguage(event.target.value);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      showError(t("login.required"));
      (username.value.trim() ? password : username).focus();
      return;
    }
    showError("");
    submit.disabled = true;
    try {
      const result = await login(username.value.trim(), password.value);
      onSignedIn(result);
    } catch (err) {
      password.value = "";
      showError(loginErrorText(err));
      password.focus();
      if (err instanceof RateLimited) waitThenEnable(err.retryAfter ?? 60);
    } finally {
      if (waitTimer === null) submit.disabled = false;
    }
  });
  username.value = expiredUsername();
  (username.value ? password : username).focus();
}
