// The tab's title tells a person in another tab how their jobs are doing:
// "42% · 2 running — ComfyUI Studio" (the mean progress of the running jobs),
// "3 queued — ComfyUI Studio" while they wait, the plain title when nothing is active.

import { onLanguageChange, t } from "./i18n.js";
import { activeJobs, subscribe } from "./store.js";

/** The title for the jobs this page knows of. */
export function titleFor(active) {
  const title = t("app.title");
  const running = active.filter((job) => job.status === "processing");
  if (running.length) {
    const sum = running.reduce((acc, job) => acc + Math.max(0, Math.min(100, Number(job.progress) || 0)), 0);
    const percent = Math.round(sum / running.length);
    return t("shell.title_running", { percent, count: running.length, title });
  }
  if (active.length) return t("shell.title_queued", { count: active.length, title });
  return title;
}

/** Keep document.title in step with the store and the language; returns the cleanup. */
export function followJobsInTitle() {
  const update = () => {
    const next = titleFor(activeJobs());
    if (document.title !== next) document.title = next;
  };
  const stops = [subscribe(update), onLanguageChange(update)];
  update();
  return () => stops.forEach((stop) => stop());
}
