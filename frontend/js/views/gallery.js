// Gallery: my jobs as thumbnails with filters, search by prompt and infinite scroll.

import { createGalleryGrid } from "../components/gallery-grid.js";
import { openLightbox } from "../components/lightbox.js";
import { api, query } from "../lib/api.js";
import { loadTools } from "../lib/catalog.js";
import { html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";

const STATUSES = ["finished", "processing", "queued", "failed", "cancelled"];
const SEARCH_DEBOUNCE_MS = 300;

/** Mount the gallery view. */
export function mountGallery(root) {
  let alive = true;
  const filters = { status: "", tool: "", favorite: false, q: "" };
  render(root, html`<div class="view gallery-view" data-testid="view-gallery">
    <header class="view-head row">
      <h1>${t("gallery.title")}</h1>
      <button type="button" class="btn small" data-refresh data-testid="gallery-refresh">${icon("remix", { size: 16 })}${t("common.refresh")}</button>
    </header>
    <div class="filters glass" role="search">
      <label class="search"><span class="visually-hidden">${t("gallery.search")}</span>${icon("search", { size: 18 })}
        <input type="search" placeholder="${t("gallery.search")}" data-testid="gallery-search" autocomplete="off"></label>
      <label class="filter"><span class="visually-hidden">${t("gallery.status")}</span>
        <select data-filter="status" data-testid="filter-status">
          <option value="">${t("gallery.all_statuses")}</option>
          ${STATUSES.map((s) => html`<option value="${s}">${t(`status.${s}`)}</option>`)}
        </select></label>
      <label class="filter"><span class="visually-hidden">${t("gallery.tool")}</span>
        <select data-filter="tool" data-testid="filter-tool"><option value="">${t("gallery.all_tools")}</option></select></label>
      <button type="button" class="btn small toggle" aria-pressed="false" data-testid="filter-favorite">
        ${icon("heart", { size: 16 })}${t("gallery.favorites")}</button>
    </div>
    <div data-grid></div>
  </div>`);

  const toolNames = {};
  const grid = createGalleryGrid({
    toolNames,
    fetchPage: (offset, limit) => api.get(`/api/jobs${query({
      limit, offset, status: filters.status, tool: filters.tool, favorite: filters.favorite ? 1 : "", q: filters.q,
    })}`),
    onOpen: (job, changed) => openLightbox(job, 0, { onChange: changed }),
  });
  root.querySelector("[data-grid]").append(grid.el);

  loadTools().then((tools) => {
    if (!alive) return;
    for (const tool of tools) toolNames[tool.id] = localized(tool.name);
    const select = root.querySelector("[data-filter=tool]");
    for (const tool of tools) {
      const option = document.createElement("option");
      option.value = tool.id;
      option.textContent = localized(tool.name);
      select.append(option);
    }
  }, () => {});

  root.querySelector("[data-refresh]").addEventListener("click", () => grid.reset());
  for (const select of root.querySelectorAll("[data-filter]")) {
    select.addEventListener("change", () => {
      filters[select.dataset.filter] = select.value;
      grid.reset();
    });
  }
  const fav = root.querySelector("[data-testid=filter-favorite]");
  fav.addEventListener("click", () => {
    filters.favorite = !filters.favorite;
    fav.setAttribute("aria-pressed", String(filters.favorite));
    fav.classList.toggle("active", filters.favorite);
    grid.reset();
  });
  let timer = null;
  root.querySelector("[data-testid=gallery-search]").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = event.target.value.trim();
      if (q === filters.q) return;
      filters.q = q;
      grid.reset();
    }, SEARCH_DEBOUNCE_MS);
  });
  grid.reset();

  return () => {
    alive = false;
    clearTimeout(timer);
    grid.destroy();
  };
}
