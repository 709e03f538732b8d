// How a list of model files reads in a <select>: names exactly as ComfyUI lists them (values),
// grouped by subfolder (<optgroup>), each shown by its base name with its family as a hint.

import { modelLabel } from "./catalog.js";

// Family ids of GET /api/tools "families" (studio_core/models/family.py) as people know them.
const FAMILY_NAMES = {
  sd15: "SD 1.5",
  sd2: "SD 2",
  sd2_512: "SD 2 (512)",
  sdxl: "SDXL",
  sd3: "SD 3",
  flux: "Flux",
  z_image: "Z-Image",
  qwen_image: "Qwen-Image",
  qwen_image_edit: "Qwen-Image-Edit",
};

/** The family's display name for a {family, size_class, source} guess ("" when unknown). */
export function familyName(guess) {
  return FAMILY_NAMES[guess?.family] || "";
}

/** [{folder, names}]: the files at the folder's top first (folder ""), then each subfolder. */
export function modelGroups(choices) {
  const groups = new Map([["", []]]);
  for (const name of choices) {
    const cut = Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")); // ComfyUI on Windows: "SD15\x"
    const folder = cut < 0 ? "" : name.slice(0, cut);
    if (!groups.has(folder)) groups.set(folder, []);
    groups.get(folder).push(name);
  }
  return [...groups].filter(([, names]) => names.length).map(([folder, names]) => ({ folder, names }));
}

/** Append the choices to a <select>, grouped by subfolder, "dreamshaper_8 — SD 1.5". */
export function appendModelOptions(select, choices, families = null) {
  for (const { folder, names } of modelGroups(choices)) {
    let parent = select;
    if (folder) {
      parent = document.createElement("optgroup");
      parent.label = folder;
      select.append(parent);
    }
    for (const name of names) {
      const option = document.createElement("option");
      const family = familyName(families?.[name]);
      option.value = name;
      option.textContent = family ? `${modelLabel(name)} — ${family}` : modelLabel(name);
      option.title = name;
      parent.append(option);
    }
  }
}
