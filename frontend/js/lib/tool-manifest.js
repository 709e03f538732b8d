// The admin's edits applied to an imported tool's manifest (pure: no DOM, no API).
// The manifest is copied whole and only the fields the editor shows are overwritten, so the
// targets, presets, requires and anything the page does not know survive every save.
// A hidden parameter is taken out of `parameters` (the graph keeps its literal value); the
// editor keeps its entry aside ({param, index}) so it can be put back where it was.

export const NUMBER_TYPES = new Set(["int", "float", "seed"]);
const LIMITS = ["min", "max", "step"];

/** A deep copy of a JSON value. */
export function copyJson(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The manifest's parameters and the hidden ones, in their original order: [{param, hidden}]. */
export function allParameters(parameters, hidden) {
  const rows = (parameters || []).map((param) => ({ param, hidden: false }));
  const aside = [...(hidden || [])].sort((a, b) => a.index - b.index);
  for (const { param, index } of aside) {
    if (rows.some((row) => row.param.id === param.id)) continue; // the server has it again
    rows.splice(Math.min(Math.max(0, index), rows.length), 0, { param, hidden: true });
  }
  return rows;
}

/** The choices a parameter's default is picked from (aspect presets or its choices), or null. */
export function defaultChoices(param) {
  if (param.type === "aspect") return (param.presets || []).map((preset) => preset.id);
  return Array.isArray(param.choices) && param.choices.length ? param.choices : null;
}

/** Whether the editor can show a parameter's default in one field (a LoRA list it cannot). */
export function hasEditableDefault(param) {
  const value = param.default;
  return value === null || value === undefined || ["string", "number", "boolean"].includes(typeof value);
}

/** A number field's text as the parameter's type (int/seed whole numbers); "" is null. */
export function parseNumber(text, type) {
  const trimmed = String(text ?? "").trim();
  if (trimmed === "") return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return null;
  return type === "float" ? value : Math.round(value);
}

function bilingual(base, edit) {
  return { ...(base || {}), en: edit.en, "zh-TW": edit["zh-TW"] };
}

function setOrDrop(target, key, value) {
  if (value === null || value === undefined) delete target[key];
  else target[key] = value;
}

function editedParam(original, edit) {
  const param = copyJson(original);
  param.label = bilingual(param.label, edit.label);
  if (edit.advanced || "advanced" in param) param.advanced = Boolean(edit.advanced); // absent = false
  if ("default" in edit) param.default = edit.default;
  if (NUMBER_TYPES.has(param.type) && param.type !== "seed") {
    for (const key of LIMITS) if (key in edit) setOrDrop(param, key, edit[key]);
  }
  return param;
}

/**
 * The manifest to PATCH and the parameters kept aside, from the last saved manifest, the
 * hidden entries and the form's edits:
 *   edits = {name, description: {en, zh-TW}, icon, category,
 *            params: [{id, label, default?, min?, max?, step?, advanced, hidden}],
 *            slots: [{id, label, required}]}
 */
export function applyEdits(manifest, hidden, edits) {
  const next = copyJson(manifest);
  next.name = bilingual(next.name, edits.name);
  next.description = bilingual(next.description, edits.description);
  next.icon = edits.icon;
  next.category = edits.category;
  const rows = allParameters(manifest.parameters, hidden);
  const byId = new Map((edits.params || []).map((edit) => [edit.id, edit]));
  const parameters = [];
  const aside = [];
  rows.forEach(({ param }, index) => {
    const edit = byId.get(param.id);
    const result = edit ? editedParam(param, edit) : copyJson(param);
    if (edit ? edit.hidden : rows[index].hidden) aside.push({ param: result, index });
    else parameters.push(result);
  });
  next.parameters = parameters;
  const slotEdits = new Map((edits.slots || []).map((edit) => [edit.id, edit]));
  next.slots = (next.slots || []).map((slot) => {
    const edit = slotEdits.get(slot.id);
    if (!edit) return slot;
    const changed = { ...slot, label: bilingual(slot.label, edit.label) };
    if (!edit.required || "required" in slot) changed.required = Boolean(edit.required); // absent = true
    return changed;
  });
  return { manifest: next, hidden: aside };
}

/** Counts of a draft's problems by severity: {error, warning}. */
export function problemCounts(problems) {
  const counts = { error: 0, warning: 0 };
  for (const problem of problems || []) counts[problem.severity === "error" ? "error" : "warning"] += 1;
  return counts;
}
