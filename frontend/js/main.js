// Boot: strings, shell (sidebar + outlet + toasts), routes, live job updates.

import { mountSidebar, setActiveCount, setConnectionText } from "./components/sidebar.js";
import { mountToasts } from "./components/toast.js";
import { connectionMode, onModeChange, startEvents } from "./lib/events.js";
import { initI18n, onLanguageChange, t } from "./lib/i18n.js";
import { loadTools } from "./lib/catalog.js";
import { refresh, route, startRouter } from "./lib/router.js";
import { activeJobs, subscribe } from "./lib/store.js";
import { mountDashboard } from "./views/dashboard.js";
import { mountGallery } from "./views/gallery.js";
import { mountQueue } from "./views/queue.js";
import { mountSettings } from "./views/settings.js";
import { mountStudio } from "./views/studio.js";

function connectionText(mode) {
  return mode === "sse" ? t("conn.live") : mode === "polling" ? t("conn.polling") : "";
}

async function boot() {
  await initI18n();
  document.title = t("app.title");
  const shell = document.getElementById("app");
  const outlet = document.getElementById("outlet");
  mountToasts(document.body);
  // The skip link must not touch the hash (the router owns it): focus the content instead.
  document.querySelector(".skip-link")?.addEventListener("click", (event) => {
    event.preventDefault();
    outlet.focus();
  });
  let removeSidebar = mountSidebar(shell);

  route("dashboard", mountDashboard);
  route("studio", mountStudio);
  route("gallery", mountGallery);
  route("queue", mountQueue);
  route("settings", mountSettings);

  const showActive = () => setActiveCount(activeJobs().length);
  subscribe(showActive);
  onModeChange((mode) => setConnectionText(connectionText(mode)));

  onLanguageChange(() => {
    document.title = t("app.title");
    removeSidebar();
    removeSidebar = mountSidebar(shell);
    loadTools(true).catch(() => {}); // names and reasons come localized from the server
    refresh();
    showActive();
    setConnectionText(connectionText(connectionMode()));
    outlet.focus();
  });

  startRouter(outlet);
  startEvents();
  document.body.classList.remove("booting");
}

boot().catch((err) => {
  document.body.classList.remove("booting");
  const outlet = document.getElementById("outlet");
  if (outlet) outlet.textContent = `The studio could not start: ${err.message}`;
});
