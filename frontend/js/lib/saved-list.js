// A JSON array kept in localStorage under one key: what the page remembers per browser
// (prompt history, the user's styles). A missing or damaged entry reads as an empty list,
// never an error: it is only a convenience.

/** The array stored at key, or [] when there is none or it cannot be read. */
export function readList(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key) || "[]");
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

/** Store list at key. */
export function writeList(key, list) {
  localStorage.setItem(key, JSON.stringify(list));
}
