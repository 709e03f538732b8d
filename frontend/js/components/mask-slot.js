// An image slot that takes an optional painted mask (a slot whose tool entry says "mask": true):
// the upload slot, plus a "Paint mask" button once it holds an image and a badge while a mask is
// set. The mask belongs to that one image: replacing or clearing the image drops it.

import { createStrokeLayer, maskToPng } from "../lib/drawing.js";
import { element, html, render } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { uploadPng } from "../lib/images.js";
import { maskThumbnail, openMaskEditor } from "./mask-editor.js";
import { createUploadSlot } from "./upload-slot.js";

function loadImage(url) {
  const image = new Image();
  image.src = url;
  return image.decode().then(() => image);
}

/** The upload slot's surface (see createUploadSlot) plus mask(): the mask's upload id or null. */
export function createMaskedSlot(slot, { onError = () => {} } = {}) {
  let painter = null; // {forUpload, layer, options}: the strokes of the image in the slot
  let mask = null; // {forUpload, uploadId, thumb}: the uploaded mask of that image
  let busy = false;
  const inner = createUploadSlot(slot, { onError, onChange: sync });
  const bar = element(html`<div class="mask-bar" data-testid="mask-bar-${slot.id}" hidden></div>`);
  const el = element(html`<div class="masked-slot" data-slot="${slot.id}"></div>`);
  el.append(inner.el, bar);

  function drawBar() {
    const image = inner.value();
    bar.hidden = !image;
    inner.el.classList.toggle("has-mask", Boolean(mask));
    if (!image) return;
    if (busy) {
      render(bar, html`<span class="small muted" role="status">${t("canvas.saving_mask")}</span>`);
    } else if (mask) {
      render(bar, html`<span class="mask-badge" data-testid="mask-badge-${slot.id}">
          <img class="mask-thumb" src="${mask.thumb}" alt="${t("canvas.mask_thumb")}">
          <span>${t("canvas.mask_set")}</span></span>
        <button type="button" class="icon-btn danger" data-unmask aria-label="${t("canvas.remove_mask")}"
          title="${t("canvas.remove_mask")}" data-testid="mask-remove-${slot.id}">${icon("close", { size: 16 })}</button>
        <button type="button" class="btn small subtle" data-paint data-testid="mask-edit-${slot.id}">
          ${icon("paint", { size: 16 })}<span>${t("canvas.edit_mask")}</span></button>`);
    } else {
      render(bar, html`<button type="button" class="btn small subtle" data-paint data-testid="mask-paint-${slot.id}">
        ${icon("paint", { size: 16 })}<span>${t("canvas.paint_mask")}</span></button>`);
    }
  }

  function sync() {
    const image = inner.value();
    if (mask && mask.forUpload !== image) mask = null;
    if (painter && painter.forUpload !== image) painter = null;
    drawBar();
  }

  async function paint() {
    const forUpload = inner.value();
    let image;
    try {
      image = await loadImage(inner.upload().url);
    } catch (err) {
      onError(err);
      return;
    }
    if (inner.value() !== forUpload) return;
    // The mask is made at the stored image's own pixel size, which the server checks.
    if (!painter) {
      const size = { width: image.naturalWidth, height: image.naturalHeight };
      painter = { forUpload, layer: createStrokeLayer(size), options: undefined };
    }
    const { layer } = painter;
    const options = await openMaskEditor(image, layer, painter.options);
    if (!options || inner.value() !== forUpload) return;
    painter.options = options;
    if (layer.isBlank) {
      mask = null;
      drawBar();
      return;
    }
    busy = true;
    drawBar();
    try {
      const blob = await maskToPng(layer, options);
      const upload = await uploadPng(blob, "mask.png");
      if (inner.value() === forUpload) {
        mask = { forUpload, uploadId: upload.upload_id, thumb: maskThumbnail(image, layer, options.invert) };
      }
    } catch (err) {
      onError(err);
    } finally {
      busy = false;
      drawBar();
    }
  }

  bar.addEventListener("click", (event) => {
    if (event.target.closest("[data-paint]")) paint();
    else if (event.target.closest("[data-unmask]")) {
      mask = null;
      painter = null;
      drawBar();
    }
  });

  return {
    ...inner,
    el,
    mask: () => (mask && mask.forUpload === inner.value() ? mask.uploadId : null),
    /** A remix or draft brings back a mask already uploaded ({upload_id, url}); its strokes are not kept. */
    setMask(upload) {
      if (!inner.value() || !upload?.upload_id) return;
      mask = { forUpload: inner.value(), uploadId: upload.upload_id, thumb: upload.url || `/api/uploads/${upload.upload_id}` };
      painter = null;
      drawBar();
    },
    isBusy: () => busy || inner.isBusy(),
  };
}
