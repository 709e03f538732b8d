// Tools (#/tools, admins only): import a ComfyUI workflow as a tool, the imported tools with
// their status, and (#/tools/<id>) the editor of one: save, publish, disable, delete, export.

import { renderEditor, readEdits, statusBadge, updateStatus } from "../components/tool-editor.js";
import { toast, toastError } from "../components/toast.js";
import { ApiError, api } from "../lib/api.js";
import { loadTools } from "../lib/catalog.js";
import { errorText } from "../lib/error-text.js";
import { element, html, render, setText } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon, toolIcon } from "../lib/icons.js";
import { navigate } from "../lib/router.js";
import { readList, writeList } from "../lib/saved-list.js";
import { applyEdits, problemCounts } from "../lib/tool-manifest.js";

const ACCEPTED = /\.(json|png|webp)$/i;
const base = (id) => `/api/admin/tools/${encodeURIComponent(id)}`;
// A hidden parameter leaves the manifest; this browser keeps it so it can be shown again.
const hiddenKey = (id) => `studio.admintools.hidden.${id}`;

/** Words for an API error here: a 400's own message (it names what is wrong in the file or
 * the manifest, which a translated "not accepted" would not). */
function serverText(err) {
  return err instanceof ApiError && err.status === 400 ? err.message : errorText(err);
}

function toolRow(draft) {
  const m = draft.manifest || {};
  const counts = problemCounts(draft.problems);
  return html`<li class="list-row admintools-row" data-testid="admin-tool-row" data-tool-id="${draft.id}" data-status="${draft.status}">
    <div class="list-main admintools-row-main">
      <span class="tool-icon">${toolIcon(m)}</span>
      <span><strong>${localized(m.name) || m.id}</strong> <code class="muted small">${m.id}</code><br>
      ${statusBadge(draft.status)}
      <span class="muted small">${t("admintools.problem_counts", { errors: counts.error, warnings: counts.warning })}</span></span>
    </div>
    <a class="btn small" href="#/tools/${encodeURIComponent(draft.id)}" data-testid="admin-tool-edit"
      aria-label="${t("admintools.edit_named", { name: localized(m.name) || m.id })}">${icon("edit", { size: 16 })}${t("admintools.edit")}</a>
  </li>`;
}

function mountList(root, alive) {
  render(root, html`<div class="view admintools-view" data-testid="view-admin-tools">
    <header class="view-head"><h1>${t("admintools.title")}</h1><p class="muted">${t("admintools.subtitle")}</p></header>
    <section class="card glass admintools-import" data-testid="admin-import" aria-labelledby="admintools-import-title">
      <h2 class="section-title" id="admintools-import-title">${icon("upload", { size: 18 })}${t("admintools.import_title")}</h2>
      <div class="admintools-drop" data-testid="admin-import-drop">
        ${icon("upload", { size: 28 })}
        <p id="admintools-import-hint" class="muted">${t("admintools.import_hint")}</p>
        <input type="file" id="admintools-file" accept=".json,.png,.webp,application/json,image/png,image/webp"
          data-testid="admin-import-input" hidden>
        <button type="button" class="btn primary" data-testid="admin-import-choose" aria-describedby="admintools-import-hint">
          ${t("admintools.import_choose")}</button>
        <span class="muted small">${t("admintools.import_drop")}</span>
      </div>
      <p class="muted small" role="status" data-testid="admin-import-busy"></p>
      <p class="form-error" role="alert" data-testid="admin-import-error" hidden></p>
    </section>
    <section class="card glass" aria-labelledby="admintools-list-title"><h2 class="section-title" id="admintools-list-title">${t("admintools.list_title")}</h2>
      <ul class="plain-list" data-testid="admin-tool-list"></ul>
      <p class="muted" data-testid="admin-tool-empty" hidden>${t("admintools.empty")}</p></section>
  </div>`);
  const input = root.querySelector("[data-testid=admin-import-input]");
  const drop = root.querySelector("[data-testid=admin-import-drop]");
  const error = root.querySelector("[data-testid=admin-import-error]");
  const busy = root.querySelector("[data-testid=admin-import-busy]");
  const list = root.querySelector("[data-testid=admin-tool-list]");

  async function upload(file) {
    error.hidden = true;
    if (!ACCEPTED.test(file.name || "")) {
      error.hidden = false;
      setText(error, t("admintools.import_type", { name: file.name || "?" }));
      return;
    }
    setText(busy, t("admintools.importing", { name: file.name }));
    const body = new FormData();
    body.append("file", file, file.name);
    try {
      const { tool } = await api.post("/api/admin/tools/import", body);
      if (!alive()) return;
      toast(t("admintools.imported_toast", { name: localized(tool.manifest.name) || tool.id }), "success");
      navigate("tools", tool.id);
    } catch (err) {
      if (!alive()) return;
      error.hidden = false;
      setText(error, serverText(err));
    } finally {
      setText(busy, "");
    }
  }
  root.querySelector("[data-testid=admin-import-choose]").addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    if (input.files[0]) upload(input.files[0]);
    input.value = "";
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("dragging");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("dragging");
    const file = event.dataTransfer?.files?.[0];
    if (file) upload(file);
  });

  api.get("/api/admin/tools").then((data) => {
    if (!alive()) return;
    const tools = data.tools || [];
    list.replaceChildren(...tools.map((d) => element(toolRow(d))));
    root.querySelector("[data-testid=admin-tool-empty]").hidden = tools.length > 0;
  }, (err) => alive() && toastError(err));
}

