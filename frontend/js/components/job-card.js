// One job, live: status, progress bar, queue position, current step, preview, Cancel, results.

import { openLightbox } from "./lightbox.js";
import { createResultsGrid } from "./results-grid.js";
import { toastError } from "./toast.js";
import { element, html, render, safeUrl, setText } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { cancelJob } from "../lib/job-actions.js";
import { activeStatusLine, engineNote, paintProgress } from "../lib/job-stage.js";
import { isTerminal } from "../lib/store.js";

function statusLine(job) {
  const active = activeStatusLine(job); // queued, starting, waiting in ComfyUI, running, storing
  if (active !== null) return active;
  if (job.status === "failed") return job.error || t("status.failed");
  // The hint under the seed field promises the seed used is shown on the result.
  if (job.status === "finished" && job.seed !== null && job.seed !== undefined) {
    return t("job.finished_seed", { seed: job.seed });
  }
  return t(`status.${job.status}`);
}

/**
 * Create a card for a job. options: {toolName, lightboxOptions, showOwner, onRetry(job)}; a failed
 * card offers Retry when onRetry is given. Returns {el, update(job)}. The card can take focus
 * (the studio moves focus to a new job) and is named by its tool and prompt.
 */
export function createJobCard(job, { toolName = job.tool, lightboxOptions = {}, showOwner = false, onRetry = null } = {}) {
  let latest = job;
  let resultsShown = false;
  const base = `job-${String(job.job_id).replace(/[^\w-]/g, "")}`;
  const el = element(html`<article class="job-card glass" data-testid="job-card" data-job-id="${job.job_id}" tabindex="-1"
    aria-labelledby="${base}-tool ${base}-prompt" aria-describedby="${base}-status">
    <header class="job-head">
      <span class="badge" data-status-badge></span>
      <span class="job-tool" id="${base}-tool">${toolName}</span>
      ${showOwner ? html`<span class="chip static job-owner" data-testid="job-owner">${icon("user", { size: 14 })}${job.username || job.user_id || "?"}</span>` : ""}
      <time class="muted small" datetime="${job.created_at || ""}">${formatDate(job.created_at)}</time>
      <button type="button" class="btn small danger" data-cancel data-testid="cancel-button">${icon("stop", { size: 16 })}${t("job.cancel")}</button>
      ${onRetry ? html`<button type="button" class="btn small" data-retry data-testid="retry-button" hidden>${icon("repeat", { size: 16 })}${t("common.retry")}</button>` : ""}
    </header>
    <p class="job-prompt" id="${base}-prompt">${job.prompt || t("job.no_prompt")}</p>
    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-label="${t("job.progress")}"
      data-testid="progress-bar"><div class="progress-fill"></div></div>
    <p class="job-status" aria-live="polite" data-testid="job-status" id="${base}-status"></p>
    ${engineNote()}
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

  const retry = el.querySelector("[data-retry]");
  retry?.addEventListener("click", async () => {
    retry.disabled = true;
    try {
      await onRetry(latest);
    } finally {
      retry.disabled = false;
    }
  });

  wireCancel(cancel, () => latest.job_id);

  function update(next) {
    latest = next;
    paintProgress({ el, badge, bar, fill }, next);
    bar.hidden = isTerminal(next) && next.status !== "finished";
    setText(status, statusLine(next));
    status.classList.toggle("field-error", next.status === "failed");
    cancel.hidden = isTerminal(next);
    if (retry) retry.hidden = next.status !== "failed";
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

/** Make `button` cancel the job `jobId()` names: disabled while asking, enabled again on an error. */
export function wireCancel(button, jobId) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await cancelJob(jobId());
    } catch (err) {
      button.disabled = false;
      toastError(err, t);
    }
  });
}
