// Before/after for an edit: the job's input laid over its result, cut at a handle that a pointer
// drags and the arrow keys move (a role=slider, so assistive tools announce where it stands).

import { element, html } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";

const START = 50; // percent of the width that shows the input
const KEY_STEP = 5;
const PAGE_STEP = 20;

/** Build the comparison of `before` (input URL) and `after` (output URL); returns the element. */
export function createBeforeAfter({ before, after, afterAlt }) {
  const el = element(html`<div class="compare" data-testid="compare">
    <img class="compare-after" src="${after}" alt="${afterAlt}" data-testid="lightbox-image">
    <img class="compare-before" src="${before}" alt="${t("gallery_ux.input_alt")}" data-testid="compare-before">
    <span class="compare-tag compare-tag-before" aria-hidden="true">${t("gallery_ux.before")}</span>
    <span class="compare-tag compare-tag-after" aria-hidden="true">${t("gallery_ux.after")}</span>
    <div class="compare-handle" role="slider" tabindex="0" aria-label="${t("gallery_ux.compare")}"
      aria-valuemin="0" aria-valuemax="100" data-testid="compare-slider">
      <span class="compare-knob">${icon("chevronLeft", { size: 16 })}${icon("chevronRight", { size: 16 })}</span>
    </div>
  </div>`);
  const handle = el.querySelector(".compare-handle");
  const afterImg = el.querySelector(".compare-after");

  function set(percent) {
    const value = Math.round(Math.max(0, Math.min(100, percent)));
    // CSSOM, allowed by the CSP (style attributes are not): the cut and the handle follow --pos.
    el.style.setProperty("--pos", `${value}%`);
    handle.setAttribute("aria-valuenow", String(value));
    handle.setAttribute("aria-valuetext", t("gallery_ux.compare_value", { before: value, after: 100 - value }));
  }

  /** Position under the pointer, measured on the drawn result (the images share its box). */
  function fromPointer(event) {
    const rect = afterImg.getBoundingClientRect();
    if (rect.width > 0) set(((event.clientX - rect.left) / rect.width) * 100);
  }

  el.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    el.setPointerCapture(event.pointerId);
    el.classList.add("dragging");
    handle.focus({ preventScroll: true });
    fromPointer(event);
  });
  el.addEventListener("pointermove", (event) => {
    if (el.hasPointerCapture(event.pointerId)) fromPointer(event);
  });
  for (const type of ["pointerup", "pointercancel"]) {
    el.addEventListener(type, () => el.classList.remove("dragging"));
  }

  handle.addEventListener("keydown", (event) => {
    const now = Number(handle.getAttribute("aria-valuenow"));
    const moves = {
      ArrowLeft: now - KEY_STEP, ArrowDown: now - KEY_STEP, ArrowRight: now + KEY_STEP, ArrowUp: now + KEY_STEP,
      PageDown: now - PAGE_STEP, PageUp: now + PAGE_STEP, Home: 0, End: 100,
    };
    if (!(event.key in moves)) return;
    // The lightbox pages through outputs with the arrows: here they move the handle instead.
    event.preventDefault();
    event.stopPropagation();
    set(moves[event.key]);
  });

  set(START);
  return el;
}