function mountEditor(root, id, alive) {
  render(root, html`<div class="view admintools-view" data-testid="view-admin-tools">
    <header class="view-head"><a class="link" href="#/tools" data-testid="admin-back">${icon("chevronLeft", { size: 18 })}${t("admintools.back")}</a>
      <h1>${t("admintools.editor_title")}</h1></header>
    <div data-editor><p class="muted">${t("common.loading")}</p></div>
  </div>`);
  const slot = root.querySelector("[data-editor]");
  let draft = null;
  let hidden = readList(hiddenKey(id));
  let form = null;

  const showError = (text) => {
    const node = form.querySelector("[data-testid=admin-editor-error]");
    node.hidden = !text;
    setText(node, text);
  };
  const dirty = (value) => {
    form.querySelector("[data-testid=admin-unsaved]").hidden = !value;
    form.dataset.dirty = value ? "true" : "false";
  };
  const show = (next) => {
    draft = next;
    updateStatus(form, draft);
  };
  const refreshCatalog = () => loadTools(true).catch(() => {}); // the studio's picker follows

  async function save() {
    const { manifest, hidden: aside } = applyEdits(draft.manifest, hidden, readEdits(form, draft, hidden));
    const { tool } = await api.patch(base(id), { manifest });
    hidden = aside;
    writeList(hiddenKey(id), hidden);
    if (tool.status === "published") await refreshCatalog(); // the change is live for everyone
    if (!alive()) return;
    show(tool);
    dirty(false);
  }
  let busy = false; // one action at a time: a second click must not publish twice
  async function act(name, work) {
    if (busy) return;
    busy = true;
    form.setAttribute("aria-busy", "true");
    showError("");
    let done;
    try {
      done = await work();
    } catch (err) {
      if (!alive()) return;
      if (err instanceof ApiError && err.code === "tool_not_valid") {
        showError(t("admintools.not_valid"));
        // the server's problems, as they are now
        api.get(base(id)).then((data) => alive() && show(data.tool), () => {});
      } else {
        showError(serverText(err));
      }
      return;
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
    if (name && done !== false) toast(t(`admintools.${name}_toast`, { name: localized(draft.manifest.name) || id }), "success");
  }
  async function onClick(event) {
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action === "publish") {
      await act("published", async () => {
        if (form.dataset.dirty === "true") await save();
        if (problemCounts(draft.problems).error) return false; // the problems say why
        show((await api.post(`${base(id)}/publish`)).tool);
        await refreshCatalog();
      });
    } else if (action === "disable") {
      await act("disabled", async () => {
        show((await api.post(`${base(id)}/disable`)).tool);
        await refreshCatalog();
      });
    } else if (action === "delete") {
      if (!window.confirm(t("admintools.confirm_delete", { name: localized(draft.manifest.name) || id }))) return;
      await act("deleted", async () => {
        await api.delete(base(id));
        localStorage.removeItem(hiddenKey(id));
        await refreshCatalog();
        navigate("tools");
      });
    }
  }

  Promise.all([api.get(base(id)), loadTools().catch(() => [])]).then(([data, tools]) => {
    if (!alive()) return;
    const categories = [...new Set(tools.map((x) => x.category).filter(Boolean))];
    draft = data.tool;
    form = renderEditor(slot, draft, hidden, categories);
    form.addEventListener("input", () => dirty(true));
    form.addEventListener("change", () => dirty(true));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act("saved", save);
    });
    form.addEventListener("click", onClick);
  }, (err) => {
    if (!alive()) return;
    render(slot, html`<p class="form-error" role="alert" data-testid="admin-editor-missing">${errorText(err)}</p>`);
  });
}

/** Mount the Tools view: the list and import (#/tools) or one tool's editor (#/tools/<id>). */
export function mountAdminTools(root, { param }) {
  let mounted = true;
  const alive = () => mounted;
  if (param) mountEditor(root, param, alive);
  else mountList(root, alive);
  return () => {
    mounted = false;
  };
}
