// The queue page's order: the order jobs run in. What ComfyUI executes first (and what is
// being saved), then what waits in ComfyUI's queue, what a worker prepares, then the studio's
// queue by position; ties oldest first.

import { stageOf } from "./job-stage.js";

const RANK = { storing: 0, running: 1, waiting_engine: 2, starting: 3, queued: 4 };

function since(job) {
  return String(job.started_at || job.created_at || "");
}

/** a before b (negative), after (positive) or the same (0) in run order. */
export function compareRunOrder(a, b) {
  const rank = (RANK[stageOf(a)] ?? 5) - (RANK[stageOf(b)] ?? 5);
  if (rank) return rank;
  if (stageOf(a) === "queued") {
    const pa = a.queue_position ?? Number.MAX_SAFE_INTEGER;
    const pb = b.queue_position ?? Number.MAX_SAFE_INTEGER;
    if (pa !== pb) return pa - pb;
    return String(a.created_at || "").localeCompare(String(b.created_at || "")) || a.job_id.localeCompare(b.job_id);
  }
  return since(a).localeCompare(since(b)) || a.job_id.localeCompare(b.job_id);
}

/** The jobs sorted in run order (a new array). */
export function runOrder(jobs) {
  return [...jobs].sort(compareRunOrder);
}
