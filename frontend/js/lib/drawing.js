// The drawing engine the sketch pad and the mask painter share: strokes on a fixed-size bitmap.
// A layer keeps its history as data (points in the layer's own pixels), so undo and redo replay
// it, and the bitmap never depends on how large the canvas is shown on the page.

const BLANK = Symbol("blank");

function newCanvas(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** Draw a stroke's segments from point index `from` on (0: the whole stroke, with its first dot). */
function drawStroke(ctx, op, from = 0) {
  const pts = op.points;
  ctx.save();
  ctx.globalCompositeOperation = op.mode === "erase" ? "destination-out" : "source-over";
  ctx.strokeStyle = op.color;
  ctx.fillStyle = op.color;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (from === 0) {
    const [x, y, w] = pts[0];
    ctx.beginPath();
    ctx.arc(x, y, w / 2, 0, Math.PI * 2);
    ctx.fill();
  }
  // One path per segment: a pen's pressure changes the width from point to point.
  for (let i = Math.max(1, from); i < pts.length; i += 1) {
    const [x0, y0, w0] = pts[i - 1];
    const [x1, y1, w1] = pts[i];
    ctx.lineWidth = (w0 + w1) / 2;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  }
  ctx.restore();
}

/**
 * A paint layer of width x height pixels with undo/redo. History entries are
 * {type: "stroke", mode: "paint"|"erase", color, points: [[x, y, width]]},
 * {type: "clear"} and {type: "background", image, width, height} (an ImageBitmap the layer is
 * drawn over; it also sets the layer's size). onChange() (and every watch()er) runs after each change.
 */
export function createStrokeLayer({ width = 1024, height = 1024, onChange = () => {} } = {}) {
  const canvas = newCanvas(width, height);
  const ctx = canvas.getContext("2d");
  let ops = [];
  let undone = [];
  let current = null;
  let background = null; // the background entry in effect, or null
  const listeners = new Set([onChange]);
  const notify = () => {
    for (const fn of listeners) fn();
  };

  function replay() {
    background = null;
    let start = 0;
    ops.forEach((op, i) => {
      if (op.type === "clear") {
        background = null;
        start = i + 1;
      } else if (op.type === "background") background = op;
    });
    const size = background || { width, height };
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width;
      canvas.height = size.height;
    } else ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (const op of ops.slice(start)) if (op.type === "stroke") drawStroke(ctx, op);
  }

  function push(op) {
    ops.push(op);
    undone = [];
  }

  const layer = {
    canvas,
    get width() {
      return canvas.width;
    },
    get height() {
      return canvas.height;
    },
    /** The background image in effect ({image, width, height}) or null. */
    get background() {
      return background;
    },
    get canUndo() {
      return ops.length > 0 && !current;
    },
    get canRedo() {
      return undone.length > 0 && !current;
    },
    /** True when nothing is drawn and no background is set (what a new layer shows). */
    get isBlank() {
      const lastClear = ops.map((op) => op.type).lastIndexOf("clear");
      return ops.slice(lastClear + 1).length === 0;
    },
    /** An identity of what the layer shows: equal values mean an equal picture. */
    state() {
      return ops.length ? ops[ops.length - 1] : BLANK;
    },
    beginStroke(mode, color, point) {
      current = { type: "stroke", mode, color, points: [point] };
      push(current);
      drawStroke(ctx, current);
      notify();
    },
    extendStroke(points) {
      if (!current || !points.length) return;
      const from = current.points.length;
      current.points.push(...points);
      drawStroke(ctx, current, from);
      notify();
    },
    endStroke() {
      current = null;
      notify();
    },
    undo() {
      if (!layer.canUndo) return;
      undone.push(ops.pop());
      replay();
      notify();
    },
    redo() {
      if (!layer.canRedo) return;
      ops.push(undone.pop());
      replay();
      notify();
    },
    clear() {
      if (layer.isBlank) return;
      push({ type: "clear" });
      replay();
      notify();
    },
    /** Draw over `image` from now on (undoable); the layer takes the image's size. */
    setBackground(image, size) {
      push({ type: "background", image, width: size.width, height: size.height });
      replay();
      notify();
    },
    /** Call fn() after every change too; returns the function that stops it. */
    watch(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The history as it is now, for restore() (an editor's Cancel). */
    snapshot() {
      return { ops: [...ops], undone: [...undone] };
    },
    restore(snap) {
      ops = [...snap.ops];
      undone = [...snap.undone];
      current = null;
      replay();
      notify();
    },
    /** Forget the history and start blank at the given size (a new input image). */
    reset(size = { width, height }) {
      ops = [];
      undone = [];
      current = null;
      background = null;
      canvas.width = size.width;
      canvas.height = size.height;
      notify();
    },
  };
  return layer;
}

/** A canvas as a PNG Blob. */
export function canvasToPng(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("canvas export failed"))), "image/png");
  });
}

/** The sketch as shown: white, the background image stretched over it, the strokes on top. */
export function flattenSketch(layer) {
  const out = newCanvas(layer.width, layer.height);
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, out.width, out.height);
  if (layer.background) ctx.drawImage(layer.background.image, 0, 0, out.width, out.height);
  ctx.drawImage(layer.canvas, 0, 0);
  return out;
}

/**
 * Blur a width x height array of 0..255 values in place so a hard edge fades over about
 * `radius` pixels on each side: three box passes each way (together close to a Gaussian).
 */
export function blurValues(values, width, height, radius) {
  const r = Math.max(0, Math.round(radius / 2)); // three boxes of half-width r span ~2r each side
  if (r === 0) return values;
  const tmp = new Float32Array(values.length);
  const pass = (src, dst, length, count, stride, step) => {
    for (let line = 0; line < count; line += 1) {
      const base = line * stride;
      let sum = 0;
      // The window [i - r, i + r], edges clamped to the border value.
      for (let k = -r; k <= r; k += 1) sum += src[base + Math.min(length - 1, Math.max(0, k)) * step];
      for (let i = 0; i < length; i += 1) {
        dst[base + i * step] = sum / (2 * r + 1);
        const add = Math.min(length - 1, i + r + 1);
        const drop = Math.max(0, i - r);
        sum += src[base + add * step] - src[base + drop * step];
      }
    }
  };
  for (let n = 0; n < 3; n += 1) {
    pass(values, tmp, width, height, width, 1);
    pass(tmp, values, height, width, 1, width);
  }
  return values;
}

/**
 * The mask ComfyUI wants (its /upload/mask convention): a PNG of the layer's size whose alpha
 * is 0 where the image is to be repainted and 255 elsewhere, `feather` pixels of blur between.
 * Painted pixels mark the region to repaint; `invert` repaints everything else instead.
 */
export function maskToPng(layer, { invert = false, feather = 0 } = {}) {
  const { width, height } = layer;
  const painted = layer.canvas.getContext("2d").getImageData(0, 0, width, height).data;
  const keep = new Float32Array(width * height);
  for (let i = 0; i < keep.length; i += 1) {
    const a = painted[i * 4 + 3];
    keep[i] = invert ? a : 255 - a;
  }
  blurValues(keep, width, height, feather);
  const out = newCanvas(width, height);
  const ctx = out.getContext("2d");
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < keep.length; i += 1) image.data[i * 4 + 3] = Math.round(keep[i]);
  ctx.putImageData(image, 0, 0);
  return canvasToPng(out);
}
