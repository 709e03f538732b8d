// "Generate again": run the same request N times (1-10) or until stopped, one job after the
// other (the next is sent when the previous one has ended, so a series never meets the rate
// limit), each with a new seed: a random one, or with a locked seed the next number (seed+1).
// A failed job or a refused request ends the series, so a broken engine is not hammered.

import { element, html, setText } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { getJob, isTerminal, subscribe } from "../lib/store.js";

export const MAX_RUNS = 10;
const RANDOM_SEED_MAX = 4294967295; // page-chosen seeds stay short enough to read and type

/** Resolve when the job has ended (or is gone), or when `stop` is called; returns the job. */
function waitForEnd(jobId, stopSignal) {
  return new Promise((resolve) => {
    const check = () => {
      const job = getJob(jobId);
      if (!job || isTerminal(job) || stopSignal.stopped) {
        unsubscribe();
        stopSignal.wake = null;
        resolve(job);
      }
    };
    const unsubscribe = subscribe(check);
    stopSignal.wake = check;
    check();
  });
}

/** The body of run `index` (0-based) of a series: a new seed per run unless there is no seed. */
export function bodyForRun(body, index, seedMax) {
  if (!("seed" in body)) return body;
  if (body.seed === -1) return { ...body, seed: Math.floor(Math.random() * Math.min(RANDOM_SEED_MAX, seedMax)) };
  const next = body.seed + index;
  return { ...body, seed: next > seedMax ? next - seedMax - 1 : next };
}

/**
 * Build the controls. send(body, index) posts one request and resolves to the job id (or null
 * when it was refused; the caller has said why). Returns {el, start(body, seedMax), stop(), running()}.
 */
export function createRepeatControl({ send, onRunningChange = () => {} }) {
  const el = element(html`<div class="repeat" data-testid="repeat">
    <div class="repeat-row">
      <label class="repeat-count" for="repeat-count">${icon("repeat", { size: 16 })}<span>${t("studio_ux.runs")}</span></label>
      <input id="repeat-count" type="number" min="1" max="${MAX_RUNS}" step="1" value="1" inputmode="numeric"
        data-testid="repeat-count" aria-describedby="repeat-hint">
      <span class="field check"><input id="repeat-forever" type="checkbox" data-testid="repeat-forever">
        <label for="repeat-forever">${t("studio_ux.until_stopped")}</label></span>
    </div>
    <p class="hint" id="repeat-hint">${t("studio_ux.repeat_hint")}</p>
    <div class="repeat-live" hidden data-live>
      <p class="repeat-status" role="status" data-testid="repeat-status"></p>
      <button type="button" class="btn small danger" data-testid="repeat-stop">${icon("stop", { size: 16 })}${t("studio_ux.stop")}</button>
    </div>
  </div>`);
  const count = el.querySelector("[data-testid=repeat-count]");
  const forever = el.querySelector("[data-testid=repeat-forever]");
  const live = el.querySelector("[data-live]");
  const status = el.querySelector("[data-testid=repeat-status]");
  const stopButton = el.querySelector("[data-testid=repeat-stop]");
  let signal = null; // {stopped, wake} of the series in progress

  forever.addEventListener("change", () => (count.disabled = forever.checked));
  /** End the series in progress: nothing more is sent (the running job goes on). */
  function stop() {
    if (!signal) return;
    signal.stopped = true;
    signal.wake?.();
  }
  stopButton.addEventListener("click", stop);

  function runs() {
    if (forever.checked) return Infinity;
    const n = Math.round(Number(count.value));
    return Number.isFinite(n) ? Math.max(1, Math.min(MAX_RUNS, n)) : 1;
  }

  function finish(text) {
    signal = null;
    stopButton.hidden = true;
    setText(status, text);
    onRunningChange(false);
  }

  /** Send the series; a single run is just one send (no waiting). */
  async function start(body, seedMax) {
    const total = runs();
    if (total === 1) {
      live.hidden = true;
      await send(body, 0);
      return;
    }
    const mine = { stopped: false, wake: null };
    signal = mine;
    live.hidden = false;
    stopButton.hidden = false;
    onRunningChange(true);
    for (let i = 0; i < total; i += 1) {
      setText(status, total === Infinity ? t("studio_ux.run_forever", { n: i + 1 }) : t("studio_ux.run_of", { n: i + 1, total }));
      const jobId = await send(bodyForRun(body, i, seedMax), i);
      if (!jobId) return finish(t("studio_ux.refused", { n: i }));
      if (i === total - 1) break;
      const job = await waitForEnd(jobId, mine);
      if (mine.stopped) return finish(t("studio_ux.stopped", { n: i + 1 }));
      if (job?.status === "failed") return finish(t("studio_ux.failed_stop", { n: i + 1 }));
    }
    finish(t("studio_ux.done", { n: total }));
  }

  return { el, start, stop, running: () => Boolean(signal) };
}
