// One fetch wrapper for the whole app: JSON in and out, the API's error shape as exceptions,
// the session's CSRF token on every write, and one hook for "the session has ended" (401).

import { stripBidi } from "./html.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;
let onUnauthorized = () => {};
let refreshCsrf = async () => null;
const writeListeners = new Set();

/** The token cookie-authenticated writes carry as X-CSRF-Token (from login or /api/auth/me). */
export function setCsrfToken(token) {
  csrfToken = token || null;
}

/**
 * Session hooks: unauthorized(path) runs on a 401 from any call except the auth calls that
 * answer 401 as their result; refresh() re-fetches the CSRF token after a 403 csrf_failed.
 */
export function setSessionHooks({ unauthorized, refresh }) {
  onUnauthorized = unauthorized;
  refreshCsrf = refresh;
}

/** Call fn() after every write the server accepted (the shell closes stale error toasts). */
export function onWriteSuccess(fn) {
  writeListeners.add(fn);
  return () => writeListeners.delete(fn);
}

/** Tell the session a request was refused for want of one (e.g. the event stream's probe). */
export function reportUnauthorized(path) {
  onUnauthorized(path);
}

// These answer 401 as a result (wrong password, not logged in yet): the caller handles it.
const OWN_401 = new Set(["/api/auth/login", "/api/auth/me", "/api/auth/password", "/api/auth/logout"]);

/** Parse JSON from the server with every bidi control character removed from its strings. */
export function parseJson(text) {
  return JSON.parse(text, (_key, value) => (typeof value === "string" ? stripBidi(value) : value));
}

/** An error response from the API: {"error": {"code", "message", "field"?}}. */
export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** 429: the server asks us to slow down (this is not "offline"). */
export class RateLimited extends ApiError {
  constructor(code, message, retryAfter) {
    super(429, code, message);
    this.name = "RateLimited";
    this.retryAfter = retryAfter;
  }
}

/** The server could not be reached at all (network error, DNS, tunnel down). */
export class NetworkError extends Error {
  constructor(cause) {
    super("network error");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

/** True when an error means "the server is offline" (network failure or a 5xx). */
export function isOffline(err) {
  return err instanceof NetworkError || (err instanceof ApiError && err.status >= 500);
}

function retryAfterSeconds(response) {
  const raw = response.headers.get("Retry-After");
  if (!raw) return null;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return Math.max(0, secs);
  const when = Date.parse(raw);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - Date.now()) / 1000));
}

async function errorFrom(response) {
  let body = null;
  try {
    body = parseJson(await response.text());
  } catch {
    body = null; // an HTML error page from a proxy: keep the status, invent a generic message
  }
  const err = body && typeof body.error === "object" && body.error ? body.error : {};
  const code = err.code || `http_${response.status}`;
  const message = err.message || response.statusText || `HTTP ${response.status}`;
  if (response.status === 429) return new RateLimited(code, message, retryAfterSeconds(response));
  return new ApiError(response.status, code, message, err.field || null);
}

async function send(method, path, { body, headers = {}, signal }) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  init.credentials = "same-origin";
  if (UNSAFE.has(method) && csrfToken) init.headers["X-CSRF-Token"] = csrfToken;
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch (cause) {
    if (cause && cause.name === "AbortError") throw cause;
    throw new NetworkError(cause);
  }
}

/**
 * Call the API. `body` may be a plain object (sent as JSON) or FormData.
 * Resolves to the parsed JSON (or null for 204); rejects with ApiError/RateLimited/NetworkError.
 * A write refused for its CSRF token is retried once with a fresh token.
 */
export async function request(method, path, options = {}) {
  const { acceptStatus = [] } = options;
  let response = await send(method, path, options);
  if (response.status === 403 && UNSAFE.has(method)) {
    const err = await errorFrom(response.clone());
    if (err.code === "csrf_failed" && (await refreshCsrf())) response = await send(method, path, options);
  }
  if (response.status === 401 && !OWN_401.has(path.split("?")[0])) onUnauthorized(path);
  if (!response.ok && !acceptStatus.includes(response.status)) throw await errorFrom(response);
  if (response.ok && UNSAFE.has(method)) for (const fn of writeListeners) fn();
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) throw new ApiError(response.status, "bad_response", "Unexpected response");
  return parseJson(await response.text());
}

export const api = {
  get: (path, opts) => request("GET", path, opts),
  post: (path, body, opts = {}) => request("POST", path, { ...opts, body }),
  patch: (path, body, opts = {}) => request("PATCH", path, { ...opts, body }),
  delete: (path, opts) => request("DELETE", path, opts),
};

/** Build a query string from an object, skipping empty values. */
export function query(params) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) qs.set(key, String(value));
  }
  const text = qs.toString();
  return text ? `?${text}` : "";
}

/** A random key for Idempotency-Key (crypto.randomUUID needs a secure context; LAN http has none). */
export function randomKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function" && globalThis.isSecureContext) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
