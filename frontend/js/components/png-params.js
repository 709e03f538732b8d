// "Load from PNG": a PNG that ComfyUI (or this studio) saved carries its API graph in a
// "prompt" text chunk; the page reads it (nothing is uploaded), asks POST /api/graph/params
// which of the tool's parameters it holds, and hands the answer on. The PNG comes from the
// button's file picker or a drop anywhere on the studio except an image slot (slots keep theirs).

import { api } from "../lib/api.js";
import { element, html } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { paramLabel } from "../lib/param-labels.js";
import { isPng, pngTextChunks } from "../lib/png-text.js";
import { toast, toastError } from "./toast.js";

/** The graph in a PNG's "prompt" chunk, or null (no chunk, not JSON, not an object). */
async function graphOf(file) {
  const buffer = await file.arrayBuffer();
  if (!isPng(buffer)) return undefined;
  try {
    const graph = JSON.parse(pngTextChunks(buffer).prompt ?? "null");
    return graph && typeof graph === "object" && !Array.isArray(graph) ? graph : null;
  } catch {
    return null; // a damaged chunk reads as none
  }
}

const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");

/**
 * The button, and drops on `view` outside its image slots; onAnswer({tool, params, matched,
 * unmatched}) gets the server's reading. Returns {el, destroy}.
 */
export function createPngParams(view, toolId, { onAnswer }) {
  const el = element(html`<span class="png-params">
    <button type="button" class="btn small" data-testid="png-load">${icon("upload", { size: 16 })}<span>${t("byo.png_load")}</span></button>
    <input type="file" accept="image/png" hidden data-testid="png-file">
  </span>`);
  const input = el.querySelector("input");

  async function load(file) {
    const graph = await graphOf(file);
    if (graph === undefined) return toast(t("byo.png_not_png", { name: file.name || file.type || "?" }), "error");
    if (graph === null) return toast(t("byo.png_no_graph", { name: file.name || "PNG" }), "error");
    try {
      onAnswer(await api.post("/api/graph/params", { graph, tool: toolId }));
    } catch (err) {
      toastError(err);
    }
  }

  el.querySelector("button").addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    if (input.files?.[0]) load(input.files[0]);
    input.value = ""; // the same file twice must load twice
  });
  // A slot's own handler runs first and claims its drops (defaultPrevented).
  const onDragOver = (event) => {
    if (event.defaultPrevented || !hasFiles(event)) return;
    event.preventDefault();
    view.classList.add("png-dropping");
  };
  const onDragLeave = (event) => {
    if (!view.contains(event.relatedTarget)) view.classList.remove("png-dropping");
  };
  const onDrop = (event) => {
    view.classList.remove("png-dropping");
    if (event.defaultPrevented || !hasFiles(event)) return;
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (file) load(file);
  };
  view.addEventListener("dragover", onDragOver);
  view.addEventListener("dragleave", onDragLeave);
  view.addEventListener("drop", onDrop);
  return {
    el,
    destroy() {
      view.removeEventListener("dragover", onDragOver);
      view.removeEventListener("dragleave", onDragLeave);
      view.removeEventListener("drop", onDrop);
    },
  };
}

/** What a PNG's parameters filled, and what in its graph had no place here, in words. */
export function pngSummary(answer, tool) {
  const filled = answer.matched.map((key) => paramLabel(key, tool)).join(", ");
  const text = filled ? t("byo.png_filled", { tool: localized(tool.name), fields: filled }) : t("byo.png_nothing", { tool: localized(tool.name) });
  return answer.unmatched.length ? `${text} ${t("byo.png_unmatched", { items: answer.unmatched.join(", ") })}` : text;
}
