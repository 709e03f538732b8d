// The editor of one imported tool (admins): names, icon, category, each parameter's labels,
// default, limits, advanced and hidden, each slot's label and required, the problems the server
// found, and the actions. It renders and reads the form; the view talks to the API.

import { element, html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { ICON_NAMES, icon } from "../lib/icons.js";
import {
  NUMBER_TYPES,
  allParameters,
  defaultChoices,
  hasEditableDefault,
  parseNumber,
  problemCounts,
} from "../lib/tool-manifest.js";

const LANG_FIELDS = [
  ["en", "admintools.lang_en"],
  ["zh-TW", "admintools.lang_zh"],
];

/** The status badge of an imported tool (draft / published / disabled). */
export function statusBadge(status) {
  return html`<span class="badge admintools-badge-${status}" data-testid="admin-tool-status">${t(`admintools.status.${status}`)}</span>`;
}

function textPair(prefix, legend, value, required = true) {
  return html`<fieldset class="field admintools-pair"><legend>${legend}</legend>
    ${LANG_FIELDS.map(([lang, key]) => html`<div class="admintools-pair-item">
      <label for="${prefix}-${lang}">${t(key)}</label>
      <input id="${prefix}-${lang}" type="text" data-f="${lang}" value="${(value || {})[lang] || ""}" ${required ? "required" : ""}>
    </div>`)}
  </fieldset>`;
}

function numberField(id, key, label, value) {
  return html`<div class="field admintools-num"><label for="${id}-${key}">${label}</label>
    <input id="${id}-${key}" type="number" step="any" inputmode="decimal" data-f="${key}" value="${value ?? ""}"></div>`;
}

function defaultField(id, param) {
  if (!hasEditableDefault(param)) return ""; // e.g. a LoRA list: kept as the manifest has it
  const label = html`<label for="${id}-default">${t("admintools.param_default")}</label>`;
  const choices = defaultChoices(param);
  if (choices) {
    return html`<div class="field">${label}<select id="${id}-default" data-f="default" data-testid="admin-param-default">
      ${choices.map((c, i) => html`<option value="${i}" ${c === param.default ? "selected" : ""}>${String(c)}</option>`)}
    </select></div>`;
  }
  if (param.type === "bool") {
    return html`<label class="field check" for="${id}-default"><input id="${id}-default" type="checkbox" data-f="default"
      data-testid="admin-param-default" ${param.default ? "checked" : ""}>${t("admintools.param_default")}</label>`;
  }
  const type = NUMBER_TYPES.has(param.type) ? "number" : "text";
  return html`<div class="field">${label}<input id="${id}-default" type="${type}" ${type === "number" ? "step=any" : ""}
    data-f="default" data-testid="admin-param-default" value="${param.default ?? ""}"></div>`;
}

function paramRow({ param, hidden }, index) {
  const id = `te-p${index}`;
  const limits = NUMBER_TYPES.has(param.type) && param.type !== "seed";
  return html`<fieldset class="admintools-param ${hidden ? "is-hidden" : ""}" data-param-id="${param.id}" data-testid="admin-param">
    <legend><code>${param.id}</code> <span class="muted small">${param.type}</span></legend>
    ${textPair(`${id}-label`, t("admintools.param_label"), param.label)}
    <div class="admintools-grid">
      ${defaultField(id, param)}
      ${limits ? [["min", "param_min"], ["max", "param_max"], ["step", "param_step"]].map(([key, label]) =>
        numberField(id, key, t(`admintools.${label}`), param[key])) : ""}
    </div>
    <div class="admintools-checks">
      <label class="field check" for="${id}-advanced"><input id="${id}-advanced" type="checkbox" data-f="advanced"
        data-testid="admin-param-advanced" ${param.advanced ? "checked" : ""}>${t("admintools.param_advanced")}</label>
      <label class="field check" for="${id}-hidden"><input id="${id}-hidden" type="checkbox" data-f="hidden"
        data-testid="admin-param-hidden" aria-describedby="te-hidden-hint" ${hidden ? "checked" : ""}>${t("admintools.param_hidden")}</label>
    </div>
  </fieldset>`;
}

function slotRow(slot, index) {
  const id = `te-s${index}`;
  // The catalog takes an optional slot only with the inputs to drop when no image comes
  // ("detach"); without them the workflow needs the image and the slot stays required.
  const canBeOptional = Array.isArray(slot.detach) && slot.detach.length > 0;
  return html`<fieldset class="admintools-param" data-slot-id="${slot.id}" data-testid="admin-slot">
    <legend><code>${slot.id}</code></legend>
    ${textPair(`${id}-label`, t("admintools.slot_label"), slot.label)}
    <label class="field check" for="${id}-required"><input id="${id}-required" type="checkbox" data-f="required"
      data-testid="admin-slot-required" ${slot.required !== false ? "checked" : ""} ${canBeOptional ? "" : html`disabled aria-describedby="${id}-needed"`}>${t("admintools.slot_required")}</label>
    ${canBeOptional ? "" : html`<p class="hint" id="${id}-needed">${t("admintools.slot_needed")}</p>`}
  </fieldset>`;
}

/** The icons to choose from; a manifest's own icon the page does not draw stays selectable. */
function iconChoices(current) {
  return current && !ICON_NAMES.includes(current) ? [current, ...ICON_NAMES] : ICON_NAMES;
}

function problemItem(problem, classes) {
  const severity = problem.severity === "error" ? "error" : "warning";
  return html`<li class="admintools-problem admintools-problem-${severity}" data-testid="admin-problem"
      data-severity="${severity}" data-code="${problem.code}">
    <span class="badge admintools-sev-${severity}">${icon("alert", { size: 14 })}${t(`admintools.severity.${severity}`)}</span>
    <div class="admintools-problem-text">
      <p>${problem.message}</p>
      ${problem.fix ? html`<p class="muted small" data-testid="admin-problem-fix">${t("admintools.problem_fix", { fix: problem.fix })}</p>` : ""}
      ${problem.node ? html`<p class="muted small" data-testid="admin-problem-node">${t("admintools.problem_node", {
        node: problem.node, class_type: classes.get(problem.node) || "?" })}</p>` : ""}
    </div>
  </li>`;
}

/** The parts that change after every save: status, checks, problems, what the buttons allow. */
export function updateStatus(form, draft) {
  const counts = problemCounts(draft.problems);
  const classes = new Map((draft.workflow_nodes || []).map((n) => [n.id, n.class_type]));
  render(form.querySelector("[data-status]"), html`${statusBadge(draft.status)}
    <span class="muted small" data-testid="admin-checked">${t(`admintools.checked_${draft.checked_against === "live" ? "live" : "bundled"}`)}</span>`);
  render(form.querySelector("[data-problems]"), html`<h3 class="section-title">${icon("alert", { size: 16 })}${t("admintools.problems_title")}
      <span class="muted small" data-testid="admin-problem-counts">${t("admintools.problem_counts", { errors: counts.error, warnings: counts.warning })}</span></h3>
    ${draft.problems?.length
      ? html`<ul class="plain-list" data-testid="admin-problems">${draft.problems.map((p) => problemItem(p, classes))}</ul>`
      : html`<p class="muted" data-testid="admin-no-problems">${icon("check", { size: 16 })} ${t("admintools.no_problems")}</p>`}`);
  const publish = form.querySelector("[data-testid=admin-publish]");
  publish.disabled = counts.error > 0 || draft.status === "published";
  form.querySelector("[data-testid=admin-publish-blocked]").hidden = counts.error === 0;
  form.querySelector("[data-testid=admin-disable]").disabled = draft.status !== "published";
}

/** Render the editor for draft (hidden: the parameters kept aside); categories for the list. */
export function renderEditor(root, draft, hidden, categories) {
  const m = draft.manifest;
  const rows = allParameters(m.parameters, hidden);
  render(root, html`<form class="card glass admintools-editor" data-testid="admin-tool-editor" data-tool-id="${draft.id}" novalidate>
    <header class="admintools-editor-head">
      <h2 data-testid="admin-editor-title">${localized(m.name) || m.id}</h2>
      <p class="muted small"><code>${m.id}</code></p>
      <div class="admintools-status" data-status></div>
    </header>
    <!-- the export's name as the server's Content-Disposition gives it (custom_tools.exchange) -->
    <div class="row-actions admintools-actions">
      <button type="submit" class="btn primary small" data-testid="admin-save">${icon("check", { size: 16 })}${t("admintools.save")}</button>
      <button type="button" class="btn small" data-action="publish" data-testid="admin-publish">${icon("upload", { size: 16 })}${t("admintools.publish")}</button>
      <button type="button" class="btn small" data-action="disable" data-testid="admin-disable">${icon("stop", { size: 16 })}${t("admintools.disable")}</button>
      <a class="btn small" href="/api/admin/tools/${encodeURIComponent(draft.id)}/export" download="${draft.id}.studio-tool.json"
        data-testid="admin-export">${icon("download", { size: 16 })}${t("admintools.export")}</a>
      <button type="button" class="btn small danger" data-action="delete" data-testid="admin-delete">${icon("trash", { size: 16 })}${t("common.delete")}</button>
    </div>
    <p class="hint" data-testid="admin-publish-blocked" hidden>${t("admintools.publish_blocked")}</p>
    <p class="hint" data-testid="admin-unsaved" hidden>${t("admintools.unsaved")}</p>
    <p class="form-error" role="alert" data-testid="admin-editor-error" hidden></p>
    <section class="admintools-problems" data-problems aria-live="polite"></section>

    <h3 class="section-title">${t("admintools.tool_section")}</h3>
    ${textPair("te-name", t("admintools.name"), m.name)}
    ${textPair("te-desc", t("admintools.description"), m.description)}
    <div class="admintools-grid">
      <div class="field"><label for="te-icon">${t("admintools.icon")}</label>
        <div class="admintools-icon-pick"><span class="tool-icon" data-icon-preview>${icon(m.icon, { size: 22 })}</span>
        <select id="te-icon" data-testid="admin-icon">${iconChoices(m.icon).map((name) =>
          html`<option value="${name}" ${name === m.icon ? "selected" : ""}>${name}</option>`)}</select></div></div>
      <div class="field"><label for="te-category">${t("admintools.category")}</label>
        <input id="te-category" type="text" list="te-categories" data-testid="admin-category" value="${m.category || ""}">
        <datalist id="te-categories">${categories.map((c) => html`<option value="${c}"></option>`)}</datalist></div>
    </div>

    <h3 class="section-title">${t("admintools.params_section")}</h3>
    <p class="hint" id="te-hidden-hint">${t("admintools.param_hidden_hint")}</p>
    ${rows.length ? rows.map(paramRow) : html`<p class="muted">${t("admintools.no_params")}</p>`}

    <h3 class="section-title">${t("admintools.slots_section")}</h3>
    ${m.slots?.length ? m.slots.map(slotRow) : html`<p class="muted">${t("admintools.no_slots")}</p>`}
  </form>`);
  const form = root.querySelector("form");
  const preview = form.querySelector("[data-icon-preview]");
  form.querySelector("#te-icon").addEventListener("change", (event) => {
    preview.replaceChildren(element(html`<span>${icon(event.target.value, { size: 22 })}</span>`).firstElementChild);
  });
  form.addEventListener("change", (event) => {
    const row = event.target.matches("[data-f=hidden]") && event.target.closest("[data-param-id]");
    if (row) row.classList.toggle("is-hidden", event.target.checked);
  });
  updateStatus(form, draft);
  return form;
}

function pair(fieldset) {
  const out = {};
  for (const input of fieldset.querySelectorAll("input[data-f]")) out[input.dataset.f] = input.value.trim();
  return out;
}

function readDefault(input, param) {
  const choices = defaultChoices(param);
  if (choices) return choices[Number(input.value)];
  if (param.type === "bool") return input.checked;
  if (NUMBER_TYPES.has(param.type)) return parseNumber(input.value, param.type);
  return input.value;
}

/** The form's edits (see lib/tool-manifest.js applyEdits) for draft and its hidden parameters. */
export function readEdits(form, draft, hidden) {
  const pairs = [...form.querySelectorAll(":scope > .admintools-pair")];
  const params = allParameters(draft.manifest.parameters, hidden).map(({ param }) => {
    const row = form.querySelector(`[data-param-id="${CSS.escape(param.id)}"]`);
    const edit = {
      id: param.id,
      label: pair(row.querySelector(".admintools-pair")),
      advanced: row.querySelector("[data-f=advanced]").checked,
      hidden: row.querySelector("[data-f=hidden]").checked,
    };
    const input = row.querySelector("[data-f=default]");
    if (input) edit.default = readDefault(input, param);
    for (const key of ["min", "max", "step"]) {
      const input = row.querySelector(`[data-f=${key}]`);
      if (input) edit[key] = parseNumber(input.value, param.type);
    }
    return edit;
  });
  const slots = [...form.querySelectorAll("[data-slot-id]")].map((row) => ({
    id: row.dataset.slotId,
    label: pair(row.querySelector(".admintools-pair")),
    required: row.querySelector("[data-f=required]").checked,
  }));
  return {
    name: pair(pairs[0]),
    description: pair(pairs[1]),
    icon: form.querySelector("#te-icon").value,
    category: form.querySelector("#te-category").value.trim(),
    params,
    slots,
  };
}
