// Names people read for a job's parameters: never a raw key such as SAMPLER_NAME.

import { localized, t } from "./i18n.js";

/** "sampler_name" -> "Sampler name": the last resort for a key nobody has translated. */
function readable(key) {
  const words = String(key).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The label of parameter `key`: the tool manifest's own label, else the page's translation
 * (`param.*` for the form's parameters, `param_label.*` for the workflow's), else readable(key).
 */
export function paramLabel(key, tool = null) {
  const fromTool = tool?.parameters?.find((p) => p.id === key)?.label;
  if (fromTool) return localized(fromTool);
  for (const name of [`param.${key}`, `param_label.${key}`]) {
    const text = t(name);
    if (text !== name) return text;
  }
  return readable(key);
}

/** The label of an aspect preset id: "keep" is translated, a ratio ("16:9") is its own label. */
export function aspectLabel(value) {
  const key = `aspect.${value}`;
  return t(key) === key ? value : t(key);
}
