// Client-side job state: jobs by id, with subscribers notified on every change.

const TERMINAL = new Set(["finished", "failed", "cancelled"]);
const jobs = new Map();
const listeners = new Set();

/** True when a job will not change any more. */
export function isTerminal(job) {
  return TERMINAL.has(job.status);
}

function notify(job) {
  for (const fn of listeners) fn(job);
}

/** Insert or update a job from the API or SSE; progress never goes backwards within an attempt. */
export function upsertJob(job) {
  if (!job || !job.job_id) return;
  const prev = jobs.get(job.job_id);
  if (prev && isTerminal(prev) && !isTerminal(job)) return; // a late SSE event after the end
  // Progress is monotonic within an attempt, so a lower value is a stale snapshot (e.g. a resync
  // response that left the server before the SSE event we already applied): drop it whole.
  if (
    prev && prev.status === "processing" && job.status === "processing" &&
    (job.attempts ?? 0) <= (prev.attempts ?? 0) && (job.progress ?? 0) < (prev.progress ?? 0)
  ) {
    return;
  }
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
