// The size of an aspect parameter with size classes: a class switch (512 / 768 / 1024), the
// ratio chips of that class with their pixel sizes, and "Custom" (width x height inputs checked
// here before sending). What it sends is always what will run: "<W>x<H>" (or "keep").

import { element, html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { aspectLabel } from "../lib/param-labels.js";
import { classesOf, customProblem, locateSize, parseSize, rememberClass, startClass } from "../lib/sizes.js";

const CUSTOM = "custom";

/** Build the field. Returns {el, value, set, setModel, validate}. */
export function createSizeField(param, label, { onChange = () => {} } = {}) {
  const id = `param-${param.id}`;
  const state = { cls: classesOf(param).at(-1) || "1024", choice: String(param.default ?? "1:1"), width: "", height: "", modelKey: "" };
  const el = element(html`<fieldset class="field size-field" data-testid="size-field"></fieldset>`);
  const others = () => (param.presets || []).filter((p) => !(param.size_classes?.[state.cls] || []).some((q) => String(q.id) === String(p.id)) && !p.width);

  function chip(value, text, testid, shape = "") {
    const on = state.choice === value;
    return html`<button type="button" class="chip ${on ? "active" : ""}" role="radio" aria-checked="${on ? "true" : "false"}"
      data-value="${value}" data-testid="${testid}">${shape ? html`<span class="ratio-shape r-${shape}" aria-hidden="true"></span>` : ""}${text}</button>`;
  }

  function draw() {
    const sizes = param.size_classes?.[state.cls] || [];
    const custom = state.choice === CUSTOM;
    const problem = custom ? problemText() : "";
    render(el, html`<legend>${label}</legend>
      <p class="size-caption" id="${id}-class-label">${t("byo.size_class")}</p>
      <div class="chip-row size-classes" role="radiogroup" aria-labelledby="${id}-class-label" data-testid="size-class">
        ${classesOf(param).map((cls) => html`<button type="button" class="chip ${cls === state.cls ? "active" : ""}" role="radio"
          aria-checked="${cls === state.cls ? "true" : "false"}" data-class="${cls}" data-testid="size-class-${cls}">${t(`byo.size_class_${cls}`)}</button>`)}
      </div>
      <div class="chip-row size-ratios" role="radiogroup" aria-label="${label}" data-testid="param-${param.id}">
        ${others().map((p) => chip(String(p.id), localized(p.label) || aspectLabel(String(p.id)), `aspect-${p.id}`))}
        ${sizes.map((p) => chip(String(p.id), `${aspectLabel(String(p.id))} · ${p.width}×${p.height}`, `aspect-${p.id}`, String(p.id).replace(":", "-")))}
        ${chip(CUSTOM, t("byo.size_custom"), "aspect-custom")}
      </div>
      ${custom ? html`<div class="size-custom">
        <span class="size-axis"><label for="${id}-width">${t("byo.size_width")}</label>
        <input id="${id}-width" type="number" inputmode="numeric" data-axis="width" data-testid="size-width" value="${state.width}"
          min="${param.custom?.min ?? ""}" max="${param.custom?.max ?? ""}" step="${param.custom?.step ?? 8}" aria-describedby="${id}-size-error ${id}-size-hint"></span>
        <span class="size-times" aria-hidden="true">×</span>
        <span class="size-axis"><label for="${id}-height">${t("byo.size_height")}</label>
        <input id="${id}-height" type="number" inputmode="numeric" data-axis="height" data-testid="size-height" value="${state.height}"
          min="${param.custom?.min ?? ""}" max="${param.custom?.max ?? ""}" step="${param.custom?.step ?? 8}" aria-describedby="${id}-size-error ${id}-size-hint"></span>
      </div>
      <p class="hint" id="${id}-size-hint">${t("byo.size_custom_hint", { step: param.custom?.step ?? 8, min: param.custom?.min ?? "", max: param.custom?.max ?? "" })}</p>
      <p class="field-error" id="${id}-size-error" role="status" data-testid="size-error">${problem}</p>` : ""}`);
  }

  function problemText() {
    const problem = customProblem(param.custom, Number(state.width), Number(state.height));
    return problem ? t(problem.key, problem.vars) : "";
  }

  /** The chip's size in the current class, else the custom size, as {width, height}. */
  function currentSize() {
    if (state.choice === CUSTOM) return parseSize(`${state.width}x${state.height}`);
    const preset = (param.size_classes?.[state.cls] || []).find((p) => String(p.id) === state.choice);
    return preset ? { width: preset.width, height: preset.height } : null;
  }

  /** Keep the chosen ratio in a new class; one the class lacks becomes the class's first. */
  function fitChoice() {
    const ids = [CUSTOM, ...others(), ...(param.size_classes?.[state.cls] || [])].map((p) => String(p.id ?? p));
    if (!ids.includes(state.choice)) state.choice = String(param.size_classes?.[state.cls]?.[0]?.id ?? state.choice);
  }

  el.addEventListener("click", (event) => {
    const cls = event.target.closest("[data-class]")?.dataset.class;
    const value = event.target.closest("[data-value]")?.dataset.value;
    if (cls) {
      state.cls = cls;
      rememberClass(state.modelKey, cls);
      fitChoice();
    } else if (value) {
      if (value === CUSTOM && state.choice !== CUSTOM) {
        const size = currentSize() || parseSize(`${param.size_classes?.[state.cls]?.[0]?.width}x${param.size_classes?.[state.cls]?.[0]?.height}`);
        state.width = String(size?.width ?? "");
        state.height = String(size?.height ?? "");
      }
      state.choice = value;
    } else return;
    draw();
    (value === CUSTOM ? el.querySelector("[data-testid=size-width]") : el.querySelector(cls ? "[data-class].active" : "[data-value].active"))?.focus();
    onChange();
  });
  // Typing checks the size at once (the message under the inputs) without redrawing them.
  el.addEventListener("input", (event) => {
    const axis = event.target.dataset.axis;
    if (!axis) return;
    state[axis] = event.target.value.trim();
    const error = el.querySelector("[data-testid=size-error]");
    const text = problemText();
    if (error.textContent !== text) error.textContent = text;
  });
  el.addEventListener("change", (event) => {
    if (event.target.dataset.axis) onChange();
  });
  draw();

  return {
    el,
    /** What the request carries: "<W>x<H>" for a class size or a custom one, else the preset id. */
    value() {
      const size = currentSize();
      if (state.choice === CUSTOM) return `${state.width}x${state.height}`;
      return size ? `${size.width}x${size.height}` : state.choice;
    },
    /** Show a stored value: its class and chip when a class has it, else a custom size. */
    set(value) {
      const text = String(value);
      const found = locateSize(param, text, state.cls);
      const size = parseSize(text);
      if (found) Object.assign(state, { cls: found.cls, choice: found.id });
      else if (size) Object.assign(state, { choice: CUSTOM, width: String(size.width), height: String(size.height) });
      else state.choice = text;
      draw();
    },
    /** The model changed (modelKey: its file name): start in its class; the chosen ratio stays. */
    setModel(modelKey, families) {
      state.modelKey = modelKey;
      state.cls = startClass(param, families, modelKey);
      fitChoice();
      draw();
    },
    /** A message for an invalid custom size, or null. */
    validate() {
      return state.choice === CUSTOM ? problemText() || null : null;
    },
  };
}
