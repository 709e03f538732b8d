// Who is signed in: the user from /api/auth/me or login, the CSRF token, and what happens when
// the session ends (logout, logout everywhere, or any 401 from the API: "session expired").

import { api, ApiError, setCsrfToken, setSessionHooks } from "./api.js";

let user = null; // {id, username, role} or null
let previousUserId = null; // who was signed in before the session ended
let returnTo = null; // the hash to go back to after signing in
let expired = false;
let lastUsername = "";
const listeners = new Set();

function notify(reason) {
  for (const fn of listeners) fn(user, reason);
}

function accept(data) {
  user = data.user;
  setCsrfToken(data.csrf_token);
}

/** The signed-in user ({id, username, role}) or null. */
export function currentUser() {
  return user;
}

/** True when the signed-in user is an admin. */
export function isAdmin() {
  return Boolean(user && user.role === "admin");
}

/** The user name of the session that expired ("" after a logout), to pre-fill the sign-in form. */
export function expiredUsername() {
  return expired ? lastUsername : "";
}

/** True when the last session ended by a 401 (not by logging out). */
export function sessionExpired() {
  return expired;
}

/** Call fn(user, reason) when someone signs in ("login") or the session ends ("logout", "expired"). */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Remember where to come back to after signing in (a hash like "#/studio/x"). */
export function rememberReturn(hash) {
  if (hash && !/^#\/?login\b/.test(hash)) returnTo = hash;
}

/** The hash to open after signing in (once). */
export function takeReturn() {
  const hash = returnTo || "#/dashboard";
  returnTo = null;
  return hash;
}

/** GET /api/auth/me: resolves to the user, or null when not signed in. */
export async function loadSession() {
  try {
    accept(await api.get("/api/auth/me"));
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    user = null;
  }
  return user;
}

/** Re-fetch the CSRF token (after a 403 csrf_failed); true when there is a session. */
async function refreshCsrf() {
  try {
    return Boolean(await loadSession());
  } catch {
    return false;
  }
}

/**
 * POST /api/auth/login; resolves to {user, sameUser}. sameUser is false when someone else
 * signed in than the one whose session ended, so the page drops what the last one left.
 */
export async function login(username, password) {
  accept(await api.post("/api/auth/login", { username, password }));
  const sameUser = previousUserId === null || previousUserId === user.id;
  previousUserId = user.id;
  expired = false;
  notify("login");
  return { user, sameUser };
}

/** POST /api/auth/logout (everywhere: every session of this user ends). */
export async function logout({ everywhere = false } = {}) {
  try {
    await api.post("/api/auth/logout", everywhere ? { everywhere: true } : {});
  } finally {
    end("logout");
  }
}

function end(reason) {
  previousUserId = reason === "logout" ? null : user?.id ?? previousUserId;
  expired = reason === "expired";
  lastUsername = user?.username || "";
  user = null;
  setCsrfToken(null);
  notify(reason);
}

setSessionHooks({
  unauthorized: () => {
    if (!user) return; // already signed out (several calls can fail at once)
    rememberReturn(location.hash);
    end("expired");
  },
  refresh: refreshCsrf,
});
