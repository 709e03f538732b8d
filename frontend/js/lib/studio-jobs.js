// The studio's job requests: send one (POST /api/generate into the store), a failed job's own
// request again (Retry), and the tool's recent jobs after a reload.

import { api, randomKey } from "./api.js";
import { startEvents } from "./events.js";
import { getJob, upsertJob } from "./store.js";

export const RECENT_JOBS = 6; // how many of the tool's last jobs a reloaded studio shows again

/** POST the request with an Idempotency-Key; the job goes into the store. Resolves to the reply. */
export async function sendJob(body, key = randomKey()) {
  const res = await api.post("/api/generate", body, { headers: { "Idempotency-Key": key } });
  // SSE often beats this response (a fast worker is already processing): the 202's
  // "queued, 0%" snapshot is then older than what the store has, and must not win.
  if (!getJob(res.job_id)) {
    upsertJob(res.job || { job_id: res.job_id, status: res.status, seed: res.seed, tool: body.workflow, prompt: body.prompt, progress: 0, created_at: new Date().toISOString() });
  }
  startEvents();
  return res;
}

/** The request that made this job: tool, prompt, its seed, model, aspect, batch, params, inputs. */
export function requestOf(job) {
  const body = { workflow: job.tool, params: { ...(job.params || {}) }, images: {} };
  for (const field of ["prompt", "seed", "model", "aspect_ratio", "batch_size"]) {
    if (job[field] !== null && job[field] !== undefined) body[field] = job[field];
  }
  for (const [slot, input] of Object.entries(job.inputs || {})) if (input?.upload_id) body.images[slot] = input.upload_id;
  const masks = Object.entries(job.masks || {}).filter(([, mask]) => mask?.upload_id);
  if (masks.length) body.masks = Object.fromEntries(masks.map(([slot, mask]) => [slot, mask.upload_id]));
  return body;
}

/** Put the user's last jobs of this tool (finished in an earlier visit too) into the store. */
export async function loadRecentJobs(toolId) {
  const data = await api.get(`/api/jobs?tool=${encodeURIComponent(toolId)}&limit=${RECENT_JOBS}`);
  for (const job of data.jobs || []) upsertJob(job);
}
