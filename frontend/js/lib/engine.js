// Whether ComfyUI answers and whether the studio is a demo, for every page (GET /api/engine,
// which any signed-in user may read): asked every 10 s while the tab is visible, at once when
// it becomes visible again. The last answer stands while the studio itself cannot be reached.

import { api } from "./api.js";

const REFRESH_MS = 10000;

let state = { known: false, online: true, demoMode: false };
let timer = null;
let running = false;
const listeners = new Set();

function publish(next) {
  if (next.known === state.known && next.online === state.online && next.demoMode === state.demoMode) return;
  state = next;
  for (const fn of listeners) fn(state);
}

/** The last known state: {known, online, demoMode}; online is assumed until told otherwise. */
export function engineState() {
  return state;
}

/** Call fn(state) when the engine state changes; returns the unsubscribe function. */
export function onEngineChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

async function refresh() {
  clearTimeout(timer);
  timer = null;
  try {
    const body = await api.get("/api/engine");
    if (running) publish({ known: true, online: Boolean(body.online), demoMode: Boolean(body.demo_mode) });
  } catch {
    // Offline, rate limited or signed out: keep what we knew; the session handles a 401.
  }
  if (running && document.visibilityState === "visible") timer = setTimeout(refresh, REFRESH_MS);
}

function onVisibility() {
  if (running && document.visibilityState === "visible" && !timer) refresh();
}

/** Start watching (after sign-in); idempotent. */
export function startEngineWatch() {
  if (running) return;
  running = true;
  document.addEventListener("visibilitychange", onVisibility);
  refresh();
}

/** Stop watching and forget the state (signed out: the next user asks afresh). */
export function stopEngineWatch() {
  running = false;
  clearTimeout(timer);
  timer = null;
  document.removeEventListener("visibilitychange", onVisibility);
  publish({ known: false, online: true, demoMode: false });
}
