// Client-side state: jobs by id (subscribers notified on every change) and the studio's form
// drafts by tool, which outlive a view and an expired session (not a logout).

const TERMINAL = new Set(["finished", "failed", "cancelled"]);
const jobs = new Map();
const listeners = new Set();
const drafts = new Map(); // tool id -> form state

/** True when a job will not change any more. */
export function isTerminal(job) {
  return TERMINAL.has(job.status);
}

function notify(job) {
  for (const fn of listeners) fn(job);
}

// Which of two snapshots of a job is newer. Every server answer and SSE event carries `seq`,
// the version of the job's live state it was made from (docs/API.md): keep the higher one; on
// equal seq keep what we have (a reply is never newer than the event of the same version).
// A terminal status wins over a non-terminal one whatever the seqs: the states after the end
// do not exist, so such a snapshot is always the stale one (e.g. a worker's progress event
// published after a cancel, or the page's own cancel before the event arrives).
function isNewer(next, prev) {
  if (isTerminal(next) !== isTerminal(prev)) return isTerminal(next);
  return (next.seq ?? 0) > (prev.seq ?? 0);
}

/** Insert or update a job from the API or SSE; a snapshot older than the one we hold is dropped. */
export function upsertJob(job) {
  if (!job || !job.job_id) return;
  const prev = jobs.get(job.job_id);
  if (prev && !isNewer(job, prev)) return;
  const next = { ...prev, ...job };
  jobs.set(job.job_id, next);
  notify(next);
}

/** Forget a job (deleted from the gallery). */
export function removeJob(jobId) {
  const prev = jobs.get(jobId);
  if (!prev) return;
  jobs.delete(jobId);
  notify({ ...prev, deleted: true });
}

/** The job with this id, or undefined. */
export function getJob(jobId) {
  return jobs.get(jobId);
}

/** All known jobs, newest first. */
export function allJobs() {
  return [...jobs.values()].sort((a, b) => String(b.created_at || "").localeCompare(String(a.created_at || "")));
}

/** Jobs that are queued or processing, newest first. */
export function activeJobs() {
  return allJobs().filter((job) => !isTerminal(job));
}

/** Call fn(job) on every change; returns the unsubscribe function. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Keep the studio form of a tool (prompt, settings, inputs) until it is shown again. */
export function saveDraft(toolId, draft) {
  drafts.set(toolId, draft);
}

/** The saved form of a tool, or undefined. */
export function draftFor(toolId) {
  return drafts.get(toolId);
}

/** Forget every job and draft (another user signed in, or this one logged out). */
export function clearAll() {
  const gone = [...jobs.values()];
  jobs.clear();
  drafts.clear();
  for (const job of gone) notify({ ...job, deleted: true });
}
