// The prompts this browser submitted, newest first, kept in localStorage (per browser, not per
// account: it holds only what was typed here). Each entry remembers the tool it was sent with.

import { readList, writeList } from "./saved-list.js";

const STORAGE_KEY = "studio.prompt_history";
export const HISTORY_LIMIT = 50;

function load() {
  return readList(STORAGE_KEY).filter((e) => e && typeof e.prompt === "string");
}

/** Put a submitted prompt first (a repeat of an older one moves up instead of doubling). */
export function rememberPrompt(prompt, tool) {
  const text = String(prompt || "").trim();
  if (!text) return;
  const list = load().filter((e) => e.prompt !== text);
  list.unshift({ prompt: text, tool, at: new Date().toISOString() });
  writeList(STORAGE_KEY, list.slice(0, HISTORY_LIMIT));
}

/** Entries whose prompt contains every word of the query (any case), newest first. */
export function searchPrompts(query = "") {
  const words = String(query).toLowerCase().split(/\s+/).filter(Boolean);
  return load().filter((e) => words.every((w) => e.prompt.toLowerCase().includes(w)));
}

/** Forget the whole history. */
export function clearPromptHistory() {
  localStorage.removeItem(STORAGE_KEY);
}
