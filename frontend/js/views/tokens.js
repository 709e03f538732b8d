// API tokens (#/tokens): create a named token (shown once), list with last use, revoke.

import { toast, toastError } from "../components/toast.js";
import { api } from "../lib/api.js";
import { element, html, render, setText } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { formErrorText } from "./account.js";

function tokenRow(token) {
  return html`<li class="list-row" data-testid="token-row" data-token-id="${token.id}">
    <div class="list-main"><strong class="token-name">${token.name}</strong>
      <span class="muted small">${t("tokens.created", { date: formatDate(token.created_at) })} ·
        ${token.last_used_at ? t("tokens.last_used", { date: formatDate(token.last_used_at) }) : t("tokens.never_used")}</span></div>
    <button type="button" class="btn small danger" data-revoke data-testid="token-revoke">${icon("trash", { size: 16 })}${t("tokens.revoke")}</button>
  </li>`;
}

function secretBox(created) {
  return html`<div class="secret-box glass" role="status" data-testid="token-secret-box">
    <p><strong>${t("tokens.created_title", { name: created.name })}</strong></p>
    <p class="banner banner-warn">${icon("alert", { size: 18 })}<span>${t("tokens.shown_once")}</span></p>
    <div class="secret-row">
      <input type="text" readonly class="secret" value="${created.token}" aria-label="${t("tokens.secret_label")}" data-testid="token-secret">
      <button type="button" class="btn" data-copy data-testid="token-copy">${t("tokens.copy")}</button>
    </div>
    <button type="button" class="btn subtle small" data-dismiss data-testid="token-dismiss">${t("tokens.done")}</button>
  </div>`;
}

/** Copy text to the clipboard; falls back to selecting it (no clipboard API on plain http). */
async function copy(input) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    return document.execCommand?.("copy") ?? false;
  }
}

/** Mount the tokens view. */
export function mountTokens(root) {
  let alive = true;
  render(root, html`<div class="view tokens-view" data-testid="view-tokens">
    <header class="view-head"><h1>${t("tokens.title")}</h1><p class="muted">${t("tokens.subtitle")}</p></header>
    <form class="card glass narrow-form" data-testid="token-form" novalidate>
      <div class="field"><label for="token-name">${t("tokens.name")}</label>
        <input id="token-name" type="text" autocomplete="off" maxlength="64" required data-testid="token-name"
          placeholder="${t("tokens.name_placeholder")}"></div>
      <p class="form-error" role="alert" data-testid="token-error" hidden></p>
      <button type="submit" class="btn primary" data-testid="token-create">${icon("plus", { size: 18 })}${t("tokens.create")}</button>
    </form>
    <div data-secret></div>
    <section class="card glass"><h2 class="section-title">${t("tokens.list_title")}</h2>
      <ul class="plain-list" data-testid="token-list"></ul>
      <p class="muted" data-testid="token-empty" hidden>${t("tokens.empty")}</p></section>
  </div>`);
  const form = root.querySelector("[data-testid=token-form]");
  const name = form.querySelector("#token-name");
  const error = form.querySelector("[data-testid=token-error]");
  const list = root.querySelector("[data-testid=token-list]");
  const empty = root.querySelector("[data-testid=token-empty]");
  const secret = root.querySelector("[data-secret]");

  async function load() {
    try {
      const data = await api.get("/api/auth/tokens");
      if (!alive) return;
      const tokens = data.tokens || [];
      list.replaceChildren(...tokens.map((tok) => element(tokenRow(tok))));
      empty.hidden = tokens.length > 0;
    } catch (err) {
      if (alive) toastError(err, t);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = name.value.trim();
    error.hidden = Boolean(value);
    setText(error, value ? "" : t("tokens.name_required"));
    if (!value) return;
    try {
      const created = await api.post("/api/auth/tokens", { name: value });
      name.value = "";
      render(secret, secretBox(created)); // the only time the secret is on screen
      secret.querySelector("[data-testid=token-secret]").select();
      load();
    } catch (err) {
      error.hidden = false;
      setText(error, formErrorText(err));
    }
  });
  secret.addEventListener("click", async (event) => {
    if (event.target.closest("[data-dismiss]")) render(secret, html``);
    if (event.target.closest("[data-copy]")) {
      const ok = await copy(secret.querySelector("[data-testid=token-secret]"));
      toast(ok ? t("tokens.copied") : t("tokens.copy_manually"), ok ? "success" : "info");
    }
  });
  list.addEventListener("click", async (event) => {
    const row = event.target.closest("[data-revoke]")?.closest("[data-token-id]");
    if (!row) return;
    const tokenName = row.querySelector(".token-name").textContent;
    if (!window.confirm(t("tokens.confirm_revoke", { name: tokenName }))) return;
    try {
      await api.delete(`/api/auth/tokens/${encodeURIComponent(row.dataset.tokenId)}`);
      toast(t("tokens.revoked"), "success");
      load();
    } catch (err) {
      toastError(err, t);
    }
  });
  load();
  return () => {
    alive = false;
  };
}
