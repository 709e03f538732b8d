// The banners above every page: "ComfyUI is not reachable" (jobs wait and resume) and demo
// mode (test patterns, no real ComfyUI). The body's `engine-down` class lets active job cards
// show their "waiting for ComfyUI" note (css: the shell block) instead of looking stuck.

import { html, render } from "../lib/html.js";
import { engineState, onEngineChange } from "../lib/engine.js";
import { onLanguageChange, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";

function view(state) {
  const down = state.known && !state.online;
  return html`${down ? html`<div class="banner banner-warn" role="status" data-testid="engine-banner">
      ${icon("engine", { size: 18 })}<span>${t("shell.engine_down")}</span></div>` : ""}
    ${state.known && state.demoMode ? html`<div class="banner banner-demo" role="note" data-testid="demo-banner">
      ${icon("alert", { size: 18 })}<span>${t("dashboard.demo_banner")}</span></div>` : ""}`;
}

/** Keep the banners in `container` up to date; returns the cleanup function. */
export function mountShellBanners(container) {
  const draw = () => {
    const state = engineState();
    document.body.classList.toggle("engine-down", state.known && !state.online);
    render(container, view(state));
  };
  const stops = [onEngineChange(draw), onLanguageChange(draw)];
  draw();
  return () => {
    for (const stop of stops) stop();
    document.body.classList.remove("engine-down");
    render(container, html``);
  };
}
