// Full-size viewer for a job's outputs with all its parameters and actions.

import { createBeforeAfter } from "./before-after.js";
import { toastError } from "./toast.js";
import { findTool, modelLabel } from "../lib/catalog.js";
import { trapFocus } from "../lib/focus-trap.js";
import { element, html, render } from "../lib/html.js";
import { formatDate, localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { deleteJob, downloadName, remixJob, setFavorite } from "../lib/job-actions.js";
import { paramLabel } from "../lib/param-labels.js";
import { outputsOf } from "./results-grid.js";

// Values longer than this (a 16-digit seed, a model file name) get a full row, so they do
// not break in the middle of a number.
const WIDE_VALUE = 14;

const SHOWN_ELSEWHERE = new Set(["negative_prompt", "seed", "model", "aspect_ratio", "batch_size", "prompt"]);

function paramRows(job, tool, toolName) {
  const rows = [
    [t("param.tool"), toolName],
    [t("param.status"), t(`status.${job.status}`)],
    [t("param.seed"), job.seed],
    [t("param.model"), job.model ? modelLabel(job.model) : t("model.default")],
    [t("param.aspect_ratio"), job.aspect_ratio],
    [t("param.batch_size"), job.batch_size],
  ];
  for (const [key, value] of Object.entries(job.params || {})) {
    // LoRAs ([{name, strength}]) read as "detail_tweaker 0.7, ink_wash -0.5".
    if (key === "loras" && Array.isArray(value) && value.length) rows.push([paramLabel(key, tool), value.map((l) => `${modelLabel(l.name)} ${l.strength}`).join(", ")]);
    if (SHOWN_ELSEWHERE.has(key) || value === null || typeof value === "object") continue;
    rows.push([paramLabel(key, tool), value]);
  }
  rows.push([t("param.created"), formatDate(job.created_at)], [t("param.finished"), formatDate(job.finished_at)]);
  return rows.filter(([, v]) => v !== null && v !== undefined && v !== "");
}

/**
 * The input image of an edit (single-image edit, sketch): the "before" of the comparison. Jobs
 * with several inputs (blend, face swap) have no single before, and get none.
 */
function inputOf(job, tool) {
  const slots = tool?.slots ? new Set(tool.slots.map((s) => s.id)) : null;
  const urls = Object.entries(job.inputs || {})
    .filter(([slot, input]) => input?.url && (!slots || slots.has(slot)))
    .map(([, input]) => input.url);
  return urls.length === 1 ? urls[0] : null;
}

/** Where focus goes back on close: the opener, or its twin when its card was redrawn meanwhile. */
function returnTarget(opener) {
  if (!opener || opener === document.body) return null;
  if (opener.isConnected) return opener;
  const jobId = opener.closest("[data-job-id]")?.dataset.jobId;
  const testId = opener.dataset.testid;
  if (!jobId || !testId) return null;
  return document.querySelector(`[data-job-id="${CSS.escape(jobId)}"] [data-testid="${CSS.escape(testId)}"]`);
}

/**
 * Open the lightbox on output `index` of `job`.
 * options.useAsInput: [{label, run(output)}] (studio only); options.onChange(job|null) after
 * favourite (job) or delete (null).
 */
export async function openLightbox(job, index = 0, options = {}) {
  const opener = document.activeElement;
  const outputs = outputsOf(job);
  const tool = await findTool(job.tool).catch(() => null);
  const toolName = tool ? localized(tool.name) : job.tool;
  let current = Math.max(0, Math.min(index, outputs.length - 1));
  let favorite = Boolean(job.favorite);
  const before = inputOf(job, tool);
  const dialog = element(html`<dialog class="overlay-dialog lightbox" data-testid="lightbox" aria-label="${t("lightbox.label")}"></dialog>`);

  function draw() {
    const out = outputs[current];
    const negative = job.negative_prompt ?? job.params?.negative_prompt;
    render(dialog, html`<div class="lightbox-panel glass">
      <div class="lightbox-stage">
        ${out && before ? html`<div data-compare></div>` : ""}
        ${out && !before ? html`<img src="${out.url}" alt="${t("result.alt", { n: current + 1 })}" data-testid="lightbox-image">` : ""}
        ${out ? "" : html`<p class="empty">${job.error || t("lightbox.no_image")}</p>`}
        ${outputs.length > 1 ? html`
          <button type="button" class="icon-btn nav prev" data-prev data-testid="lightbox-prev" aria-label="${t("common.previous")}">${icon("chevronLeft")}</button>
          <button type="button" class="icon-btn nav next" data-next data-testid="lightbox-next" aria-label="${t("common.next")}">${icon("chevronRight")}</button>
          <span class="counter">${current + 1} / ${outputs.length}</span>` : ""}
      </div>
      <aside class="lightbox-info">
        <header class="dialog-head">
          <h2>${toolName}</h2>
          <button type="button" class="icon-btn" data-close data-testid="lightbox-close" aria-label="${t("common.close")}">${icon("close")}</button>
        </header>
        <p class="prompt-text" data-testid="lightbox-prompt">${job.prompt || t("job.no_prompt")}</p>
        <div class="action-row">
          ${out ? html`<a class="btn" href="${out.url}" download="${downloadName(job, current)}" data-testid="lightbox-download">${icon("download", { size: 18 })}${t("common.download")}</a>` : ""}
          <button type="button" class="btn" data-remix data-testid="lightbox-remix">${icon("remix", { size: 18 })}${t("job.remix")}</button>
          <button type="button" class="btn ${favorite ? "active" : ""}" data-favorite data-testid="lightbox-favorite"
            aria-pressed="${favorite ? "true" : "false"}">${icon("heart", { size: 18 })}${favorite ? t("job.unfavorite") : t("job.favorite")}</button>
          <button type="button" class="btn danger" data-delete data-testid="lightbox-delete">${icon("trash", { size: 18 })}${t("common.delete")}</button>
        </div>
        ${negative ? html`<p class="muted small"><strong>${t("param.negative_prompt")}:</strong> ${negative}</p>` : ""}
        ${job.error ? html`<p class="field-error">${job.error}</p>` : ""}
        <dl class="param-list" data-testid="lightbox-params">
          ${paramRows(job, tool, toolName).map(([k, v]) => html`<div class="${String(v).length > WIDE_VALUE ? "wide" : ""}"><dt>${k}</dt><dd>${v}</dd></div>`)}
        </dl>
        ${out && options.useAsInput?.length ? html`<div class="action-row">
          ${options.useAsInput.map((u, i) => html`<button type="button" class="btn subtle" data-use="${i}" data-testid="use-as-input">
            ${icon("upload", { size: 18 })}${t("result.use_as", { slot: u.label })}</button>`)}
        </div>` : ""}
      </aside>
    </div>`);
    const slot = dialog.querySelector("[data-compare]");
    if (slot) slot.replaceWith(createBeforeAfter({ before, after: out.url, afterAlt: t("result.alt", { n: current + 1 }) }));
  }

  dialog.addEventListener("click", async (event) => {
    const target = event.target;
    if (target === dialog || target.closest("[data-close]")) return dialog.close();
    if (target.closest("[data-prev]")) current = (current - 1 + outputs.length) % outputs.length;
    else if (target.closest("[data-next]")) current = (current + 1) % outputs.length;
    else if (target.closest("[data-remix]")) {
      dialog.close();
      return remixJob(job);
    } else if (target.closest("[data-favorite]")) {
      try {
        const updated = await setFavorite(job, !favorite);
        favorite = Boolean(updated.favorite);
        Object.assign(job, updated);
        options.onChange?.(job);
      } catch (err) {
        toastError(err, t);
      }
    } else if (target.closest("[data-delete]")) {
      try {
        if (await deleteJob(job)) {
          dialog.close();
          options.onChange?.(null);
        }
      } catch (err) {
        toastError(err, t);
      }
      return;
    } else if (target.closest("[data-use]")) {
      const use = options.useAsInput[Number(target.closest("[data-use]").dataset.use)];
      dialog.close();
      return use.run(outputs[current]);
    } else return;
    // The redraw replaces every control: keep focus on the one that was used.
    const used = document.activeElement?.dataset?.testid;
    draw();
    if (used) dialog.querySelector(`[data-testid="${CSS.escape(used)}"]`)?.focus();
  });
  dialog.addEventListener("keydown", (event) => {
    if (outputs.length < 2) return;
    if (event.key === "ArrowLeft") dialog.querySelector("[data-prev]").click();
    if (event.key === "ArrowRight") dialog.querySelector("[data-next]").click();
  });
  const releaseFocus = trapFocus(dialog);
  // Escape closes through the dialog's own cancel event; every way out gives focus back.
  dialog.addEventListener("close", () => {
    releaseFocus();
    dialog.remove();
    returnTarget(opener)?.focus();
  });
  draw();
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
