// Sidebar navigation and the account menu; below 900 px it is a drawer opened by the hamburger.
// The open drawer is modal: focus moves into it, Tab stays inside, Escape (or the overlay, or a
// link) closes it, and focus goes back to the menu button.

import { toastError } from "./toast.js";
import { cycleTab } from "../lib/focus-trap.js";
import { element, html } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { onRouteChange } from "../lib/router.js";
import { currentUser, isAdmin, logout } from "../lib/session.js";

const NAV = [
  { id: "dashboard", icon: "dashboard", href: "#/dashboard" },
  { id: "studio", icon: "studio", href: "#/studio" },
  { id: "gallery", icon: "gallery", href: "#/gallery" },
  { id: "queue", icon: "queue", href: "#/queue" },
  { id: "settings", icon: "settings", href: "#/settings" },
  { id: "users", icon: "user", href: "#/users", admin: true },
  { id: "tools", icon: "cpu", href: "#/tools", admin: true, label: "admintools.nav" },
];

function accountMenu(user) {
  return html`<details class="account-menu" data-testid="account-menu">
    <summary class="account-summary" data-testid="account-button">
      ${icon("user", { size: 18 })}<span class="account-name" data-testid="account-name">${user.username}</span>
      ${user.role === "admin" ? html`<span class="chip static">${t("role.admin")}</span>` : ""}
    </summary>
    <div class="account-items">
      <a class="nav-link" href="#/account" data-route="account" data-testid="nav-account">${icon("lock", { size: 18 })}<span>${t("account.password_title")}</span></a>
      <a class="nav-link" href="#/tokens" data-route="tokens" data-testid="nav-tokens">${icon("unlock", { size: 18 })}<span>${t("tokens.title")}</span></a>
      <button type="button" class="nav-link" data-testid="logout-button">${icon("close", { size: 18 })}<span>${t("account.logout")}</span></button>
      <button type="button" class="nav-link" data-testid="logout-everywhere-button">${icon("close", { size: 18 })}<span>${t("account.logout_everywhere")}</span></button>
    </div>
  </details>`;
}

/** Render the sidebar, mobile top bar and overlay into the shell; returns a cleanup function. */
export function mountSidebar(shell) {
  const topbar = element(html`<header class="topbar">
    <button type="button" class="icon-btn" data-testid="drawer-button" aria-controls="sidebar"
      aria-expanded="false" aria-label="${t("nav.open_menu")}">${icon("menu")}</button>
    <a class="brand" href="#/dashboard">${icon("sparkles", { size: 22 })}<span>${t("app.name")}</span></a>
    <span class="topbar-badge" data-active-count hidden></span>
  </header>`);
  const overlay = element(html`<div class="drawer-overlay" data-testid="drawer-overlay" hidden></div>`);
  const aside = element(html`<aside id="sidebar" class="sidebar glass" aria-label="${t("nav.label")}">
    <div class="sidebar-head">
      <a class="brand" href="#/dashboard">${icon("sparkles", { size: 24 })}<span>${t("app.name")}</span></a>
      <button type="button" class="icon-btn drawer-close" data-testid="drawer-close" aria-label="${t("nav.close_menu")}">${icon("close")}</button>
    </div>
    <nav>
      <ul class="nav-list">
        ${NAV.filter((item) => !item.admin || isAdmin()).map(
          (item) => html`<li><a class="nav-link" href="${item.href}" data-route="${item.id}" data-testid="nav-${item.id}">
            ${icon(item.icon)}<span>${t(item.label || `nav.${item.id}`)}</span>
            ${item.id === "queue" ? html`<span class="nav-count" data-active-count hidden></span>` : ""}
          </a></li>`,
        )}
      </ul>
    </nav>
    <div class="sidebar-foot">
      <div class="account-slot" data-testid="account-slot">${currentUser() ? accountMenu(currentUser()) : ""}</div>
      <p class="muted small" data-connection></p>
    </div>
  </aside>`);
  shell.prepend(topbar, overlay, aside);

  const button = topbar.querySelector("[data-testid=drawer-button]");
  const isOpen = () => document.body.classList.contains("drawer-open");
  const close = (restoreFocus = true) => {
    if (!isOpen()) return;
    document.body.classList.remove("drawer-open");
    button.setAttribute("aria-expanded", "false");
    overlay.hidden = true;
    if (restoreFocus) button.focus();
  };
  const open = () => {
    document.body.classList.add("drawer-open");
    button.setAttribute("aria-expanded", "true");
    overlay.hidden = false;
    aside.querySelector(".nav-link")?.focus();
  };
  button.addEventListener("click", () => (isOpen() ? close() : open()));
  overlay.addEventListener("click", () => close());
  aside.querySelector("[data-testid=drawer-close]").addEventListener("click", () => close());
  aside.addEventListener("click", (event) => {
    if (event.target.closest(".nav-link, .brand")) close(false);
    const out = event.target.closest("[data-testid=logout-button], [data-testid=logout-everywhere-button]");
    if (out) {
      const everywhere = out.dataset.testid === "logout-everywhere-button";
      logout({ everywhere }).catch((err) => toastError(err, t));
    }
  });
  const onKey = (event) => {
    if (!isOpen()) return;
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      cycleTab(aside, event); // on the document: a focus that strayed behind comes back in
    }
  };
  document.addEventListener("keydown", onKey);
  const wide = window.matchMedia("(min-width: 900px)");
  const onWide = () => wide.matches && close(false);
  wide.addEventListener("change", onWide);

  const stopRoute = onRouteChange(({ name }) => {
    close(false); // back button, remix or a typed URL must not leave the drawer over the new view
    for (const link of aside.querySelectorAll("a.nav-link")) {
      const active = link.dataset.route === name;
      link.classList.toggle("active", active);
      if (active) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  });
  return () => {
    stopRoute();
    document.removeEventListener("keydown", onKey);
    wide.removeEventListener("change", onWide);
    document.body.classList.remove("drawer-open");
    topbar.remove();
    overlay.remove();
    aside.remove();
  };
}

/** Show the number of active jobs on the queue link and the mobile top bar. */
export function setActiveCount(count) {
  for (const badge of document.querySelectorAll("[data-active-count]")) {
    badge.hidden = count === 0;
    badge.textContent = String(count);
  }
}

/** Show how live updates arrive (SSE or polling). */
export function setConnectionText(text) {
  const node = document.querySelector("[data-connection]");
  if (node) node.textContent = text;
}
