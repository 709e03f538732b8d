// Tool picker overlay: every tool from /api/tools; unavailable ones are greyed with the reason.

import { isReady } from "../lib/catalog.js";
import { element, html } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon, toolIcon } from "../lib/icons.js";

/** The reason a tool cannot run, in words. */
export function availabilityText(tool) {
  const a = tool.availability || {};
  if (!a.status || a.status === "ready") return t("tool.ready");
  const base = t(`tool.status.${a.status}`);
  return a.reason ? `${base}: ${a.reason}` : base;
}

/** A tool card as markup (used by the picker and the dashboard shortcuts). */
export function toolCard(tool, { compact = false } = {}) {
  const ready = isReady(tool);
  return html`<button type="button" class="tool-card glass ${ready ? "" : "unavailable"} ${compact ? "compact" : ""}"
      data-tool="${tool.id}" data-testid="tool-card-${tool.id}" aria-disabled="${ready ? "false" : "true"}">
    <span class="tool-icon">${toolIcon(tool)}</span>
    <span class="tool-body">
      <span class="tool-name">${localized(tool.name)}</span>
      ${compact ? "" : html`<span class="tool-desc">${localized(tool.description)}</span>`}
      ${ready ? "" : html`<span class="tool-reason" data-testid="tool-reason">${icon("alert", { size: 14 })} ${availabilityText(tool)}</span>`}
    </span>
  </button>`;
}

/** Open the picker; resolves to the chosen tool id, or null when closed. */
export function pickTool(tools, { title = t("picker.title") } = {}) {
  return new Promise((resolve) => {
    const dialog = element(html`<dialog class="overlay-dialog picker" data-testid="tool-picker" aria-labelledby="picker-title">
      <div class="dialog-panel glass">
        <header class="dialog-head">
          <div>
            <h2 id="picker-title">${title}</h2>
            <p class="muted">${t("picker.subtitle")}</p>
          </div>
          <button type="button" class="icon-btn" data-close data-testid="tool-picker-close" aria-label="${t("common.close")}">${icon("close")}</button>
        </header>
        ${tools.length
          ? html`<div class="tool-grid">${tools.map((tool) => toolCard(tool))}</div>`
          : html`<p class="empty">${t("picker.empty")}</p>`}
      </div>
    </dialog>`);
    let chosen = null;
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog || event.target.closest("[data-close]")) {
        dialog.close();
        return;
      }
      const card = event.target.closest(".tool-card");
      if (card && card.getAttribute("aria-disabled") !== "true") {
        chosen = card.dataset.tool;
        dialog.close();
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(chosen);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
