// Live job updates: Server-Sent Events from /api/events, resync on every (re)connect, and a
// 2-second polling fallback for browsers or proxies where SSE does not work. The three arrive
// in any order; the store keeps the newest snapshot of each job by its `seq` (store.js).
// The stream is cookie-authenticated: when it is refused (401, 429, 503) EventSource cannot
// tell us the status, so the page asks /api/auth/me (a 401 there ends the session, see
// session.js) and retries with a growing delay instead of reconnecting in a tight loop.

import { api, isOffline, parseJson, reportUnauthorized } from "./api.js";
import { activeJobs, getJob, upsertJob } from "./store.js";

const POLL_MS = 2000;
const DISCOVER_MS = 10000; // in polling mode, how often to look for jobs started elsewhere
const SSE_RETRY_MS = 30000; // in polling mode, how often to try SSE again
const MAX_SSE_FAILURES = 3;
const MAX_BACKOFF_MS = 60000;

let source = null;
let failures = 0;
let pollTimer = null;
let discoverTimer = null;
let retryTimer = null;
let running = false;
let closedRuns = 0; // streams refused in a row: the back-off grows with it
let mode = "idle"; // idle | sse | polling
const modeListeners = new Set();

function setMode(next) {
  if (mode === next) return;
  mode = next;
  for (const fn of modeListeners) fn(mode);
}

/** Current transport: "sse", "polling" or "idle". */
export function connectionMode() {
  return mode;
}

/** Call fn(mode) when the transport changes; returns the unsubscribe function. */
export function onModeChange(fn) {
  modeListeners.add(fn);
  return () => modeListeners.delete(fn);
}

/** Load my active jobs and refresh any job we thought active but the server no longer lists. */
export async function resync() {
  const data = await api.get("/api/jobs?active=1&limit=100");
  const listed = new Set();
  for (const job of data.jobs || []) {
    listed.add(job.job_id);
    upsertJob(job);
  }
  // Jobs that ended while we were disconnected: ask for their final state.
  await Promise.all(activeJobs().filter((job) => !listed.has(job.job_id)).map((job) => refreshJob(job.job_id)));
}

/** Fetch one job's state from /api/status/<id> into the store. */
export async function refreshJob(jobId) {
  try {
    upsertJob(await api.get(`/api/status/${encodeURIComponent(jobId)}`));
  } catch (err) {
    if (err.status === 404) upsertJob({ ...getJob(jobId), status: "failed", error: "job not found" });
    else if (!isOffline(err)) throw err;
  }
}

function safeResync() {
  resync().catch(() => {}); // offline: the next (re)connect or poll tries again
}

function openSse() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (typeof EventSource === "undefined") {
    startPolling();
    return;
  }
  source = new EventSource("/api/events");
  source.addEventListener("open", () => {
    failures = 0;
    closedRuns = 0;
    stopPolling();
    setMode("sse");
    safeResync();
  });
  source.addEventListener("job", (event) => {
    try {
      upsertJob(parseJson(event.data));
    } catch {
      // a malformed frame is skipped; the next resync repairs state
    }
  });
  source.addEventListener("error", () => {
    failures += 1;
    // CONNECTING: the browser reconnects by itself (server sent retry: 2000).
    // CLOSED: it gave up (non-200 or wrong content type): reconnect ourselves, or poll.
    if (source.readyState === EventSource.CLOSED || failures >= MAX_SSE_FAILURES) {
      source.close();
      source = null;
      closedRuns += 1;
      // Signed out? The probe's 401 ends the session (and stopEvents runs); else back off.
      const retry = () => {
        if (!running) return; // stopped meanwhile (logout)
        startPolling();
        retryTimer = setTimeout(openSse, backoff());
      };
      api.get("/api/auth/me").then(retry, (err) => {
        if (err.status !== 401) return retry();
        stopEvents();
        reportUnauthorized("/api/events");
      });
    }
  });
}

/** The wait before the next stream: doubles per refusal, capped, with jitter (no herd). */
export function backoff(runs = closedRuns) {
  const base = failures >= MAX_SSE_FAILURES ? SSE_RETRY_MS : POLL_MS * 2 ** Math.max(0, runs - 1);
  return Math.min(MAX_BACKOFF_MS, base) * (0.8 + Math.random() * 0.4);
}

async function pollOnce() {
  await Promise.all(activeJobs().map((job) => refreshJob(job.job_id).catch(() => {})));
}

function startPolling() {
  if (pollTimer) return;
  setMode("polling");
  pollTimer = setInterval(pollOnce, POLL_MS);
  discoverTimer = setInterval(safeResync, DISCOVER_MS);
  safeResync();
}

function stopPolling() {
  clearInterval(pollTimer);
  clearInterval(discoverTimer);
  pollTimer = null;
  discoverTimer = null;
}

/** Start following my jobs (idempotent). */
export function startEvents() {
  if (source || pollTimer || retryTimer) return;
  running = true;
  openSse();
}

/** Stop everything (on logout or when the session has expired). */
export function stopEvents() {
  running = false;
  closedRuns = 0;
  failures = 0;
  clearTimeout(retryTimer);
  retryTimer = null;
  stopPolling();
  if (source) source.close();
  source = null;
  setMode("idle");
}
