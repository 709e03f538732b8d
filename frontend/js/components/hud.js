// System HUD: GET /api/metrics every 5 s while the tab is visible.
// A 429 says "rate limited"; a network error or 5xx says "offline" (the original mixed them up).

import { api, isOffline, RateLimited } from "../lib/api.js";
import { element, html, render } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";

const REFRESH_MS = 5000;

function tile(testid, iconName, label, value, state, detail = "") {
  return html`<div class="hud-tile glass" data-testid="${testid}" data-state="${state}">
    <div class="hud-icon">${icon(iconName)}</div>
    <div class="hud-text">
      <span class="hud-label">${label}</span>
      <span class="hud-value"><span class="dot dot-${state}" aria-hidden="true"></span>${value}</span>
      ${detail ? html`<span class="hud-detail">${detail}</span>` : ""}
    </div>
  </div>`;
}

function view(state) {
  if (state.kind === "loading") {
    return html`${tile("hud-server", "server", t("hud.server"), t("hud.checking"), "idle")}`;
  }
  if (state.kind === "rate_limited") {
    return tile("hud-server", "server", t("hud.server"), t("hud.rate_limited"), "warn",
      t("hud.retry_in", { seconds: state.retryAfter ?? REFRESH_MS / 1000 }));
  }
  if (state.kind === "offline") {
    return tile("hud-server", "server", t("hud.server"), t("hud.offline"), "bad", t("hud.offline_detail"));
  }
  if (state.kind === "error") {
    return tile("hud-server", "server", t("hud.server"), t("hud.error"), "warn", state.message);
  }
  const m = state.metrics;
  const workers = m.workers || [];
  const online = workers.filter((w) => w.online).length;
  const backends = m.backends || [];
  const backendsOnline = backends.filter((b) => b.online).length;
  return html`
    ${tile("hud-server", "server", t("hud.server"), t("hud.online"), "ok")}
    ${tile("hud-workers", "cpu", t("hud.workers"), `${online} / ${workers.length}`, online > 0 ? "ok" : "bad")}
    ${tile("hud-backends", "engine", t("hud.backends"), `${backendsOnline} / ${backends.length}`,
      backendsOnline > 0 ? "ok" : "bad", backends.some((b) => b.simulator) ? t("hud.simulator") : "")}
    ${tile("hud-queue", "queue", t("hud.queue"), String(m.queue_length ?? 0), "idle")}
    ${tile("hud-active", "activity", t("hud.active"), String(m.active_jobs ?? 0), m.active_jobs ? "busy" : "idle")}`;
}

/**
 * Mount the HUD into parent. onMetrics(metrics|null, state) is called after every refresh so the
 * dashboard can show the demo banner and the "no engine" empty state. Returns a cleanup function.
 */
export function mountHud(parent, onMetrics = () => {}) {
  const root = element(html`<section class="hud" aria-label="${t("hud.label")}" data-testid="hud"></section>`);
  parent.append(root);
  let timer = null;
  let inFlight = false;
  let stopped = false;
  let state = { kind: "loading" };
  render(root, view(state));

  async function refresh() {
    timer = null;
    inFlight = true;
    let delay = REFRESH_MS;
    try {
      state = { kind: "ok", metrics: await api.get("/api/metrics") };
    } catch (err) {
      if (err instanceof RateLimited) {
        state = { kind: "rate_limited", retryAfter: err.retryAfter };
        delay = Math.max(REFRESH_MS, (err.retryAfter || 0) * 1000);
      } else if (isOffline(err)) {
        state = { kind: "offline" };
      } else {
        state = { kind: "error", message: err.message };
      }
    }
    inFlight = false;
    if (stopped) return;
    render(root, view(state));
    onMetrics(state.kind === "ok" ? state.metrics : null, state);
    schedule(delay);
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = null;
    if (!stopped && document.visibilityState === "visible") timer = setTimeout(refresh, delay);
  }

  const onVisibility = () => {
    if (document.visibilityState === "visible") {
      if (!timer && !inFlight) refresh();
    } else {
      clearTimeout(timer);
      timer = null;
    }
  };
  document.addEventListener("visibilitychange", onVisibility);
  if (document.visibilityState === "visible") refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}
