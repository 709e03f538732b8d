// Queue: my active jobs with live progress and Cancel.

import { createJobCard } from "../components/job-card.js";
import { toastError } from "../components/toast.js";
import { loadTools } from "../lib/catalog.js";
import { resync } from "../lib/events.js";
import { html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { activeJobs, subscribe } from "../lib/store.js";

/** Mount the queue view. */
export function mountQueue(root) {
  render(root, html`<div class="view queue-view" data-testid="view-queue">
    <header class="view-head"><h1>${t("queue.title")}</h1><p class="muted">${t("queue.subtitle")}</p></header>
    <section class="jobs" data-testid="queue-list" aria-label="${t("queue.title")}"></section>
    <p class="empty muted" data-testid="queue-empty" hidden>${t("queue.empty")}</p>
  </div>`);
  const list = root.querySelector("[data-testid=queue-list]");
  const empty = root.querySelector("[data-testid=queue-empty]");
  const cards = new Map();
  const toolNames = {};

  function sync(changed) {
    if (changed && cards.has(changed.job_id)) {
      const card = cards.get(changed.job_id);
      card.update(changed);
      // Keep a job that just ended visible with its final state; it goes on the next visit.
      if (changed.deleted) (card.el.remove(), cards.delete(changed.job_id));
    }
    for (const job of activeJobs()) {
      if (cards.has(job.job_id)) continue;
      const card = createJobCard(job, { toolName: toolNames[job.tool] || job.tool });
      cards.set(job.job_id, card);
      list.append(card.el);
    }
    empty.hidden = cards.size > 0;
  }
  const unsubscribe = subscribe(sync);
  loadTools().then((tools) => {
    for (const tool of tools) toolNames[tool.id] = localized(tool.name);
  }, () => {}).finally(() => {
    sync();
    resync().catch((err) => toastError(err, t));
  });
  return unsubscribe;
}
