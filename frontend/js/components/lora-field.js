// A "loras" parameter: up to max_items rows of a LoRA file (as ComfyUI lists it) and its
// strength (slider and number kept together). The value is [{name, strength}].

import { modelChoices, modelLabel } from "../lib/catalog.js";
import { element, html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { appendModelOptions } from "../lib/model-options.js";

const STEP = 0.05;

/** Build the field. Returns {el, value, set, validate}. */
export function createLoraField(param, label, { onChange = () => {} } = {}) {
  const id = `param-${param.id}`;
  const min = param.min ?? -2;
  const max = param.max ?? 2;
  const maxItems = param.max_items ?? 4;
  let rows = []; // [{name, strength}]
  let choices = null; // null until loaded
  const el = element(html`<fieldset class="field lora-field" data-testid="lora-field"></fieldset>`);

  function draw() {
    const full = rows.length >= maxItems;
    const none = choices !== null && choices.length === 0;
    render(el, html`<legend>${label}</legend>
      <ul class="lora-rows" data-testid="lora-rows">
        ${rows.map((row, i) => html`<li class="lora-row" data-index="${i}" data-testid="lora-row">
          <label class="visually-hidden" for="${id}-${i}-name">${t("byo.lora_file", { n: i + 1 })}</label>
          <select id="${id}-${i}-name" data-testid="lora-name"></select>
          <div class="lora-strength">
            <label class="visually-hidden" for="${id}-${i}-range">${t("byo.lora_strength_of", { n: i + 1 })}</label>
            <input id="${id}-${i}-range" type="range" min="${min}" max="${max}" step="${STEP}" value="${row.strength}" data-testid="lora-strength-range">
            <label class="visually-hidden" for="${id}-${i}-strength">${t("byo.lora_strength_number", { n: i + 1 })}</label>
            <input id="${id}-${i}-strength" type="number" inputmode="decimal" min="${min}" max="${max}" step="${STEP}" value="${row.strength}" data-testid="lora-strength">
            <button type="button" class="icon-btn small" data-remove aria-label="${t("byo.lora_remove", { n: i + 1 })}" data-testid="lora-remove">${icon("close", { size: 16 })}</button>
          </div></li>`)}
      </ul>
      <button type="button" class="btn small" data-add data-testid="lora-add" ${full || none ? "disabled" : ""} aria-describedby="${id}-hint">
        ${icon("plus", { size: 16 })}<span>${t("byo.lora_add")}</span></button>
      <p class="hint" id="${id}-hint" data-testid="lora-hint">${none ? t("byo.lora_none_installed") : t("byo.lora_hint", { count: rows.length, max: maxItems, min, maxStrength: max })}</p>`);
    el.querySelectorAll("[data-testid=lora-name]").forEach((select, i) => {
      const names = choices || [];
      // A remixed LoRA that is no longer installed stays visible (and is refused by the server).
      if (!names.includes(rows[i].name)) select.append(new Option(t("byo.lora_missing", { name: rows[i].name }), rows[i].name));
      appendModelOptions(select, names, param.families);
      select.value = rows[i].name;
    });
  }

  const rowOf = (target) => Number(target.closest("[data-index]")?.dataset.index);

  el.addEventListener("click", (event) => {
    if (event.target.closest("[data-add]")) {
      const used = new Set(rows.map((r) => r.name));
      rows.push({ name: (choices || []).find((c) => !used.has(c)) ?? choices?.[0] ?? "", strength: Math.min(max, Math.max(min, 1)) });
      draw();
      el.querySelectorAll("[data-testid=lora-name]")[rows.length - 1]?.focus();
    } else if (event.target.closest("[data-remove]")) {
      rows.splice(rowOf(event.target), 1);
      draw();
      el.querySelector("[data-add]").focus();
    } else return;
    onChange();
  });
  // The slider and the number show one value: moving either moves the other, without a redraw.
  el.addEventListener("input", (event) => {
    const i = rowOf(event.target);
    if (!event.target.matches("[type=range], [type=number]") || Number.isNaN(i)) return;
    rows[i].strength = event.target.value.trim() === "" ? NaN : Number(event.target.value);
    const twin = el.querySelector(`[data-index="${i}"] ${event.target.type === "range" ? "[type=number]" : "[type=range]"}`);
    if (Number.isFinite(rows[i].strength)) twin.value = String(rows[i].strength);
  });
  el.addEventListener("change", (event) => {
    const i = rowOf(event.target);
    if (Number.isNaN(i)) return;
    if (event.target.matches("select")) rows[i].name = event.target.value;
    onChange();
  });

  modelChoices(param).then(
    (list) => {
      choices = list;
      draw();
    },
    () => {
      choices = [];
      draw();
    },
  );
  draw();

  return {
    el,
    /** [{name, strength}] as the request carries it. */
    value: () => rows.map((r) => ({ name: r.name, strength: r.strength })),
    /** Restore rows from a job or draft (remix, a PNG's graph). */
    set(list) {
      rows = (Array.isArray(list) ? list : [])
        .filter((r) => r && typeof r.name === "string")
        .slice(0, maxItems)
        .map((r) => ({ name: r.name, strength: Number.isFinite(Number(r.strength)) ? Number(r.strength) : 1 }));
      draw();
    },
    /** A message for a strength out of range, or null. */
    validate() {
      const bad = rows.findIndex((r) => !Number.isFinite(r.strength) || r.strength < min || r.strength > max);
      return bad < 0 ? null : t("byo.lora_bad_strength", { n: bad + 1, min, max });
    },
  };
}

/**
 * A note under the tool's header per optional LoRA: in use, or a tip to install it (none while
 * no engine is online to tell: installed null). Its label says what it is for, in the title.
 */
export function optionalLoraNotes(tool) {
  return (tool.optional_loras || []).filter((lora) => typeof lora.installed === "boolean").map((lora) => {
    const file = modelLabel(lora.file);
    return html`<p class="tool-note ${lora.installed ? "on" : ""}" data-testid="optional-lora" data-installed="${lora.installed ? "true" : "false"}"
      title="${localized(lora.label)}">${icon(lora.installed ? "check" : "sparkles", { size: 16 })}<span>${lora.installed ? t("byo.lora_optional_on", { file }) : t("byo.lora_optional_off", { file })}</span></p>`;
  });
}
