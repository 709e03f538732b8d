// Users (#/users, admins only): list, create, disable/enable, reset password, role, delete.

import { toast, toastError } from "../components/toast.js";
import { api } from "../lib/api.js";
import { element, html, render, setText } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { currentUser } from "../lib/session.js";
import { formErrorText, passwordProblem } from "./account.js";

const ROLES = ["user", "admin"];

function userRow(user, me) {
  const self = user.id === me.id; // an admin cannot lock themselves out from this page
  return html`<li class="list-row user-row" data-testid="user-row" data-user-id="${user.id}" data-username="${user.username}"
    data-disabled="${user.disabled ? "true" : "false"}">
    <div class="list-main">
      <strong class="user-name">${user.username}</strong>
      <span class="muted small">${t("users.created", { date: formatDate(user.created_at) })}
        ${user.disabled ? html` · <span class="badge badge-failed">${t("users.disabled")}</span>` : ""}</span>
    </div>
    <div class="row-actions">
      <select data-role data-testid="user-role" aria-label="${t("users.role")}" ${self ? "disabled" : ""}>
        ${ROLES.map((r) => html`<option value="${r}" ${r === user.role ? "selected" : ""}>${t(`role.${r}`)}</option>`)}
      </select>
      <button type="button" class="btn small" data-toggle data-testid="user-toggle" ${self ? "disabled" : ""}>
        ${user.disabled ? t("users.enable") : t("users.disable")}</button>
      <button type="button" class="btn small" data-reset data-testid="user-reset">${t("users.reset_password")}</button>
      <button type="button" class="btn small danger" data-delete data-testid="user-delete" ${self ? "disabled" : ""}>
        ${icon("trash", { size: 16 })}${t("common.delete")}</button>
    </div>
    <form class="reset-form" data-reset-form data-testid="user-reset-form" hidden novalidate>
      <input type="text" autocomplete="username" value="${user.username}" hidden readonly>
      <label class="visually-hidden" for="reset-${user.id}">${t("users.reset_prompt", { name: user.username })}</label>
      <input id="reset-${user.id}" type="password" autocomplete="new-password" data-testid="user-reset-password"
        placeholder="${t("users.reset_prompt", { name: user.username })}">
      <button type="submit" class="btn small primary" data-testid="user-reset-save">${t("users.reset_save")}</button>
      <button type="button" class="btn small subtle" data-reset-cancel>${t("users.reset_cancel")}</button>
      <p class="form-error" role="alert" data-testid="user-reset-error" hidden></p>
    </form>
  </li>`;
}

/** Mount the users view. */
export function mountUsers(root) {
  let alive = true;
  const me = currentUser();
  render(root, html`<div class="view users-view" data-testid="view-users">
    <header class="view-head"><h1>${t("users.title")}</h1><p class="muted">${t("users.subtitle")}</p></header>
    <form class="card glass user-form" data-testid="user-form" novalidate>
      <h2 class="section-title">${icon("plus", { size: 18 })}${t("users.create_title")}</h2>
      <div class="field"><label for="new-username">${t("login.username")}</label>
        <input id="new-username" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="64" required data-testid="new-username"></div>
      <div class="field"><label for="new-password">${t("login.password")}</label>
        <input id="new-password" type="password" autocomplete="new-password" required data-testid="new-password"></div>
      <div class="field"><label for="new-role">${t("users.role")}</label>
        <select id="new-role" data-testid="new-role">${ROLES.map((r) => html`<option value="${r}">${t(`role.${r}`)}</option>`)}</select></div>
      <p class="form-error" role="alert" data-testid="user-error" hidden></p>
      <button type="submit" class="btn primary" data-testid="user-create">${t("users.create")}</button>
    </form>
    <section class="card glass"><h2 class="section-title">${t("users.list_title")}</h2>
      <ul class="plain-list" data-testid="user-list"></ul></section>
  </div>`);
  const form = root.querySelector("[data-testid=user-form]");
  const error = form.querySelector("[data-testid=user-error]");
  const list = root.querySelector("[data-testid=user-list]");
  const showError = (text) => {
    error.hidden = !text;
    setText(error, text);
  };

  async function load() {
    try {
      const data = await api.get("/api/users");
      if (alive) list.replaceChildren(...(data.users || []).map((u) => element(userRow(u, me))));
    } catch (err) {
      if (alive) toastError(err, t);
    }
  }
  async function change(id, patch, done) {
    try {
      await api.patch(`/api/users/${encodeURIComponent(id)}`, patch);
      toast(done, "success");
    } catch (err) {
      toastError(err, t);
    }
    load();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.querySelector("#new-username").value.trim();
    const password = form.querySelector("#new-password").value;
    const problem = username ? passwordProblem(password) : t("users.username_required");
    showError(problem);
    if (problem) return;
    try {
      await api.post("/api/users", { username, password, role: form.querySelector("#new-role").value });
      form.reset();
      toast(t("users.created_toast", { name: username }), "success");
      load();
    } catch (err) {
      showError(formErrorText(err));
    }
  });
  list.addEventListener("submit", (event) => {
    event.preventDefault();
    const row = event.target.closest("[data-user-id]");
    const password = event.target.querySelector("[type=password]").value;
    const problem = passwordProblem(password);
    const error = event.target.querySelector("[data-testid=user-reset-error]");
    error.hidden = !problem;
    setText(error, problem);
    if (!problem) change(row.dataset.userId, { password }, t("users.password_reset", { name: row.dataset.username }));
  });
  list.addEventListener("change", (event) => {
    const row = event.target.closest("[data-user-id]");
    if (row && event.target.matches("[data-role]")) {
      change(row.dataset.userId, { role: event.target.value }, t("users.role_changed"));
    }
  });
  list.addEventListener("click", async (event) => {
    const row = event.target.closest("[data-user-id]");
    if (!row) return;
    const { userId: id, username: name } = row.dataset;
    if (event.target.closest("[data-toggle]")) {
      const disabled = row.dataset.disabled !== "true";
      change(id, { disabled }, disabled ? t("users.disabled_toast", { name }) : t("users.enabled_toast", { name }));
    } else if (event.target.closest("[data-reset], [data-reset-cancel]")) {
      const resetForm = row.querySelector("[data-reset-form]");
      resetForm.hidden = !resetForm.hidden;
      if (!resetForm.hidden) resetForm.querySelector("[type=password]").focus();
    } else if (event.target.closest("[data-delete]")) {
      if (!window.confirm(t("users.confirm_delete", { name }))) return;
      try {
        await api.delete(`/api/users/${encodeURIComponent(id)}`);
        toast(t("users.deleted", { name }), "success");
      } catch (err) {
        toastError(err, t);
      }
      load();
    }
  });
  load();
  return () => {
    alive = false;
  };
}
