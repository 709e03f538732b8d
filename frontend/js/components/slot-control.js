// Which control an image slot of a tool gets: the sketch pad, an upload slot with a mask
// painter (the slot's catalog entry says "mask": true), or a plain upload slot.

import { createMaskedSlot } from "./mask-slot.js";
import { createSketchPad } from "./sketch-pad.js";
import { createUploadSlot } from "./upload-slot.js";

const SKETCH_SLOTS = { sketch_to_image: "sketch" }; // tool (or the tool it is a variant of) -> slot

/** The control for one slot of `tool`; every kind has createUploadSlot's surface. */
export function createSlotControl(tool, slot, options) {
  if (SKETCH_SLOTS[tool.variant_of || tool.id] === slot.id) return createSketchPad(slot, options);
  if (slot.mask) return createMaskedSlot(slot, options);
  return createUploadSlot(slot, options);
}
