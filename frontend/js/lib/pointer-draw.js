// Pointer input for drawing: mouse, finger and pen through Pointer Events, one pointer at a time.
// Coalesced events give every sample the device reported between two frames (smooth lines on a
// fast hand); a pen's pressure scales the width; a second finger never starts a second stroke.

/** The width factor for a pointer sample: a pen's pressure where given, else full width. */
export function pressureFactor(event) {
  if (event.pointerType !== "pen" || !(event.pressure > 0)) return 1;
  return 0.25 + 0.75 * Math.min(1, event.pressure);
}

/**
 * Draw on `target` (an element shown at the layer's aspect ratio) into `layer`.
 * style() -> {mode, color, size} is read when a stroke starts; size is in layer pixels.
 * Returns a function that detaches the listeners.
 */
export function attachPointerDrawing(target, layer, style) {
  let active = null; // {id, size}

  function point(event, size) {
    const rect = target.getBoundingClientRect();
    const x = ((event.clientX - rect.left) * layer.width) / rect.width;
    const y = ((event.clientY - rect.top) * layer.height) / rect.height;
    return [x, y, size * pressureFactor(event)];
  }

  function down(event) {
    if (active || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    const { mode, color, size } = style();
    active = { id: event.pointerId, size };
    try {
      target.setPointerCapture(event.pointerId); // keep the stroke when the pointer leaves the canvas
    } catch {
      // a pointer the browser no longer tracks (lifted already): draw without capture
    }
    layer.beginStroke(mode, color, point(event, size));
  }

  function move(event) {
    if (!active || event.pointerId !== active.id) return;
    event.preventDefault();
    const samples = event.getCoalescedEvents?.() || [];
    const events = samples.length ? samples : [event];
    layer.extendStroke(events.map((e) => point(e, active.size)));
  }

  function up(event) {
    if (!active || event.pointerId !== active.id) return;
    active = null;
    layer.endStroke();
  }

  const handlers = { pointerdown: down, pointermove: move, pointerup: up, pointercancel: up };
  for (const [type, fn] of Object.entries(handlers)) target.addEventListener(type, fn);
  return () => {
    for (const [type, fn] of Object.entries(handlers)) target.removeEventListener(type, fn);
  };
}

/** Ctrl/Cmd+Z undo, Ctrl/Cmd+Shift+Z and Ctrl+Y redo, unless the user is typing in a field. */
export function undoShortcut(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  const target = event.target;
  if (target?.closest?.("input[type=text], input[type=search], input[type=number], textarea, [contenteditable=true]")) return null;
  const key = event.key.toLowerCase();
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  if (key === "y" && !event.shiftKey) return "redo";
  return null;
}
