// One image slot of a tool: click, drag and drop or paste; preview; clear; upload on pick.

import { errorText } from "../lib/error-text.js";
import { element, html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { isAcceptedImage, uploadImage } from "../lib/images.js";

/**
 * Create the slot UI. Returns {el, slot, value, isEmpty, isBusy, setFile, setUpload, clear}.
 * value() is the upload_id or null. onChange() fires after every state change.
 */
export function createUploadSlot(slot, { onChange = () => {}, onError = () => {} } = {}) {
  let state = { status: "empty", uploadId: null, preview: null, error: null };
  let objectUrl = null;
  const inputId = `slot-input-${slot.id}`;
  const el = element(html`<div class="upload-slot" data-testid="slot-${slot.id}" data-slot="${slot.id}"></div>`);

  function releasePreview() {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
  }

  function draw() {
    const label = localized(slot.label) || slot.id;
    render(el, html`
      <label class="slot-zone ${state.status}" for="${inputId}" tabindex="0" data-testid="slot-zone-${slot.id}">
        <input id="${inputId}" class="visually-hidden" type="file" accept="image/png,image/jpeg,image/webp"
          data-testid="slot-input-${slot.id}">
        ${state.preview
          ? html`<img class="slot-preview" src="${state.preview}" alt="${label}" data-testid="slot-preview-${slot.id}">`
          : html`<span class="slot-empty">${icon("upload", { size: 26 })}<span>${t("slot.drop")}</span></span>`}
        ${state.status === "uploading" ? html`<span class="slot-busy" role="status">${t("slot.uploading")}</span>` : ""}
      </label>
      <div class="slot-meta">
        <span class="slot-label">${label}${slot.required ? html`<span class="req" aria-hidden="true"> *</span>` : ""}</span>
        ${state.preview
          ? html`<button type="button" class="icon-btn small" data-clear data-testid="slot-clear-${slot.id}"
              aria-label="${t("slot.clear", { label })}">${icon("trash", { size: 16 })}</button>`
          : ""}
      </div>
      ${state.error ? html`<p class="field-error" role="alert" data-testid="slot-error-${slot.id}">${state.error}</p>` : ""}`);
    el.classList.toggle("has-image", Boolean(state.preview));
  }

  async function setFile(file) {
    if (!isAcceptedImage(file)) {
      state = { ...state, error: t("studio_ux.not_image", { name: file.name || file.type || "?" }) };
      draw();
      return;
    }
    releasePreview();
    objectUrl = URL.createObjectURL(file);
    state = { status: "uploading", uploadId: null, preview: objectUrl, error: null };
    draw();
    onChange();
    try {
      const upload = await uploadImage(file);
      if (state.preview !== objectUrl) return; // cleared or replaced meanwhile
      state = { ...state, status: "ready", uploadId: upload.upload_id, serverUrl: upload.url };
    } catch (err) {
      if (state.preview !== objectUrl) return;
      releasePreview();
      state = { status: "empty", uploadId: null, preview: null, error: errorText(err) };
      onError(err);
    }
    draw();
    onChange();
  }

  /** Put an existing upload into the slot (remix, "use as input"). */
  function setUpload(upload) {
    releasePreview();
    state = { status: "ready", uploadId: upload.upload_id, preview: upload.url, serverUrl: upload.url, error: null };
    draw();
    onChange();
  }

  function clear() {
    releasePreview();
    state = { status: "empty", uploadId: null, preview: null, error: null };
    draw();
    onChange();
  }

  el.addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) setFile(file);
    event.target.value = ""; // picking the same file twice must fire again
  });
  el.addEventListener("click", (event) => {
    if (event.target.closest("[data-clear]")) clear();
  });
  el.addEventListener("keydown", (event) => {
    const zone = event.target.closest(".slot-zone");
    if (zone && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      el.querySelector("input[type=file]").click();
    }
  });
  el.addEventListener("dragover", (event) => {
    event.preventDefault();
    el.classList.add("dragging");
  });
  el.addEventListener("dragleave", () => el.classList.remove("dragging"));
  el.addEventListener("drop", (event) => {
    event.preventDefault();
    el.classList.remove("dragging");
    // A dropped PDF (or any other non-image) is refused out loud: setFile writes the slot's error.
    const files = [...(event.dataTransfer?.files || [])];
    const file = files.find(isAcceptedImage) || files[0];
    if (file) setFile(file);
  });
  draw();

  return {
    el,
    slot,
    value: () => (state.status === "ready" ? state.uploadId : null),
    upload: () => (state.status === "ready" ? { upload_id: state.uploadId, url: state.serverUrl || `/api/uploads/${state.uploadId}` } : null),
    isEmpty: () => state.status === "empty",
    isBusy: () => state.status === "uploading",
    setFile,
    setUpload,
    clear,
    destroy: releasePreview,
  };
}
