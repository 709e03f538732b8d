// The tool catalog and model lists, fetched once and shared by the views.

import { api } from "./api.js";
import { language } from "./i18n.js";

let toolsPromise = null;
let modelsPromise = null;

/** All tools from GET /api/tools (cached; pass force to reload availability). */
export function loadTools(force = false) {
  if (force || !toolsPromise) {
    toolsPromise = api.get(`/api/tools?lang=${encodeURIComponent(language())}`).then((data) => data.tools || []);
    toolsPromise.catch(() => {
      toolsPromise = null; // do not cache a failure
    });
  }
  return toolsPromise;
}

/** One tool by id, or undefined. */
export async function findTool(toolId) {
  return (await loadTools()).find((tool) => tool.id === toolId);
}

/** True when the tool can run now. */
export function isReady(tool) {
  return !tool.availability || tool.availability.status === "ready";
}

/** GET /api/models (cached). */
export function loadModels(force = false) {
  if (force || !modelsPromise) {
    modelsPromise = api.get("/api/models");
    modelsPromise.catch(() => {
      modelsPromise = null;
    });
  }
  return modelsPromise;
}

/** Model choices for a parameter: its own choices, else the models in its folder. */
export async function modelChoices(param) {
  if (Array.isArray(param.choices) && param.choices.length) return param.choices.map(String);
  const models = await loadModels();
  const byFolder = models.by_folder || {};
  if (param.folder && Array.isArray(byFolder[param.folder])) return byFolder[param.folder];
  if (param.folder === "diffusion_models" || param.folder === "unet") return models.unet_models || [];
  return models.models || [];
}

/** A short display name for a model file path ("sd/xl/foo.safetensors" -> "foo"). */
export function modelLabel(path) {
  return String(path).split(/[\\/]/).pop().replace(/\.(safetensors|ckpt|gguf|pt|bin)$/i, "");
}
