// Gallery grid: thumbnails only, loaded 30 at a time as the sentinel scrolls into view.

import { outputsOf } from "./results-grid.js";
import { toastError } from "./toast.js";
import { element, html, render } from "../lib/html.js";
import { formatDate, localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { deleteJob, downloadName, remixJob, setFavorite } from "../lib/job-actions.js";

export const PAGE_SIZE = 30;
/** How far below the viewport the sentinel counts as near enough to fetch the next page. */
const NEAR_PX = 400;

function cardMarkup(job, toolNames) {
  const outputs = outputsOf(job);
  const first = outputs[0];
  const fav = Boolean(job.favorite);
  return html`<article class="gallery-item glass" data-testid="gallery-item" data-job-id="${job.job_id}" data-status="${job.status}">
    <button type="button" class="thumb" data-open data-testid="gallery-open">
      <span class="visually-hidden">${t("gallery_ux.open_image")}</span>
      ${first
        ? html`<img src="${first.thumb_url || first.url}" alt="" loading="lazy" decoding="async" data-testid="gallery-thumb">`
        : html`<span class="thumb-empty">${icon(job.status === "failed" ? "alert" : "image", { size: 32 })}</span>`}
      ${outputs.length > 1 ? html`<span class="count-badge">${outputs.length}</span>` : ""}
      <span class="badge badge-${job.status}">${t(`status.${job.status}`)}</span>
    </button>
    <div class="gallery-body">
      <p class="clamp-2">${job.prompt || t("job.no_prompt")}</p>
      <div class="chips">
        <span class="chip static">${toolNames[job.tool] || job.tool}</span>
        ${job.aspect_ratio ? html`<span class="chip static">${job.aspect_ratio}</span>` : ""}
      </div>
      <time class="muted small" datetime="${job.created_at || ""}">${formatDate(job.created_at)}</time>
      <div class="card-actions">
        <button type="button" class="icon-btn ${fav ? "active" : ""}" data-favorite data-testid="favorite-button"
          aria-pressed="${fav ? "true" : "false"}" aria-label="${t("job.favorite")}">${icon("heart", { size: 18 })}</button>
        <button type="button" class="icon-btn" data-remix data-testid="remix-button" aria-label="${t("job.remix")}">${icon("remix", { size: 18 })}</button>
        ${first ? html`<a class="icon-btn" href="${first.url}" download="${downloadName(job, 0)}" data-testid="download-button"
          aria-label="${t("common.download")}">${icon("download", { size: 18 })}</a>` : ""}
        <button type="button" class="icon-btn danger" data-delete data-testid="delete-button" aria-label="${t("common.delete")}">${icon("trash", { size: 18 })}</button>
      </div>
    </div>
  </article>`;
}

/**
 * Create the grid. fetchPage(offset, limit) resolves to {total, jobs}; onOpen(job, refresh) opens
 * the lightbox. Returns {el, reset(), destroy()}.
 */
export function createGalleryGrid({ fetchPage, onOpen, toolNames = {} }) {
  const el = element(html`<div class="gallery">
    <div class="gallery-grid" data-testid="gallery-grid"></div>
    <p class="gallery-state" aria-live="polite" data-testid="gallery-state"></p>
    <div class="sentinel" aria-hidden="true"></div>
  </div>`);
  const grid = el.querySelector(".gallery-grid");
  const stateLine = el.querySelector(".gallery-state");
  const sentinel = el.querySelector(".sentinel");
  const jobs = new Map();
  let offset = 0;
  let total = null;
  let loading = false;
  let generation = 0; // bumps on reset so late pages of an old query are dropped

  function drawCard(job) {
    const card = element(cardMarkup(job, toolNames));
    const existing = grid.querySelector(`[data-job-id="${CSS.escape(job.job_id)}"]`);
    if (existing) existing.replaceWith(card);
    else grid.append(card);
  }

  function drawState(extra = null) {
    if (extra) render(stateLine, extra);
    else if (total === 0) render(stateLine, html`${t("gallery.empty")}`);
    else if (total !== null && offset >= total) render(stateLine, html`${t("gallery.end", { total })}`);
    else render(stateLine, html``);
  }

  async function loadMore() {
    if (loading || (total !== null && offset >= total)) return;
    loading = true;
    const mine = generation;
    drawState(html`${t("common.loading")}`);
    try {
      const page = await fetchPage(offset, PAGE_SIZE);
      if (mine !== generation) return;
      total = page.total;
      offset += page.jobs.length;
      if (page.jobs.length === 0) total = offset; // the server says more, but sent none: stop
      for (const job of page.jobs) {
        jobs.set(job.job_id, job);
        drawCard(job);
      }
      drawState();
    } catch (err) {
      if (mine !== generation) return;
      drawState(html`${t("gallery.error")} <button type="button" class="btn small" data-retry>${t("common.retry")}</button>`);
      toastError(err, t);
      return; // the Retry button goes on, not a loop of failing requests
    } finally {
      if (mine === generation) loading = false;
    }
    // A tall screen may show the sentinel still: keep filling until it scrolls out of view.
    // Looked at in the next frame, where the observer looks too. Checked at once, a scroll to
    // the bottom between this load and that frame was missed: the sentinel, intersecting before
    // the load and again after the scroll, gave the observer no change to report, and paging
    // stopped for good.
    requestAnimationFrame(() => {
      if (mine === generation && isSentinelVisible()) loadMore();
    });
  }

  // The observer and the after-load check must agree on "near": with a narrower check, a sentinel
  // that stayed inside the observer's margin through a load fired no new event and paging stopped.
  function isSentinelVisible() {
    const rect = sentinel.getBoundingClientRect();
    return rect.top < window.innerHeight + NEAR_PX && (total === null || offset < total);
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: `${NEAR_PX}px 0px` });
  observer.observe(sentinel);

  el.addEventListener("click", async (event) => {
    if (event.target.closest("[data-retry]")) return loadMore();
    const card = event.target.closest(".gallery-item");
    if (!card) return;
    const job = jobs.get(card.dataset.jobId);
    try {
      if (event.target.closest("[data-open]")) onOpen(job, (updated) => applyChange(job.job_id, updated));
      else if (event.target.closest("[data-remix]")) remixJob(job);
      else if (event.target.closest("[data-favorite]")) applyChange(job.job_id, await setFavorite(job, !job.favorite));
      else if (event.target.closest("[data-delete]") && (await deleteJob(job))) applyChange(job.job_id, null);
    } catch (err) {
      toastError(err, t);
    }
  });

  /** Redraw (job) or remove (null) one card after an action. */
  function applyChange(jobId, updated) {
    if (updated) {
      jobs.set(jobId, updated);
      drawCard(updated);
    } else {
      jobs.delete(jobId);
      grid.querySelector(`[data-job-id="${CSS.escape(jobId)}"]`)?.remove();
      offset = Math.max(0, offset - 1);
      if (total !== null) total -= 1;
      drawState();
    }
  }

  function reset() {
    generation += 1;
    loading = false;
    offset = 0;
    total = null;
    jobs.clear();
    grid.replaceChildren();
    loadMore();
  }

  return { el, reset, destroy: () => observer.disconnect() };
}
