// Where an active job is, in words: the job's `stage` (docs/API.md) read the way the server
// derives it, and the badge and status line the job card and the queue row show for it.
// A job waiting in ComfyUI's own queue is not "0% Generating": nothing runs yet.

import { html } from "./html.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";

const PROCESSING_STAGES = new Set(["starting", "waiting_engine", "running", "storing"]);

/** queued | starting | waiting_engine | running | storing, or null once the job ended. */
export function stageOf(job) {
  if (job.status === "queued") return "queued";
  if (job.status !== "processing") return null;
  if (PROCESSING_STAGES.has(job.stage)) return job.stage;
  return Number(job.progress) > 0 ? "running" : "starting"; // no word from the worker yet
}

/** True when the job's progress means something (it runs or is being saved). */
export function showsProgress(job) {
  const stage = stageOf(job);
  return stage === "running" || stage === "storing" || job.status === "finished";
}

/** The badge: {text, tone} where tone is the status whose colour it takes. */
export function badgeOf(job) {
  const stage = stageOf(job);
  if (stage === "starting" || stage === "waiting_engine") return { text: t("queue_ux.badge_waiting"), tone: "queued" };
  return { text: t(`status.${job.status}`), tone: job.status };
}

/** The job's progress as a whole percentage, 0-100 (100 once finished). */
export function percentOf(job) {
  return job.status === "finished" ? 100 : Math.max(0, Math.min(100, Math.round(Number(job.progress) || 0)));
}

/** The status line of an active job, or null for an ended one (the card words those itself). */
export function activeStatusLine(job) {
  const stage = stageOf(job);
  if (stage === "queued") {
    return job.queue_position ? t("job.queued_position", { position: job.queue_position }) : t("job.queued");
  }
  if (stage === "starting") return t("queue_ux.stage_starting");
  if (stage === "waiting_engine") return t("queue_ux.stage_waiting_engine");
  if (stage === "storing") return `${percentOf(job)}% · ${t("queue_ux.stage_storing")}`;
  if (stage === "running") {
    const parts = [`${percentOf(job)}%`, t("job.processing")];
    if (job.step && job.step.max) parts.push(t("job.step", { value: job.step.value, max: job.step.max }));
    if (job.current_node) parts.push(job.current_node);
    return parts.join(" · ");
  }
  return null;
}

/**
 * Draw where a job is on its card or queue row: data-status/-stage, the badge, the progress bar
 * (an empty, pulsing bar while it waits, never "0%"). `parts`: {el, badge, bar, fill}.
 */
export function paintProgress({ el, badge, bar, fill }, job) {
  const progress = percentOf(job);
  const shown = badgeOf(job);
  el.dataset.status = job.status;
  el.dataset.stage = stageOf(job) || "";
  badge.className = `badge badge-${shown.tone}`;
  badge.textContent = shown.text;
  bar.setAttribute("aria-valuenow", String(progress));
  bar.setAttribute("aria-valuetext", `${progress}%`);
  bar.classList.toggle("idle", !showsProgress(job));
  fill.style.width = `${progress}%`; // CSSOM, allowed by a CSP without 'unsafe-inline'
}

/** The line an active job's card or row shows while ComfyUI is down (the shell's .engine-down shows it). */
export function engineNote() {
  return html`<p class="job-engine-note" data-testid="job-engine-note">${icon("engine", { size: 16 })}<span>${t("shell.engine_wait_note")}</span></p>`;
}
