// Actions on one job shared by the studio, gallery and queue: cancel, favourite, delete, remix.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { navigate } from "./router.js";
import { getJob, removeJob, upsertJob } from "./store.js";

/** POST /api/cancel/<id> (idempotent) and record the new status. */
export async function cancelJob(jobId) {
  const result = await api.post(`/api/cancel/${encodeURIComponent(jobId)}`);
  upsertJob({ ...getJob(jobId), job_id: jobId, status: result.status });
  return result;
}

/** POST /api/jobs/cancel-all (my queued and running jobs) and record each as cancelled. */
export async function cancelAllJobs() {
  const result = await api.post("/api/jobs/cancel-all");
  for (const jobId of result.cancelled || []) upsertJob({ ...getJob(jobId), job_id: jobId, status: "cancelled" });
  return result;
}

/** Set or clear the favourite flag; resolves to the updated job. */
export async function setFavorite(job, favorite) {
  const updated = await api.post(`/api/jobs/${encodeURIComponent(job.job_id)}/favorite`, { favorite });
  if (getJob(job.job_id)) upsertJob(updated);
  return updated;
}

/** Ask, then DELETE /api/jobs/<id>; resolves to true when deleted. */
export async function deleteJob(job) {
  if (!window.confirm(t("job.confirm_delete"))) return false;
  await api.delete(`/api/jobs/${encodeURIComponent(job.job_id)}`);
  removeJob(job.job_id);
  return true;
}

/** What remix restores: tool, prompt, negative prompt, actual seed, model, aspect, batch, params, inputs. */
export function remixDraft(job) {
  return {
    tool: job.tool,
    prompt: job.prompt || "",
    negative_prompt: job.negative_prompt ?? job.params?.negative_prompt,
    seed: job.seed,
    model: job.model,
    aspect_ratio: job.aspect_ratio,
    batch_size: job.batch_size,
    params: { ...(job.params || {}) },
    inputs: { ...(job.inputs || {}) },
    masks: { ...(job.masks || {}) },
  };
}

/** Open the studio on the job's tool with everything restored. */
export function remixJob(job) {
  navigate("studio", job.tool, { draft: remixDraft(job) });
}

// Where the download links of the studio, gallery and lightbox get their file name.
export { downloadName } from "./download-name.js";
