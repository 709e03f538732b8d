// Dashboard: "no engine" help, tool shortcuts, System HUD (admins: the system details are
// theirs), recent results. The tools come before the HUD's tiles: on a phone they are what a
// person came for, and five tiles pushed them below the fold. The engine and demo banners are
// the shell's, on every page.

import { mountHud } from "../components/hud.js";
import { openLightbox } from "../components/lightbox.js";
import { outputsOf } from "../components/results-grid.js";
import { toolCard } from "../components/tool-picker.js";
import { api } from "../lib/api.js";
import { isReady, loadTools } from "../lib/catalog.js";
import { element, html, render } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { imageSources } from "../lib/renditions.js";
import { navigate } from "../lib/router.js";
import { isAdmin } from "../lib/session.js";

function noEngineHelp() {
  return html`<section class="empty-state glass" data-testid="no-engine">
    ${icon("engine", { size: 32 })}
    <h2>${t("dashboard.no_engine_title")}</h2>
    <ol>
      <li>${t("dashboard.no_engine_step1")}</li>
      <li>${t("dashboard.no_engine_step2")}</li>
      <li>${t("dashboard.no_engine_step3")}</li>
    </ol>
  </section>`;
}

/** Mount the dashboard view. */
export function mountDashboard(root) {
  let alive = true;
  render(root, html`<div class="view dashboard" data-testid="view-dashboard">
    <header class="view-head">
      <h1>${t("dashboard.title")}</h1>
      <p class="muted">${isAdmin() ? t("dashboard.subtitle") : t("dashboard.subtitle_user")}</p>
    </header>
    <div data-empty></div>
    <section aria-labelledby="tools-title" data-testid="dashboard-tools">
      <h2 id="tools-title" class="section-title">${t("dashboard.tools")}</h2>
      <div class="tool-grid compact" data-tools><p class="muted">${t("common.loading")}</p></div>
    </section>
    <div data-hud data-testid="dashboard-hud"></div>
    <section aria-labelledby="recent-title">
      <div class="section-head">
        <h2 id="recent-title" class="section-title">${t("dashboard.recent")}</h2>
        <a class="link" href="#/gallery" data-testid="see-gallery">${t("dashboard.see_all")}</a>
      </div>
      <div class="recent-grid" data-recent><p class="muted">${t("common.loading")}</p></div>
    </section>
  </div>`);
  const empty = root.querySelector("[data-empty]");

  const admin = isAdmin();
  root.querySelector("[data-hud]").hidden = !admin;
  const stopHud = !admin ? () => {} : mountHud(root.querySelector("[data-hud]"), (metrics) => {
    if (!metrics) return; // offline/rate limited: the HUD says so; keep the last known help
    const backends = metrics.backends || [];
    render(empty, backends.some((b) => b.online) ? html`` : noEngineHelp());
  });

  const toolsBox = root.querySelector("[data-tools]");
  loadTools().then((tools) => {
    if (!alive) return;
    render(toolsBox, tools.length ? html`${tools.map((tool) => toolCard(tool, { compact: true }))}` : html`<p class="muted">${t("picker.empty")}</p>`);
  }, () => alive && render(toolsBox, html`<p class="muted">${t("error.tools")}</p>`));
  toolsBox.addEventListener("click", async (event) => {
    const card = event.target.closest(".tool-card");
    if (!card) return;
    const tool = (await loadTools()).find((x) => x.id === card.dataset.tool);
    if (tool && isReady(tool)) navigate("studio", tool.id);
  });

  const recentBox = root.querySelector("[data-recent]");
  let recent = [];
  api.get("/api/jobs?status=finished&limit=8").then((data) => {
    if (!alive) return;
    recent = data.jobs || [];
    if (!recent.length) {
      render(recentBox, html`<p class="muted" data-testid="recent-empty">${t("dashboard.recent_empty")}</p>`);
      return;
    }
    recentBox.replaceChildren(...recent.map((job, i) => {
      const out = outputsOf(job)[0];
      return element(html`<button type="button" class="recent-item" data-index="${i}" data-testid="recent-item"
        aria-label="${job.prompt || t("job.no_prompt")}">
        ${out ? html`<img src="${imageSources(out).src}" srcset="${imageSources(out).srcset}" sizes="auto, 180px"
          alt="" loading="lazy" data-testid="recent-image">` : icon("image")}
      </button>`);
    }));
  }, () => alive && render(recentBox, html`<p class="muted">${t("error.offline")}</p>`));
  recentBox.addEventListener("click", (event) => {
    const item = event.target.closest(".recent-item");
    if (item) openLightbox(recent[Number(item.dataset.index)], 0);
  });

  return () => {
    alive = false;
    stopHud();
  };
}
