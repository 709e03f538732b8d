// Client-side image preparation: downscale huge photos before they are uploaded.

import { api } from "./api.js";

export const MAX_SIDE = 2048;
const ACCEPTED = ["image/png", "image/jpeg", "image/webp"];

/** True when the file looks like an image the server accepts (it checks again by decoding). */
export function isAcceptedImage(file) {
  return Boolean(file) && ACCEPTED.includes(file.type);
}

/**
 * Return the file itself when both sides are <= MAX_SIDE, else a downscaled Blob:
 * PNG stays PNG (it may carry transparency or a sketch), everything else becomes JPEG.
 */
export async function downscale(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const { width, height } = bitmap;
    if (Math.max(width, height) <= maxSide) return { blob: file, width, height, resized: false };
    const scale = maxSide / Math.max(width, height);
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, w, h);
    const type = file.type === "image/png" ? "image/png" : "image/jpeg";
    const blob = await new Promise((resolve, reject) => {
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("canvas export failed"))), type, 0.92);
    });
    return { blob, width: w, height: h, resized: true };
  } finally {
    bitmap.close();
  }
}

/** Downscale if needed and POST /api/uploads; resolves to the upload record. */
export async function uploadImage(file) {
  const { blob } = await downscale(file);
  const form = new FormData();
  const name = blob === file ? file.name || "image.png" : `image.${blob.type === "image/png" ? "png" : "jpg"}`;
  form.append("file", blob, name);
  return api.post("/api/uploads", form);
}

/** Fetch an image we already serve (an output) and upload it as a new input. */
export async function uploadFromUrl(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`cannot fetch ${url}`);
  const blob = await response.blob();
  const file = new File([blob], url.split("/").pop() || "image.png", { type: blob.type || "image/png" });
  return uploadImage(file);
}

/** POST a PNG the page drew (a sketch, a mask) as it is: its pixel size must not change. */
export async function uploadPng(blob, name) {
  const form = new FormData();
  form.append("file", blob, name);
  return api.post("/api/uploads", form);
}
