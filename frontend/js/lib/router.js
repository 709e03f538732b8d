// Hash router: #/login, #/dashboard, #/studio/<tool>, #/gallery, #/queue, #/settings, #/account,
// #/tokens, #/users, #/tools[/<id>]. A guard decides whether a route may show (signed in, admin) or where to go.

const routes = new Map();
let current = null; // {name, cleanup}
let outlet = null;
let fallback = "dashboard";
const changeListeners = new Set();
let pendingState = null;
let guard = () => null;

/** guard(name) returns null to show the route, or a route name or "#/..." hash to go to instead. */
export function setGuard(fn) {
  guard = fn;
}

/** Register a view: mount(root, {param, state}) returns an optional cleanup function. */
export function route(name, mount) {
  routes.set(name, mount);
}

/** Parse location.hash into {name, param}. */
export function parseHash(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || fallback, param: parts[1] || null };
}

/** Go to a route; `state` is handed to the next view once (e.g. a remix draft). */
export function navigate(name, param = null, state = null) {
  pendingState = state;
  const hash = `#/${name}${param ? `/${encodeURIComponent(param)}` : ""}`;
  if (location.hash === hash) show();
  else location.hash = hash;
}

/** Call fn({name, param}) after every route change; returns the unsubscribe function. */
export function onRouteChange(fn) {
  changeListeners.add(fn);
  return () => changeListeners.delete(fn);
}

function show() {
  const { name, param } = parseHash();
  const mount = routes.get(name);
  if (!mount) {
    navigate(fallback);
    return;
  }
  const redirect = guard(name);
  if (redirect && redirect.startsWith("#")) {
    location.hash = redirect;
    return;
  }
  if (redirect && redirect !== name) {
    navigate(redirect);
    return;
  }
  if (current && typeof current.cleanup === "function") current.cleanup();
  const state = pendingState;
  pendingState = null;
  outlet.replaceChildren();
  current = { name, cleanup: mount(outlet, { param, state }) };
  for (const fn of changeListeners) fn({ name, param });
}

/** Re-render the current route (after a language change or a sign-in/out). */
export function refresh() {
  show();
}

/** Start routing into the outlet element. */
export function startRouter(target, defaultRoute = "dashboard") {
  outlet = target;
  fallback = defaultRoute;
  window.addEventListener("hashchange", show);
  show();
}
