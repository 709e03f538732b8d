// The mask painter: an overlay over the input image where the user paints the region to repaint
// (brush, eraser, size, invert, feather, undo, clear). The painted region shows as a translucent
// colour; the layer it paints is the caller's, so a second visit continues the same mask.

import { element, html } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { attachPointerDrawing, undoShortcut } from "../lib/pointer-draw.js";

export const MASK_TINT = "rgb(255, 48, 120)";
const MAX_FEATHER = 64;

/** Draw what the mask marks for repainting onto ctx (the tint where the image will change). */
function paintRegion(ctx, layer, invert) {
  const { width, height } = ctx.canvas;
  ctx.save();
  ctx.clearRect(0, 0, width, height);
  if (invert) {
    ctx.fillStyle = MASK_TINT;
    ctx.fillRect(0, 0, width, height);
    ctx.globalCompositeOperation = "destination-out";
  }
  ctx.drawImage(layer.canvas, 0, 0, width, height);
  ctx.restore();
}

/** A small preview of image + mask (a data: URL) for the slot's mask badge. */
export function maskThumbnail(image, layer, invert, side = 96) {
  const scale = side / Math.max(layer.width, layer.height);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(layer.width * scale));
  canvas.height = Math.max(1, Math.round(layer.height * scale));
  const region = document.createElement("canvas");
  region.width = canvas.width;
  region.height = canvas.height;
  paintRegion(region.getContext("2d"), layer, invert);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = 0.8;
  ctx.drawImage(region, 0, 0);
  return canvas.toDataURL("image/png");
}

/**
 * Open the painter over `image` (a loaded HTMLImageElement) for `layer` (sized like the image).
 * Resolves to {invert, feather} on Done, or null on Cancel/Escape (the layer is then as before).
 */
export function openMaskEditor(image, layer, { invert = false, feather = 6 } = {}) {
  const side = Math.max(layer.width, layer.height);
  const brush = Math.max(4, Math.round(side / 24));
  return new Promise((resolve) => {
    const dialog = element(html`<dialog class="overlay-dialog mask-editor" data-testid="mask-editor" aria-labelledby="mask-title">
      <div class="dialog-panel mask-panel">
        <header class="dialog-head">
          <div>
            <h2 id="mask-title">${t("canvas.mask_title")}</h2>
            <p class="muted small">${t("canvas.mask_help")}</p>
          </div>
          <button type="button" class="icon-btn" data-cancel aria-label="${t("canvas.cancel")}">${icon("close")}</button>
        </header>
        <div class="pad-toolbar" role="group" aria-label="${t("canvas.tools")}">
          <button type="button" class="icon-btn" data-tool="paint" aria-pressed="true" aria-label="${t("canvas.brush")}"
            title="${t("canvas.brush")}" data-testid="mask-brush">${icon("paint")}</button>
          <button type="button" class="icon-btn" data-tool="erase" aria-pressed="false" aria-label="${t("canvas.eraser")}"
            title="${t("canvas.eraser")}" data-testid="mask-eraser">${icon("eraser")}</button>
          <label class="pad-size"><span class="small muted">${t("canvas.size")}</span>
            <input type="range" min="1" max="${Math.max(8, Math.round(side / 4))}" value="${brush}" data-size data-testid="mask-size"></label>
          <label class="pad-size"><span class="small muted">${t("canvas.feather")}</span>
            <input type="range" min="0" max="${MAX_FEATHER}" value="${feather}" data-feather data-testid="mask-feather"></label>
          <button type="button" class="btn small subtle" data-invert aria-pressed="${invert ? "true" : "false"}"
            data-testid="mask-invert">${icon("invert", { size: 18 })}<span>${t("canvas.invert")}</span></button>
          <span class="pad-sep" aria-hidden="true"></span>
          <button type="button" class="icon-btn" data-undo aria-label="${t("canvas.undo")}" title="${t("canvas.undo_hint")}"
            data-testid="mask-undo">${icon("undo")}</button>
          <button type="button" class="icon-btn" data-redo aria-label="${t("canvas.redo")}" title="${t("canvas.redo_hint")}"
            data-testid="mask-redo">${icon("redo")}</button>
          <button type="button" class="icon-btn danger" data-clear aria-label="${t("canvas.clear")}" title="${t("canvas.clear")}"
            data-testid="mask-clear">${icon("trash")}</button>
        </div>
        <div class="mask-stage-wrap">
          <div class="mask-stage" data-stage>
            <img class="mask-image" alt="" data-image>
            <canvas class="mask-view" role="img" aria-label="${t("canvas.mask_canvas")}" data-testid="mask-canvas"></canvas>
          </div>
        </div>
        <footer class="mask-actions">
          <button type="button" class="btn subtle" data-cancel data-testid="mask-cancel">${t("canvas.cancel")}</button>
          <button type="button" class="btn primary" data-done data-testid="mask-done">${icon("check", { size: 18 })}<span>${t("canvas.done")}</span></button>
        </footer>
      </div>
    </dialog>`);
    const stage = dialog.querySelector("[data-stage]");
    const view = dialog.querySelector(".mask-view");
    const sizeInput = dialog.querySelector("[data-size]");
    const featherInput = dialog.querySelector("[data-feather]");
    const invertButton = dialog.querySelector("[data-invert]");
    dialog.querySelector("[data-image]").src = image.src;
    view.width = layer.width;
    view.height = layer.height;
    stage.style.setProperty("--ar", String(layer.width / layer.height));
    const before = layer.snapshot();
    let tool = "paint";
    let frame = 0;
    let result = null;

    function show() {
      frame = 0;
      paintRegion(view.getContext("2d"), layer, invertButton.getAttribute("aria-pressed") === "true");
      // The feather, previewed: the same blur at the size the mask is shown.
      const scale = view.getBoundingClientRect().width / layer.width || 1;
      view.style.setProperty("filter", `blur(${(Number(featherInput.value) * scale) / 2}px)`);
      dialog.querySelector("[data-undo]").disabled = !layer.canUndo;
      dialog.querySelector("[data-redo]").disabled = !layer.canRedo;
      dialog.querySelector("[data-clear]").disabled = layer.isBlank;
    }
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(show);
    };
    const unwatch = layer.watch(schedule);
    const detach = attachPointerDrawing(view, layer, () => ({ mode: tool, color: MASK_TINT, size: Number(sizeInput.value) }));

    dialog.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.tool) {
        tool = button.dataset.tool;
        for (const b of dialog.querySelectorAll("[data-tool]")) b.setAttribute("aria-pressed", String(b === button));
      } else if (button.hasAttribute("data-invert")) {
        button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
        schedule();
      } else if (button.hasAttribute("data-undo")) layer.undo();
      else if (button.hasAttribute("data-redo")) layer.redo();
      else if (button.hasAttribute("data-clear")) layer.clear();
      else if (button.hasAttribute("data-done")) {
        result = { invert: invertButton.getAttribute("aria-pressed") === "true", feather: Number(featherInput.value) };
        dialog.close();
      } else if (button.hasAttribute("data-cancel")) dialog.close();
    });
    featherInput.addEventListener("input", schedule);
    // On the document: a button that turned disabled (Clear) drops the focus to <body>.
    const onKey = (event) => {
      const action = undoShortcut(event);
      if (action) {
        event.preventDefault();
        layer[action]();
      }
    };
    document.addEventListener("keydown", onKey);
    dialog.addEventListener("close", () => {
      if (frame) cancelAnimationFrame(frame);
      detach();
      unwatch();
      document.removeEventListener("keydown", onKey);
      if (!result) layer.restore(before);
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    show();
  });
}
