// Queue: my active jobs in the order they run, as compact rows with live progress and Cancel,
// and "Cancel all my jobs"; admins can switch to everyone's. A job that ends leaves the list.

import { createQueueRow } from "../components/queue-row.js";
import { toast, toastError } from "../components/toast.js";
import { api } from "../lib/api.js";
import { loadTools } from "../lib/catalog.js";
import { resync } from "../lib/events.js";
import { html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { cancelAllJobs } from "../lib/job-actions.js";
import { runOrder } from "../lib/queue-order.js";
import { isAdmin } from "../lib/session.js";
import { activeJobs, getJob, isTerminal, subscribe, upsertJob } from "../lib/store.js";

const EVERYONE_POLL_MS = 3000; // others' jobs are not on my event stream: poll while shown

/** Mount the queue view. */
export function mountQueue(root) {
  const admin = isAdmin();
  render(root, html`<div class="view queue-view" data-testid="view-queue">
    <header class="view-head row"><div><h1>${t("queue.title")}</h1><p class="muted" data-subtitle>${t("queue.subtitle")}</p></div>
      <div class="queue-actions">
        ${admin ? html`<button type="button" class="btn" aria-pressed="false" data-testid="queue-everyone">
          ${icon("user", { size: 18 })}${t("queue.everyone")}</button>` : ""}
        <button type="button" class="btn danger" data-testid="queue-cancel-all" hidden>
          ${icon("stop", { size: 18 })}${t("queue_ux.cancel_all")}</button>
      </div></header>
    <ol class="queue-list" data-testid="queue-list" aria-label="${t("queue.title")}"></ol>
    <p class="empty muted" data-testid="queue-empty" hidden>${t("queue.empty")}</p>
  </div>`);
  const list = root.querySelector("[data-testid=queue-list]");
  const empty = root.querySelector("[data-testid=queue-empty]");
  const subtitle = root.querySelector("[data-subtitle]");
  const toggle = root.querySelector("[data-testid=queue-everyone]");
  const cancelAll = root.querySelector("[data-testid=queue-cancel-all]");
  const rows = new Map(); // job id -> row of a job still active
  const toolNames = {};
  let everyone = false;
  let others = new Map(); // everyone view: job id -> job from GET /api/jobs?all=1
  let names = null; // user id -> user name (the jobs carry the owner's id)
  let timer = null;
  let alive = true;

  const named = (job) => ({ ...job, username: job.username || names?.get(job.user_id) || String(job.user_id ?? "?") });

  // What is shown: my active jobs from the store, or everyone's from the last poll with my
  // own taken from the store (the event stream keeps those newer than the poll).
  function shownJobs() {
    if (!everyone) return activeJobs();
    return [...others.values()].map((job) => ({ ...job, ...getJob(job.job_id) })).filter((job) => !isTerminal(job));
  }

  function sync() {
    const jobs = runOrder(shownJobs());
    const ids = new Set(jobs.map((job) => job.job_id));
    for (const [id, row] of rows) {
      if (!ids.has(id)) {
        rows.delete(id);
        row.leave(getJob(id)); // ended (or deleted): its last state, then it fades out
      }
    }
    for (const job of jobs) {
      if (rows.has(job.job_id)) {
        rows.get(job.job_id).update(job);
      } else {
        const row = createQueueRow(job, { toolName: toolNames[job.tool] || job.tool, showOwner: everyone });
        rows.set(job.job_id, row);
        list.append(row.el);
      }
    }
    // Move rows only when the order changed: moving a focused button would drop its focus.
    const wanted = jobs.map((job) => rows.get(job.job_id).el);
    const current = [...list.children].filter((el) => !el.classList.contains("leaving"));
    if (wanted.some((el, i) => current[i] !== el)) list.append(...wanted);
    empty.hidden = jobs.length > 0;
    cancelAll.hidden = activeJobs().length === 0; // my own jobs, also in the everyone view
  }

  async function pollEveryone() {
    timer = null;
    try {
      if (!names) {
        const { users = [] } = await api.get("/api/users");
        names = new Map(users.map((user) => [user.id, user.username]));
      }
      const data = await api.get("/api/jobs?all=1&active=1&limit=100");
      if (!alive || !everyone) return;
      for (const job of data.jobs || []) if (getJob(job.job_id)) upsertJob(job); // mine: the store too
      others = new Map((data.jobs || []).map((job) => [job.job_id, named(job)]));
      sync();
    } catch (err) {
      if (alive) toastError(err, t);
    }
    if (alive && everyone) timer = setTimeout(pollEveryone, EVERYONE_POLL_MS);
  }

  function setEveryone(on) {
    everyone = on;
    clearTimeout(timer);
    timer = null;
    for (const row of rows.values()) row.el.remove(); // rebuilt with or without the owner
    rows.clear();
    others = new Map();
    names = null; // users come and go: ask again each time the view is switched on
    toggle?.setAttribute("aria-pressed", String(on));
    subtitle.textContent = on ? t("queue.everyone_subtitle") : t("queue.subtitle");
    if (on) pollEveryone();
    else sync();
  }
  toggle?.addEventListener("click", () => setEveryone(!everyone));

  cancelAll.addEventListener("click", async () => {
    const count = activeJobs().length;
    if (!count || !window.confirm(t("queue_ux.confirm_cancel_all", { count }))) return;
    cancelAll.disabled = true;
    try {
      const { cancelled } = await cancelAllJobs();
      toast(t("queue_ux.cancelled_all", { count: cancelled.length }), "success");
    } catch (err) {
      toastError(err, t);
    } finally {
      cancelAll.disabled = false;
    }
  });

  const unsubscribe = subscribe(() => sync());
  loadTools().then((tools) => {
    for (const tool of tools) toolNames[tool.id] = localized(tool.name);
  }, () => {}).finally(() => {
    sync();
    resync().catch((err) => toastError(err, t));
  });
  return () => {
    alive = false;
    clearTimeout(timer);
    unsubscribe();
  };
}
