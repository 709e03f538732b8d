// The sizes of an aspect parameter that declares size classes (GET /api/tools: "size_classes"
// {"512"|"768"|"1024": [{id, width, height}]} and "custom" {step, min, max, max_pixels}):
// which class a model starts in, which chip a stored "<W>x<H>" belongs to, whether a custom
// size will be accepted, and the class the user last chose for each model (kept per browser).

import { readList, writeList } from "./saved-list.js";

export const SIZE_CLASSES = ["512", "768", "1024"];
const DEFAULT_CLASS = "1024"; // SDXL, Flux, Z-Image, Qwen: the classes most models here are
const MEMORY_KEY = "studio.size_classes";
const MEMORY_MAX = 100; // models remembered; the oldest choice goes first
const LITERAL = /^(\d+)x(\d+)$/;

/** {width, height} of a "<W>x<H>" value, or null for a preset id ("1:1", "keep"). */
export function parseSize(value) {
  const match = LITERAL.exec(String(value ?? ""));
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}

/** The classes this parameter has presets for, smallest first. */
export function classesOf(param) {
  return SIZE_CLASSES.filter((cls) => param.size_classes?.[cls]?.length);
}

/** The class and ratio id that hold a "<W>x<H>" value (the preferred class first), or null. */
export function locateSize(param, value, preferred) {
  const size = parseSize(value);
  if (!size) return null;
  for (const cls of [preferred, ...classesOf(param)]) {
    const hit = (param.size_classes?.[cls] || []).find((p) => p.width === size.width && p.height === size.height);
    if (hit) return { cls, id: String(hit.id) };
  }
  return null;
}

/** The class the user last chose for this model, or "". */
export function rememberedClass(modelKey) {
  return readList(MEMORY_KEY).find((entry) => entry?.model === modelKey)?.cls ?? "";
}

/** Remember the class the user chose for this model (newest first, at most MEMORY_MAX models). */
export function rememberClass(modelKey, cls) {
  const others = readList(MEMORY_KEY).filter((entry) => entry?.model !== modelKey);
  writeList(MEMORY_KEY, [{ model: modelKey, cls }, ...others].slice(0, MEMORY_MAX));
}

/**
 * The class a model starts in, as issue 11 orders it: its family's when ComfyUI's metadata or the
 * file name tells one (families: the model parameter's {file: {family, size_class, source}}),
 * else the class the user last picked for that model, else 1024.
 */
export function startClass(param, families, modelKey) {
  const available = classesOf(param);
  const guess = families?.[modelKey];
  const fromFamily = guess && guess.family !== "unknown" ? String(guess.size_class ?? "") : "";
  for (const cls of [fromFamily, rememberedClass(modelKey), DEFAULT_CLASS]) if (available.includes(cls)) return cls;
  return available[available.length - 1] || DEFAULT_CLASS;
}

/**
 * What is wrong with a custom width x height, as {key, vars} for t(), or null when the server
 * will take it (custom: {step, min, max, max_pixels}).
 */
export function customProblem(custom, width, height) {
  const step = custom?.step || 8;
  const min = custom?.min ?? step;
  const max = custom?.max ?? 4096;
  if (!Number.isInteger(width) || !Number.isInteger(height)) return { key: "byo.size_err_number", vars: {} };
  if (width < min || height < min || width > max || height > max) return { key: "byo.size_err_range", vars: { min, max } };
  if (width % step || height % step) {
    const near = (n) => Math.min(max, Math.max(min, Math.round(n / step) * step));
    return { key: "byo.size_err_step", vars: { step, width: near(width), height: near(height) } };
  }
  if (custom?.max_pixels && width * height > custom.max_pixels) {
    return { key: "byo.size_err_pixels", vars: { pixels: width * height, max: custom.max_pixels } };
  }
  return null;
}
