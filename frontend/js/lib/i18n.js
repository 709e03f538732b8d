// English / Traditional Chinese strings; the choice is kept in localStorage.

const STORAGE_KEY = "studio.lang";
export const LANGUAGES = [
  { id: "en", label: "English" },
  { id: "zh-TW", label: "繁體中文" },
];

let lang = "en";
let strings = {};
let english = {};
const listeners = new Set();

function initialLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.some((l) => l.id === saved)) return saved;
  return /^zh/i.test(navigator.language || "") ? "zh-TW" : "en";
}

async function loadStrings(id) {
  const response = await fetch(`i18n/${id}.json`);
  if (!response.ok) throw new Error(`cannot load i18n/${id}.json`);
  return response.json();
}

/** Load the saved (or browser) language; English is the fallback for missing keys. */
export async function initI18n() {
  english = await loadStrings("en");
  await setLanguage(initialLanguage(), { silent: true });
}

/** Switch language, save the choice and notify listeners. */
export async function setLanguage(id, { silent = false } = {}) {
  strings = id === "en" ? english : await loadStrings(id);
  lang = id;
  localStorage.setItem(STORAGE_KEY, id);
  document.documentElement.lang = id;
  if (!silent) for (const fn of listeners) fn(id);
}

/** The current language id ("en" or "zh-TW"). */
export function language() {
  return lang;
}

/** Call fn(lang) after a language change; returns the unsubscribe function. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Whether the current language (or English) has a string for this key. */
export function hasKey(key) {
  return key in strings || key in english;
}

/** Translate a key, filling {name} placeholders from vars. */
export function t(key, vars = {}) {
  const text = strings[key] ?? english[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

/** Pick the current language from a {"en", "zh-TW"} object (or return a plain string). */
export function localized(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return value[lang] ?? value.en ?? Object.values(value)[0] ?? "";
}

/** Format an ISO timestamp for people, in the current language. */
export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}
