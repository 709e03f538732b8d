// Hash router: #/dashboard, #/studio/<tool>, #/gallery, #/queue, #/settings.

const routes = new Map();
let current = null; // {name, cleanup}
let outlet = null;
let fallback = "dashboard";
const changeListeners = new Set();
let pendingState = null;

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
  if (current && typeof current.cleanup === "function") current.cleanup();
  const state = pendingState;
  pendingState = null;
  outlet.replaceChildren();
  current = { name, cleanup: mount(outlet, { param, state }) };
  for (const fn of changeListeners) fn({ name, param });
}

/** Re-render the current route (after a language change). */
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
