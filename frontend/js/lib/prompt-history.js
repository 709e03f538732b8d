// The prompts this browser submitted, newest first, kept in localStorage (per browser, not per
// account: it holds only what was typed here). Each entry remembers the tool it was sent with.

const STORAGE_KEY = "studio.prompt_history";
export const HISTORY_LIMIT = 50;

function load() {
  try {
    const list = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(list) ? list.filter((e) => e && typeof e.prompt === "string") : [];
  } catch {
    return []; // a damaged entry is not worth an error: start a new history
  }
}

/** Put a submitted prompt first (a repeat of an older one moves up instead of doubling). */
export function rememberPrompt(prompt, tool) {
  const text = String(prompt || "").trim();
  if (!text) return;
  const list = load().filter((e) => e.prompt !== text);
  list.unshift({ prompt: text, tool, at: new Date().toISOString() });
  localStorage.setItem(STORAGE_KEY, JSON.stringify(list.slice(0, HISTORY_LIMIT)));
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
