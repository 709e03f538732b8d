// One active job as a compact queue row: badge, tool, prompt, a thin progress bar, where it
// is (waiting in the queue, in ComfyUI's queue, running...), a small live preview, Cancel.
// A row whose job ended fades out and removes itself (`leave`).

import { wireCancel } from "./job-card.js";
import { element, html, safeUrl, setText } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { activeStatusLine, engineNote, paintProgress } from "../lib/job-stage.js";

const LEAVE_MS = 400; // the fade's length in app.css, and the latest a leaving row goes

/** Create a row for a job. options: {toolName, showOwner}. Returns {el, update(job), leave(job), job()}. */
export function createQueueRow(job, { toolName = job.tool, showOwner = false } = {}) {
  let latest = job;
  const el = element(html`<li class="queue-row glass" data-testid="queue-row" data-job-id="${job.job_id}">
    <img class="queue-preview" alt="${t("job.preview")}" data-testid="job-preview" hidden>
    <div class="queue-main">
      <div class="queue-head">
        <span class="badge" data-status-badge></span>
        <span class="job-tool">${toolName}</span>
        ${showOwner ? html`<span class="chip static job-owner" data-testid="job-owner">${icon("user", { size: 14 })}${job.username || job.user_id || "?"}</span>` : ""}
        <span class="queue-prompt" title="${job.prompt || ""}">${job.prompt || t("job.no_prompt")}</span>
      </div>
      <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-label="${t("job.progress")}"
        data-testid="progress-bar"><div class="progress-fill"></div></div>
      <p class="job-status" aria-live="polite" data-testid="job-status"></p>
      ${engineNote()}
    </div>
    <button type="button" class="btn small danger" data-testid="cancel-button">${icon("stop", { size: 16 })}${t("job.cancel")}</button>
  </li>`);
  const badge = el.querySelector("[data-status-badge]");
  const bar = el.querySelector(".progress");
  const fill = el.querySelector(".progress-fill");
  const status = el.querySelector(".job-status");
  const preview = el.querySelector(".queue-preview");
  const cancel = el.querySelector("[data-testid=cancel-button]");

  wireCancel(cancel, () => latest.job_id);

  function update(next) {
    latest = next;
    paintProgress({ el, badge, bar, fill }, next);
    setText(status, activeStatusLine(next) ?? t(`status.${next.status}`));
    const showPreview = next.status === "processing" && next.preview_url;
    preview.hidden = !showPreview;
    if (showPreview && preview.getAttribute("src") !== next.preview_url) preview.src = safeUrl(next.preview_url);
  }

  /** The job ended or went: show its last state, fade out, then leave the list. */
  function leave(last) {
    if (last && !last.deleted) update(last);
    cancel.disabled = true;
    el.classList.add("leaving");
    const remove = () => el.remove();
    el.addEventListener("animationend", remove, { once: true });
    setTimeout(remove, LEAVE_MS + 100); // also when no animation runs (reduced motion, hidden tab)
  }

  update(job);
  return { el, update, leave, job: () => latest };
}
