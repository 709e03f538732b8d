// A sketch slot: draw on a canvas (brush, eraser, colour, size, undo/redo, clear, start from an
// image) or upload a picture instead. The drawing goes up as a PNG when the form is sent, and
// only when it changed since its last upload.

import { canvasToPng, createStrokeLayer, flattenSketch } from "../lib/drawing.js";
import { element, html } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { isAcceptedImage, uploadPng } from "../lib/images.js";
import { attachPointerDrawing, undoShortcut } from "../lib/pointer-draw.js";
import { createUploadSlot } from "./upload-slot.js";

export const SKETCH_SIDE = 1024; // the drawing's long side in pixels, however large it is shown
const DEFAULT_SIZE = 8;

/** An image file or blob as an ImageBitmap, and the drawing size that keeps its ratio. */
async function backgroundFrom(blob) {
  const image = await createImageBitmap(blob, { imageOrientation: "from-image" });
  const scale = SKETCH_SIDE / Math.max(image.width, image.height);
  return { image, size: { width: Math.round(image.width * scale), height: Math.round(image.height * scale) } };
}

function toolbar(slot) {
  const id = slot.id;
  return html`<div class="pad-toolbar" role="group" aria-label="${t("canvas.tools")}">
    <button type="button" class="icon-btn" data-tool="paint" aria-pressed="true" aria-label="${t("canvas.brush")}"
      title="${t("canvas.brush")}" data-testid="pad-brush">${icon("paint")}</button>
    <button type="button" class="icon-btn" data-tool="erase" aria-pressed="false" aria-label="${t("canvas.eraser")}"
      title="${t("canvas.eraser")}" data-testid="pad-eraser">${icon("eraser")}</button>
    <label class="pad-color" title="${t("canvas.color")}">
      <span class="visually-hidden">${t("canvas.color")}</span>
      <input type="color" value="#111111" data-color data-testid="pad-color">
    </label>
    <label class="pad-size">
      <span class="small muted">${t("canvas.size")}</span>
      <input type="range" min="1" max="96" step="1" value="${DEFAULT_SIZE}" data-size data-testid="pad-size">
    </label>
    <span class="pad-sep" aria-hidden="true"></span>
    <button type="button" class="icon-btn" data-pad="undo" aria-label="${t("canvas.undo")}" title="${t("canvas.undo_hint")}"
      data-testid="pad-undo" disabled>${icon("undo")}</button>
    <button type="button" class="icon-btn" data-pad="redo" aria-label="${t("canvas.redo")}" title="${t("canvas.redo_hint")}"
      data-testid="pad-redo" disabled>${icon("redo")}</button>
    <button type="button" class="icon-btn danger" data-pad="clear" aria-label="${t("canvas.clear")}" title="${t("canvas.clear")}"
      data-testid="pad-clear" disabled>${icon("trash")}</button>
    <label class="btn small subtle pad-from" for="pad-bg-${id}" tabindex="0" data-testid="pad-from-image">
      ${icon("image", { size: 18 })}<span>${t("canvas.start_from")}</span></label>
    <input id="pad-bg-${id}" class="visually-hidden" type="file" accept="image/png,image/jpeg,image/webp"
      data-bg-input data-testid="pad-bg-input" tabindex="-1">
  </div>`;
}

/**
 * The sketch slot. Same surface as createUploadSlot ({el, slot, value, upload, isEmpty, isBusy,
 * setFile, setUpload, clear, destroy}) plus prepare(): upload the drawing if it changed (the
 * studio awaits it before it reads value()), and drawing(): the drawing to keep in the tool's
 * draft, which `options.drawing` gives back to the next pad (leaving the page loses nothing).
 */
