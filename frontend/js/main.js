// Boot: strings, session, shell (sidebar + banners + outlet + toasts), routes, live job updates,
// and what follows the jobs outside the page (the tab's title, notifications).

import { mountSidebar, setActiveCount, setConnectionText } from "./components/sidebar.js";
import { mountShellBanners } from "./components/shell-banners.js";
import { clearErrorToasts, mountToasts, toast } from "./components/toast.js";
import { onWriteSuccess } from "./lib/api.js";
import { startEngineWatch, stopEngineWatch } from "./lib/engine.js";
import { connectionMode, onModeChange, startEvents, stopEvents } from "./lib/events.js";
import { initI18n, onLanguageChange, t } from "./lib/i18n.js";
import { watchJobEndings } from "./lib/notify.js";
import { followJobsInTitle } from "./lib/tab-title.js";
import { loadTools } from "./lib/catalog.js";
import { refresh, route, setGuard, startRouter } from "./lib/router.js";
import { currentUser, isAdmin, loadSession, onSessionChange, rememberReturn, takeReturn } from "./lib/session.js";
import { activeJobs, clearAll, subscribe } from "./lib/store.js";
import { mountAccount } from "./views/account.js";
import { mountAdminTools } from "./views/admin-tools.js";
import { mountDashboard } from "./views/dashboard.js";
import { mountGallery } from "./views/gallery.js";
import { mountLogin } from "./views/login.js";
import { mountQueue } from "./views/queue.js";
import { mountSettings } from "./views/settings.js";
import { mountStudio } from "./views/studio.js";
import { mountTokens } from "./views/tokens.js";
import { mountUsers } from "./views/users.js";

const ADMIN_ROUTES = new Set(["users", "tools"]);

function connectionText(mode) {
  return mode === "sse" ? t("conn.live") : mode === "polling" ? t("conn.polling") : "";
}

/** Where a route may go: signed out -> login; login while signed in -> back; admin pages. */
function guard(name) {
  if (!currentUser()) {
    if (name !== "login") rememberReturn(location.hash);
    return "login";
  }
  if (name === "login") return takeReturn(); // a hash: back to where the user was
  if (ADMIN_ROUTES.has(name) && !isAdmin()) return "dashboard";
  return null;
}

/** Strings of the static page (index.html) that exist before any view. */
function translateStatic() {
  const skip = document.querySelector(".skip-link");
  if (skip) skip.textContent = t("shell.skip_link");
}

async function boot() {
  await initI18n();
  translateStatic();
  followJobsInTitle();
  watchJobEndings();
  const shell = document.getElementById("app");
  const outlet = document.getElementById("outlet");
  const view = document.getElementById("view");
  mountToasts(document.body);
  mountShellBanners(outlet.querySelector(".shell-banners"));
  onWriteSuccess(clearErrorToasts);
  // The skip link must not touch the hash (the router owns it): focus the content instead.
  document.querySelector(".skip-link")?.addEventListener("click", (event) => {
    event.preventDefault();
    outlet.focus();
  });
  let removeSidebar = () => {};
  const showActive = () => setActiveCount(activeJobs().length);

  function enterApp() {
    removeSidebar();
    removeSidebar = mountSidebar(shell);
    document.body.classList.remove("signed-out");
    showActive();
    startEvents();
    startEngineWatch();
  }
  function leaveApp() {
    stopEvents();
    stopEngineWatch();
    removeSidebar();
    removeSidebar = () => {};
    document.body.classList.add("signed-out");
  }

  route("login", (root) =>
    mountLogin(root, {
      onSignedIn: ({ sameUser }) => {
        if (!sameUser) clearAll(); // someone else signed in: drop the last user's jobs and drafts
        enterApp();
        location.hash = takeReturn();
      },
    }),
  );
  route("dashboard", mountDashboard);
  route("studio", mountStudio);
  route("gallery", mountGallery);
  route("queue", mountQueue);
  route("settings", mountSettings);
  route("account", mountAccount);
  route("tokens", mountTokens);
  route("users", mountUsers);
  route("tools", mountAdminTools);
  setGuard(guard);

  subscribe(showActive);
  onModeChange((mode) => setConnectionText(connectionText(mode)));
  onSessionChange((user, reason) => {
    if (reason === "login") return;
    leaveApp();
    if (reason === "logout") clearAll();
    else toast(t("login.expired"), "error");
    refresh(); // the guard sends the page to #/login
  });

  onLanguageChange(() => {
    translateStatic();
    if (currentUser()) {
      removeSidebar();
      removeSidebar = mountSidebar(shell);
      loadTools(true).catch(() => {}); // names and reasons come localized from the server
    }
    refresh();
    showActive();
    setConnectionText(connectionText(connectionMode()));
    outlet.focus();
  });

  let user = null;
  try {
    user = await loadSession();
  } catch {
    toast(t("error.offline"), "error"); // the sign-in page says so again if it still is
  }
  if (user) enterApp();
  else document.body.classList.add("signed-out");
  startRouter(view);
  document.body.classList.remove("booting");
}

boot().catch((err) => {
  document.body.classList.remove("booting");
  const outlet = document.getElementById("outlet");
  if (outlet) outlet.textContent = `The studio could not start: ${err.message}`;
});
