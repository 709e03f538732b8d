// Generation settings built from a tool's manifest parameters.

import { modelChoices } from "../lib/catalog.js";
import { element, html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { appendModelOptions } from "../lib/model-options.js";
import { aspectLabel } from "../lib/param-labels.js";
import { createLoraField } from "./lora-field.js";
import { createSizeField } from "./size-field.js";

const TOP_LEVEL = new Set(["seed", "model", "aspect_ratio", "batch_size"]);
const ADVANCED_IDS = new Set(["steps", "cfg", "negative_prompt", "denoise", "sampler", "scheduler"]);
const DEFAULT_ASPECTS = ["1:1", "16:9", "9:16", "2:3", "3:4", "4:3"];
// The server's seeds go up to 2^53 - 1 (a JSON-safe integer); a manifest may set a lower max.
const SEED_MAX = Number.MAX_SAFE_INTEGER;
const SHUFFLE_MAX = 4294967295; // shuffled seeds stay short enough to read and type

/** The largest seed this parameter accepts. */
export function seedMax(param) {
  return Number.isSafeInteger(param.max) && param.max > 0 ? param.max : SEED_MAX;
}

/** Aspect choices as [{id, label}]: the manifest's presets, else its choices, else the defaults. */
function aspectChoices(param) {
  if (Array.isArray(param.presets) && param.presets.length) {
    return param.presets.map((preset) => ({ id: String(preset.id), label: localized(preset.label) || aspectLabel(String(preset.id)) }));
  }
  const ids = param.choices?.length ? param.choices.map(String) : DEFAULT_ASPECTS;
  return ids.map((id) => ({ id, label: aspectLabel(id) }));
}

/** How a parameter is drawn: prompt, seed, aspect, batch, model, loras, bool, choice, number, text, string. */
export function kindOf(param) {
  const type = String(param.type || "").toLowerCase();
  if (param.id === "prompt" || type === "prompt") return "prompt";
  if (param.id === "seed" || type === "seed") return "seed";
  if (param.id === "aspect_ratio" || type === "aspect_ratio" || type === "aspect") return "aspect";
  if (param.id === "batch_size" || type === "batch") return "batch";
  if (param.id === "model" || type === "model") return "model";
  if (type === "loras") return "loras";
  if (type === "bool" || type === "boolean") return "bool";
  if (Array.isArray(param.choices) && param.choices.length) return "choice";
  if (["int", "integer", "float", "number"].includes(type)) return "number";
  if (type === "text" || type === "textarea" || param.id === "negative_prompt") return "text";
  return "string";
}

/** The parameter's label in the current language. */
export function paramLabel(param) {
  const own = localized(param.label);
  if (own) return own;
  const key = `param.${param.id}`;
  return t(key) === key ? param.id : t(key);
}

function isAdvanced(param) {
  return param.advanced ?? ADVANCED_IDS.has(param.id);
}

function fieldMarkup(param, value) {
  const id = `param-${param.id}`;
  const label = paramLabel(param);
  const kind = kindOf(param);
  const testid = `param-${param.id}`;
  if (kind === "aspect") {
    return html`<fieldset class="field"><legend>${label}</legend>
      <div class="chip-row" role="radiogroup" aria-label="${label}" data-testid="${testid}">
        ${aspectChoices(param).map(({ id: c, label: text }) => html`<button type="button" class="chip ${c === value ? "active" : ""}" role="radio"
          aria-checked="${c === value ? "true" : "false"}" data-value="${c}" data-testid="aspect-${c}">
          <span class="ratio-shape r-${c.replace(":", "-")}" aria-hidden="true"></span>${text}</button>`)}
      </div></fieldset>`;
  }
  if (kind === "batch") {
    const max = param.max ?? 4;
    const choices = (param.choices?.length ? param.choices.map(Number) : [1, 2, 4]).filter((n) => n <= max);
    return html`<fieldset class="field"><legend>${label}</legend>
      <div class="chip-row" role="radiogroup" aria-label="${label}" data-testid="${testid}">
        ${choices.map((n) => html`<button type="button" class="chip ${n === value ? "active" : ""}" role="radio"
          aria-checked="${n === value ? "true" : "false"}" data-value="${n}" data-testid="batch-${n}">${n}</button>`)}
      </div></fieldset>`;
  }
  if (kind === "seed") {
    return html`<div class="field"><label for="${id}">${label}</label>
      <div class="seed-row">
        <input id="${id}" type="number" inputmode="numeric" step="1" min="-1" max="${seedMax(param)}" value="${value.seed}"
          data-testid="seed-input" aria-describedby="${id}-hint">
        <button type="button" class="icon-btn" data-seed-shuffle data-testid="seed-shuffle" aria-label="${t("seed.shuffle")}">${icon("shuffle")}</button>
        <button type="button" class="icon-btn ${value.locked ? "active" : ""}" data-seed-lock data-testid="seed-lock"
          aria-pressed="${value.locked ? "true" : "false"}" aria-label="${t("seed.lock")}">${icon(value.locked ? "lock" : "unlock")}</button>
      </div>
      <p class="hint" id="${id}-hint">${value.locked ? t("seed.locked_hint") : t("seed.random_hint")}</p></div>`;
  }
  if (kind === "model") {
    return html`<div class="field"><label for="${id}">${label}</label>
      <select id="${id}" data-testid="model-select"><option value="">${t("model.default")}</option></select>
      <p class="hint" data-model-hint></p></div>`;
  }
  if (kind === "choice") {
    return html`<div class="field"><label for="${id}">${label}</label>
      <select id="${id}" data-testid="${testid}">
        ${param.choices.map((c) => html`<option value="${c}" ${String(c) === String(value) ? "selected" : ""}>${c}</option>`)}
      </select></div>`;
  }
  if (kind === "bool") {
    return html`<div class="field check"><input id="${id}" type="checkbox" data-testid="${testid}" ${value ? "checked" : ""}>
      <label for="${id}">${label}</label></div>`;
  }
  if (kind === "number") {
    const isInt = ["int", "integer"].includes(String(param.type).toLowerCase());
    return html`<div class="field"><label for="${id}">${label}</label>
      <input id="${id}" type="number" inputmode="${isInt ? "numeric" : "decimal"}" data-testid="${testid}"
        min="${param.min ?? ""}" max="${param.max ?? ""}" step="${param.step ?? (isInt ? 1 : "any")}" value="${value ?? ""}">
      ${param.min !== undefined && param.max !== undefined ? html`<p class="hint">${param.min} – ${param.max}</p>` : ""}</div>`;
  }
  const maxlength = param.max_length ? html` maxlength="${param.max_length}"` : "";
  if (kind === "text") {
    return html`<div class="field"><label for="${id}">${label}</label>
      <textarea id="${id}" rows="3" data-testid="${testid}"${maxlength}>${value ?? ""}</textarea></div>`;
  }
  return html`<div class="field"><label for="${id}">${label}</label>
    <input id="${id}" type="text" data-testid="${testid}" value="${value ?? ""}"${maxlength}></div>`;
}

/** The fields that keep their own state: sizes with classes, LoRAs ({param id: field}). */
function ownFields(params, onChange) {
  const own = {};
  for (const p of params) {
    if (kindOf(p) === "loras") own[p.id] = createLoraField(p, paramLabel(p), { onChange });
    else if (kindOf(p) === "aspect" && p.size_classes) own[p.id] = createSizeField(p, paramLabel(p), { onChange });
  }
  return own;
}

/** Build the panel. Returns {el, values, validate, apply}. */
export function createSettingsPanel(tool, { onChange = () => {} } = {}) {
  const params = (tool.parameters || []).filter((p) => kindOf(p) !== "prompt");
  const own = ownFields(params, onChange);
  const sizeFields = params.filter((p) => own[p.id] && kindOf(p) === "aspect").map((p) => own[p.id]);
  const modelParam = params.find((p) => kindOf(p) === "model");
  const values = {};
  for (const p of params) {
    if (kindOf(p) === "seed") {
      const seed = Number.isInteger(p.default) ? p.default : -1;
      values[p.id] = { seed, locked: seed !== -1 };
    } else if (kindOf(p) === "aspect") values[p.id] = String(p.default ?? "1:1");
    else if (kindOf(p) === "batch") values[p.id] = Number(p.default ?? 1);
    else values[p.id] = p.default ?? (kindOf(p) === "model" ? "" : null);
  }
  const el = element(html`<div class="settings-panel" data-testid="settings-panel"></div>`);

  const field = (p) => html`<div data-param="${p.id}">${own[p.id] ? "" : fieldMarkup(p, values[p.id])}</div>`;
  function draw() {
    const basic = params.filter((p) => !isAdvanced(p));
    const advanced = params.filter(isAdvanced);
    render(el, html`
      ${basic.map(field)}
      ${advanced.length
        ? html`<details class="advanced" data-testid="advanced"><summary>${t("settings.advanced")}</summary>
            ${advanced.map(field)}
          </details>`
        : ""}
      ${params.length ? "" : html`<p class="muted">${t("settings.none")}</p>`}`);
    for (const [pid, ownField] of Object.entries(own)) el.querySelector(`[data-param="${pid}"]`).append(ownField.el);
    fillModels();
  }

  // The sizes follow the model: its file name (or the tool's default model) picks the class.
  function modelChanged() {
    const key = (modelParam && (values[modelParam.id] || modelParam.default)) || `tool:${tool.id}`;
    for (const sizes of sizeFields) sizes.setModel(key, modelParam?.families);
  }

  async function fillModels() {
    for (const p of params.filter((q) => kindOf(q) === "model")) {
      const select = el.querySelector(`[data-param="${p.id}"] select`);
      const hint = el.querySelector(`[data-param="${p.id}"] [data-model-hint]`);
      try {
        const choices = await modelChoices(p);
        appendModelOptions(select, choices, p.families);
        if (values[p.id] && !choices.includes(values[p.id])) hint.textContent = t("model.missing", { model: values[p.id] });
        select.value = choices.includes(values[p.id]) ? values[p.id] : "";
      } catch {
        hint.textContent = t("model.unavailable");
      }
    }
  }

  function fieldFor(target) {
    const wrap = target.closest("[data-param]");
    return wrap && !own[wrap.dataset.param] ? params.find((p) => p.id === wrap.dataset.param) : null;
  }

  el.addEventListener("click", (event) => {
    const param = fieldFor(event.target);
    if (!param) return;
    const chip = event.target.closest(".chip");
    if (chip) {
      values[param.id] = kindOf(param) === "batch" ? Number(chip.dataset.value) : chip.dataset.value;
      draw();
      el.querySelector(`[data-param="${param.id}"] .chip.active`)?.focus();
    } else if (event.target.closest("[data-seed-shuffle]")) {
      values[param.id] = { seed: Math.floor(Math.random() * Math.min(SHUFFLE_MAX, seedMax(param))), locked: true };
      draw();
    } else if (event.target.closest("[data-seed-lock]")) {
      const locked = !values[param.id].locked;
      values[param.id] = { seed: locked ? Math.max(0, values[param.id].seed) : -1, locked };
      draw();
      el.querySelector("[data-seed-lock]").focus();
    } else return;
    onChange();
  });
  el.addEventListener("change", (event) => {
    const param = fieldFor(event.target);
    if (!param) return;
    const kind = kindOf(param);
    const raw = event.target.value;
    if (kind === "seed") {
      const seed = raw.trim() === "" ? -1 : Number(raw);
      values[param.id] = { seed, locked: seed !== -1 };
      draw();
    } else if (kind === "bool") values[param.id] = event.target.checked;
    else if (kind === "number") values[param.id] = raw.trim() === "" ? null : Number(raw);
    else values[param.id] = raw;
    if (kind === "model") modelChanged();
    onChange();
  });
  el.addEventListener("input", (event) => {
    const param = fieldFor(event.target);
    if (param && ["text", "string"].includes(kindOf(param))) values[param.id] = event.target.value;
  });
  draw();
  modelChanged();

  /** A message for the first invalid value, or null. */
  function validate() {
    for (const p of params) {
      const kind = kindOf(p);
      if (own[p.id]) {
        const problem = own[p.id].validate();
        if (problem) return problem;
        continue;
      }
      const v = values[p.id];
      if (kind === "seed" && (!Number.isInteger(v.seed) || v.seed < -1 || v.seed > seedMax(p))) {
        return t("seed.invalid", { max: seedMax(p) });
      }
      if (kind === "number" && v !== null) {
        if (!Number.isFinite(v) || (p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) {
          return t("settings.out_of_range", { label: paramLabel(p), min: p.min ?? "", max: p.max ?? "" });
        }
      }
      if (p.required && (v === null || v === "") && kind !== "model") return t("settings.required", { label: paramLabel(p) });
    }
    return null;
  }

  /** The request fields: {seed, model, aspect_ratio, batch_size, params: {...}} for declared params. */
  function collect() {
    const out = { params: {} };
    for (const p of params) {
      const kind = kindOf(p);
      let v = own[p.id] ? own[p.id].value() : values[p.id];
      if (kind === "seed") v = v.seed;
      if (kind === "model") v = v || null;
      if (v === null || v === undefined || (kind === "text" && v === "" && !p.required)) {
        if (kind !== "model") continue;
      }
      if (TOP_LEVEL.has(p.id)) out[p.id] = v;
      else out.params[p.id] = v;
    }
    return out;
  }

  /** Restore values from a job or draft (remix). */
  function apply(source) {
    const merged = { ...(source.params || {}), ...source };
    for (const p of params) {
      if (!(p.id in merged) || merged[p.id] === undefined || own[p.id]) continue;
      const v = merged[p.id];
      const kind = kindOf(p);
      if (kind === "seed") values[p.id] = { seed: Number(v), locked: Number(v) !== -1 };
      else if (kind === "batch") values[p.id] = Number(v);
      else if (kind === "model") values[p.id] = v || "";
      else if (kind === "aspect") values[p.id] = String(v);
      else values[p.id] = v;
    }
    draw();
    modelChanged(); // first the model's class, then a stored size picks its own
    for (const [pid, ownField] of Object.entries(own)) if (merged[pid] !== undefined && merged[pid] !== null) ownField.set(merged[pid]);
  }

  return { el, values: collect, validate, apply };
}
