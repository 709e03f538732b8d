// Keep Tab inside an open overlay. A modal <dialog> makes the page behind it inert, but Tab still
// walks out of it into the browser's own controls; people expect it to cycle inside.

const FOCUSABLE = [
  "a[href]", "button:not([disabled])", "summary", "input:not([disabled])", "select:not([disabled])",
  "textarea:not([disabled])", "[tabindex]:not([tabindex='-1'])",
].join(",");

/** The elements of root that Tab can reach, in order (hidden ones left out). */
export function focusables(root) {
  // checkVisibility() also skips the items of a closed <details> (the account menu).
  const visible = (el) => (el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0);
  return [...root.querySelectorAll(FOCUSABLE)].filter(visible);
}

/**
 * For a Tab keydown: from the last item of root to the first, Shift+Tab from the first to the
 * last, and a focus that strayed outside root is brought back in.
 */
export function cycleTab(root, event) {
  const items = focusables(root);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  const inside = root.contains(document.activeElement);
  if (event.shiftKey && (!inside || document.activeElement === first)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
    event.preventDefault();
    first.focus();
  }
}

/** Make Tab and Shift+Tab cycle inside root; returns a function that removes the trap. */
export function trapFocus(root) {
  const onKey = (event) => event.key === "Tab" && cycleTab(root, event);
  root.addEventListener("keydown", onKey);
  return () => root.removeEventListener("keydown", onKey);
}
