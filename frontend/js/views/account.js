// Account (#/account): who I am and changing my own password.

import { toast } from "../components/toast.js";
import { api, ApiError } from "../lib/api.js";
import { errorText } from "../lib/error-text.js";
import { html, render, setText } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { currentUser } from "../lib/session.js";

export const MIN_PASSWORD = 10; // the server's rule (studio_core/accounts/passwords.py)

/** Why a new password cannot be used, or "" (the server checks again). */
export function passwordProblem(password, confirm) {
  if (password.length < MIN_PASSWORD) return t("account.password_short", { min: MIN_PASSWORD });
  if (confirm !== undefined && password !== confirm) return t("account.password_mismatch");
  return "";
}

/** Words for an API error shown next to a form. */
export function formErrorText(err) {
  return errorText(err);
}

/** Mount the account view. */
export function mountAccount(root) {
  const user = currentUser();
  render(root, html`<div class="view account-view" data-testid="view-account">
    <header class="view-head"><h1>${t("account.title")}</h1>
      <p class="muted">${t("account.signed_in_as", { name: user.username })} · ${t(`role.${user.role === "admin" ? "admin" : "user"}`)}</p></header>
    <form class="card glass narrow-form" data-testid="password-form" novalidate>
      <h2 class="section-title">${icon("lock", { size: 18 })}${t("account.password_title")}</h2>
      <input type="text" name="username" autocomplete="username" value="${user.username}" hidden readonly>
      <div class="field"><label for="pw-current">${t("account.current_password")}</label>
        <input id="pw-current" type="password" autocomplete="current-password" required data-testid="pw-current"></div>
      <div class="field"><label for="pw-new">${t("account.new_password")}</label>
        <input id="pw-new" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD}" data-testid="pw-new"></div>
      <div class="field"><label for="pw-confirm">${t("account.confirm_password")}</label>
        <input id="pw-confirm" type="password" autocomplete="new-password" required data-testid="pw-confirm"></div>
      <p class="form-error" role="alert" data-testid="password-error" hidden></p>
      <button type="submit" class="btn primary" data-testid="password-submit">${t("account.change_password")}</button>
    </form>
  </div>`);
  const form = root.querySelector("[data-testid=password-form]");
  const error = form.querySelector("[data-testid=password-error]");
  const [current, next, confirm] = ["pw-current", "pw-new", "pw-confirm"].map((id) => form.querySelector(`#${id}`));
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = passwordProblem(next.value, confirm.value);
    showError(problem);
    if (problem) return;
    try {
      await api.post("/api/auth/password", { current_password: current.value, new_password: next.value });
      form.reset();
      toast(t("account.password_changed"), "success");
    } catch (err) {
      // The server answers a wrong current password as a 400 on that field.
      const wrong = err instanceof ApiError && (err.field === "current_password" || err.status === 401);
      showError(wrong ? t("account.current_wrong") : formErrorText(err));
    }
  });
}
