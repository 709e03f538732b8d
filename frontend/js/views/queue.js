// Queue: my active jobs with live progress and Cancel; admins can switch to everyone's jobs.

import { createJobCard } from "../components/job-card.js";
import { toastError } from "../components/toast.js";
import { api } from "../lib/api.js";
import { loadTools } from "../lib/catalog.js";
import { resync } from "../lib/events.js";
import { html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { isAdmin } from "../lib/session.js";
import { activeJobs, getJob, isTerminal, subscribe, upsertJob } from "../lib/store.js";

const EVERYONE_POLL_MS = 3000; // others' jobs are not on my event stream: poll while shown

/** Mount the queue view. */
export function mountQueue(root) {
  const admin = isAdmin();
  render(root, html`<div class="view queue-view" data-testid="view-queue">
    <header class="view-head row"><div><h1>${t("queue.title")}</h1><p class="muted" data-subtitle>${t("queue.subtitle")}</p></div>
      ${admin ? html`<button type="button" class="btn" aria-pressed="false" data-testid="queue-everyone">
        ${icon("user", { size: 18 })}${t("queue.everyone")}</button>` : ""}</header>
    <section class="jobs" data-testid="queue-list" aria-label="${t("queue.title")}"></section>
    <p class="empty muted" data-testid="queue-empty" hidden>${t("queue.empty")}</p>
  </div>`);
  const list = root.querySelector("[data-testid=queue-list]");
  const empty = root.querySelector("[data-testid=queue-empty]");
  const subtitle = root.querySelector("[data-subtitle]");
  const toggle = root.querySelector("[data-testid=queue-everyone]");
  const cards = new Map();
  const toolNames = {};
  let everyone = false;
  let others = new Map(); // everyone view: job id -> job from GET /api/jobs?all=1
  let names = null; // user id -> user name (the jobs carry the owner's id)
  let timer = null;
  let alive = true;

  function addCard(job) {
    const card = createJobCard(job, { toolName: toolNames[job.tool] || job.tool, showOwner: everyone });
    cards.set(job.job_id, card);
    list.append(card.el);
  }
  function sync(changed) {
    if (changed && cards.has(changed.job_id)) {
      const card = cards.get(changed.job_id);
      card.update(everyone ? { ...others.get(changed.job_id), ...changed } : changed);
      // Keep a job that just ended visible with its final state; it goes on the next visit.
      if (changed.deleted) (card.el.remove(), cards.delete(changed.job_id));
    }
    const jobs = everyone ? [...others.values()].filter((job) => !isTerminal(job)) : activeJobs();
    for (const job of jobs) if (!cards.has(job.job_id)) addCard(job);
    empty.hidden = cards.size > 0;
  }

  const named = (job) => ({ ...job, username: job.username || names?.get(job.user_id) || String(job.user_id ?? "?") });

  async function pollEveryone() {
    timer = null;
    try {
      if (!names) {
        const { users = [] } = await api.get("/api/users");
        names = new Map(users.map((user) => [user.id, user.username]));
      }
      const data = await api.get("/api/jobs?all=1&active=1&limit=100");
      if (!alive || !everyone) return;
      const listed = new Map((data.jobs || []).map((job) => [job.job_id, named(job)]));
      for (const [id, card] of cards) {
        // A job that left the active list ended: fetch its end state (admins may read any job).
        if (!listed.has(id) && !isTerminal(card.job())) {
          api.get(`/api/status/${encodeURIComponent(id)}`).then((job) => alive && card.update(named(job)), () => {});
        }
      }
      others = listed;
      for (const job of listed.values()) {
        if (getJob(job.job_id)) upsertJob(data.jobs.find((j) => j.job_id === job.job_id)); // mine: the store too
        cards.get(job.job_id)?.update(job);
      }
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
    for (const card of cards.values()) card.el.remove();
    cards.clear();
    others = new Map();
    names = null; // users come and go: ask again each time the view is switched on
    toggle?.setAttribute("aria-pressed", String(on));
    subtitle.textContent = on ? t("queue.everyone_subtitle") : t("queue.subtitle");
    if (on) pollEveryone();
    else sync();
  }
  toggle?.addEventListener("click", () => setEveryone(!everyone));

  const unsubscribe = subscribe(sync);
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
