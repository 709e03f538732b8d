// One job, live: status, progress bar, queue position, current step, preview, Cancel, results.

import { openLightbox } from "./lightbox.js";
import { createResultsGrid } from "./results-grid.js";
import { toastError } from "./toast.js";
import { element, html, render, safeUrl, setText } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { cancelJob } from "../lib/job-actions.js";
import { isTerminal } from "../lib/store.js";

function statusLine(job) {
  if (job.status === "queued") {
    return job.queue_position ? t("job.queued_position", { position: job.queue_position }) : t("job.queued");
  }
  if (job.status === "processing") {
    const parts = [t("job.processing")];
    if (job.step && job.step.max) parts.push(t("job.step", { value: job.step.value, max: job.step.max }));
    if (job.current_node) parts.push(job.current_node);
    return parts.join(" · ");
  }
  if (job.status === "failed") return job.error || t("status.failed");
  // The hint under the seed field promises the seed used is shown on the result.
  if (job.status === "finished" && job.seed !== null && job.seed !== undefined) {
    return t("job.finished_seed", { seed: job.seed });
  }
  return t(`status.${job.status}`);
}

/**
 * Create a card for a job. options: {toolName, lightboxOptions, showOwner}. Returns {el, update(job)}.
 */
export function createJobCard(job, { toolName = job.tool, lightboxOptions = {}, showOwner = false } = {}) {
  let latest = job;
  let resultsShown = false;
  const el = element(html`<article class="job-card glass" data-testid="job-card" data-job-id="${job.job_id}">
    <header class="job-head">
      <span class="badge" data-status-badge></span>
      <span class="job-tool">${toolName}</span>
      ${showOwner ? html`<span class="chip static job-owner" data-testid="job-owner">${icon("user", { size: 14 })}${job.username || job.user_id || "?"}</span>` : ""}
      <time class="muted small" datetime="${job.created_at || ""}">${formatDate(job.created_at)}</time>
      <button type="button" class="btn small danger" data-cancel data-testid="cancel-button">${icon("stop", { size: 16 })}${t("job.cancel")}</button>
    </header>
    <p class="job-prompt">${job.prompt || t("job.no_prompt")}</p>
    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-label="${t("job.progress")}"
      data-testid="progress-bar"><div class="progress-fill"></div></div>
    <p class="job-status" aria-live="polite" data-testid="job-status"></p>
    <p class="job-engine-note" data-testid="job-engine-note">${icon("engine", { size: 16 })}<span>${t("shell.engine_wait_note")}</span></p>
    <img class="job-preview" alt="${t("job.preview")}" data-testid="job-preview" hidden>
    <div class="job-results"></div>
  </article>`);
  const badge = el.querySelector("[data-status-badge]");
  const bar = el.querySelector(".progress");
  const fill = el.querySelector(".progress-fill");
  const status = el.querySelector(".job-status");
  const preview = el.querySelector(".job-preview");
  const cancel = el.querySelector("[data-cancel]");
  const results = el.querySelector(".job-results");

  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      await cancelJob(latest.job_id);
    } catch (err) {
      cancel.disabled = false;
      toastError(err, t);
    }
  });

  function update(next) {
    latest = next;
    const progress = next.status === "finished" ? 100 : Math.max(0, Math.min(100, Number(next.progress) || 0));
    el.dataset.status = next.status;
    badge.className = `badge badge-${next.status}`;
    badge.textContent = t(`status.${next.status}`);
    bar.setAttribute("aria-valuenow", String(progress));
    bar.setAttribute("aria-valuetext", `${progress}%`);
    bar.hidden = isTerminal(next) && next.status !== "finished";
    fill.style.width = `${progress}%`; // CSSOM, allowed by a CSP without 'unsafe-inline'
    setText(status, next.status === "processing" ? `${progress}% · ${statusLine(next)}` : statusLine(next));
    status.classList.toggle("field-error", next.status === "failed");
    cancel.hidden = isTerminal(next);
    const showPreview = next.status === "processing" && next.preview_url;
    preview.hidden = !showPreview;
    if (showPreview && preview.getAttribute("src") !== next.preview_url) preview.src = safeUrl(next.preview_url);
    if (next.status === "finished" && !resultsShown) {
      resultsShown = true;
      render(results, html``);
      results.append(createResultsGrid(next, { onOpen: (i) => openLightbox(latest, i, lightboxOptions) }));
      bar.hidden = true;
    }
  }
  update(job);
  return { el, update, job: () => latest };
}