export function createSketchPad(slot, { onError = () => {}, drawing = null } = {}) {
  const label = localized(slot.label) || slot.id;
  const inner = createUploadSlot(slot, { onError });
  let mode = "draw";
  let busy = false;
  // Layer state -> its upload: a picture already sent (or undone back to) is not sent again.
  const sent = drawing?.sent || new WeakMap();
  let shownBackground = null;

  const el = element(html`<div class="sketch-slot" data-testid="sketch-pad" data-mode="draw">
    <div class="sketch-head">
      <span class="slot-label">${label}${slot.required ? html`<span class="req" aria-hidden="true"> *</span>` : ""}</span>
      <div class="segmented" role="group" aria-label="${t("canvas.source", { label })}">
        <button type="button" class="btn small" data-mode="draw" aria-pressed="true" data-testid="sketch-mode-draw">
          ${icon("paint", { size: 16 })}<span>${t("canvas.draw")}</span></button>
        <button type="button" class="btn small" data-mode="upload" aria-pressed="false" data-testid="sketch-mode-upload">
          ${icon("upload", { size: 16 })}<span>${t("canvas.upload")}</span></button>
      </div>
    </div>
    <div class="sketch-draw" data-draw>
      ${toolbar(slot)}
      <div class="pad-stage" data-stage>
        <canvas class="pad-bg" aria-hidden="true" data-testid="sketch-background"></canvas>
      </div>
      <p class="hint">${t("canvas.hint")}</p>
      <p class="slot-busy-text small muted" role="status" data-status></p>
    </div>
    <div class="sketch-upload" data-upload hidden></div>
  </div>`);
  el.querySelector("[data-upload]").append(inner.el);
  const stage = el.querySelector("[data-stage]");
  const bgCanvas = el.querySelector(".pad-bg");
  const sizeInput = el.querySelector("[data-size]");
  const colorInput = el.querySelector("[data-color]");
  const statusText = el.querySelector("[data-status]");
  let tool = "paint";

  const layer = drawing?.layer || createStrokeLayer({ width: SKETCH_SIDE, height: SKETCH_SIDE });
  const unwatch = layer.watch(refresh);
  const ink = layer.canvas;
  ink.className = "pad-ink";
  ink.dataset.testid = "sketch-canvas";
  ink.setAttribute("role", "img");
  ink.setAttribute("aria-label", t("canvas.canvas_label", { label }));
  stage.append(ink);

  function drawBackground() {
    const bg = layer.background;
    shownBackground = bg;
    bgCanvas.width = layer.width;
    bgCanvas.height = layer.height;
    const ctx = bgCanvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, bgCanvas.width, bgCanvas.height);
    if (bg) ctx.drawImage(bg.image, 0, 0, bgCanvas.width, bgCanvas.height);
    stage.style.setProperty("--ar", String(layer.width / layer.height));
  }

  function refresh() {
    if (layer.background !== shownBackground || bgCanvas.width !== layer.width || bgCanvas.height !== layer.height) {
      drawBackground();
    }
    el.querySelector("[data-pad=undo]").disabled = !layer.canUndo;
    el.querySelector("[data-pad=redo]").disabled = !layer.canRedo;
    el.querySelector("[data-pad=clear]").disabled = layer.isBlank;
  }

  const detach = attachPointerDrawing(ink, layer, () => ({
    mode: tool,
    color: colorInput.value,
    size: Number(sizeInput.value),
  }));

  function setMode(next) {
    mode = next;
    el.dataset.mode = next;
    el.querySelector("[data-draw]").hidden = next !== "draw";
    el.querySelector("[data-upload]").hidden = next !== "upload";
    for (const button of el.querySelectorAll(".segmented [data-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === next));
    }
  }

  function setTool(next) {
    tool = next;
    for (const button of el.querySelectorAll("[data-tool]")) button.setAttribute("aria-pressed", String(button.dataset.tool === next));
  }

  /** Draw over the image from now on; false (and said) when it cannot be decoded. */
  async function startFrom(blob, { reset = false } = {}) {
    try {
      const { image, size } = await backgroundFrom(blob);
      if (reset) layer.reset(size);
      layer.setBackground(image, size);
      return true;
    } catch (err) {
      statusText.textContent = t("canvas.load_failed");
      onError(err);
      return false;
    }
  }

  async function setFile(file) {
    if (mode === "upload") return inner.setFile(file);
    if (!isAcceptedImage(file)) {
      statusText.textContent = t("slot.bad_type");
      return undefined;
    }
    statusText.textContent = "";
    return startFrom(file);
  }

  /** Show an existing upload (remix, a draft, "use as input") as the drawing to continue. */
  async function setUpload(upload) {
    setMode("draw");
    if (drawn()?.upload_id === upload.upload_id) return; // the kept drawing is that picture
    try {
      const response = await fetch(upload.url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`cannot fetch ${upload.url}`);
      if (await startFrom(await response.blob(), { reset: true })) sent.set(layer.state(), upload);
    } catch (err) {
      onError(err);
    }
  }

  async function prepare() {
    if (mode !== "draw" || layer.isBlank || sent.has(layer.state())) return;
    const state = layer.state();
    busy = true;
    statusText.textContent = t("slot.uploading");
    try {
      const blob = await canvasToPng(flattenSketch(layer));
      const upload = await uploadPng(blob, "sketch.png");
      sent.set(state, { upload_id: upload.upload_id, url: upload.url });
      statusText.textContent = "";
    } catch (err) {
      statusText.textContent = err.message || t("error.generic");
      throw err;
    } finally {
      busy = false;
    }
  }

  el.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button?.closest(".segmented")) setMode(button.dataset.mode);
    else if (button?.dataset.tool) setTool(button.dataset.tool);
    else if (button?.dataset.pad) layer[button.dataset.pad](); // undo, redo, clear
  });
  el.querySelector("[data-bg-input]").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) setFile(file);
    event.target.value = "";
  });
  el.querySelector(".pad-from").addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      el.querySelector("[data-bg-input]").click();
    }
  });
  stage.addEventListener("dragover", (event) => event.preventDefault());
  stage.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = [...(event.dataTransfer?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file) setFile(file);
  });
  const onKey = (event) => {
    if (mode !== "draw" || !el.isConnected || document.querySelector("dialog[open]")) return; // an overlay has its own
    const action = undoShortcut(event);
    if (!action) return;
    event.preventDefault();
    layer[action]();
  };
  document.addEventListener("keydown", onKey);
  drawBackground();
  refresh();

  const drawn = () => (layer.isBlank ? null : sent.get(layer.state()) || null);
  return {
    el,
    slot,
    prepare,
    value: () => (mode === "draw" ? drawn()?.upload_id || null : inner.value()),
    upload: () => (mode === "draw" ? drawn() : inner.upload()),
    isEmpty: () => (mode === "draw" ? layer.isBlank : inner.isEmpty()),
    isBusy: () => busy || (mode === "upload" && inner.isBusy()),
    drawing: () => ({ layer, sent }),
    setFile,
    setUpload,
    clear: () => (mode === "draw" ? layer.clear() : inner.clear()),
    destroy() {
      detach();
      unwatch();
      document.removeEventListener("keydown", onKey);
      inner.destroy();
    },
  };
}
