"""The fake API's imported tools (admins): import, draft store, publish, export.

A mixin of tests/e2e/fake_api.FakeApi (which holds the state: `admin_tools`, `tool_problems`),
held to backend/openapi.json like every other route. It does what
studio_core.custom_tools.admin.ToolAdmin does with rows kept in memory instead of the
database: the studio's own reader, proposal, parser and check (against the bundled node
schemas, as the real server does while no ComfyUI answers), its tool file and its ids.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from comfy_schema.object_info import load_object_info
from studio_core.custom_tools import exchange, store
from studio_core.custom_tools.admin import draft_view, errors_of
from studio_core.custom_tools.tool import PARSE_ERRORS, tool_from_row
from studio_core.errors import InvalidInput
from studio_core.importer import check_draft, propose_manifest, read_workflow_file
from tests.e2e.fake_accounts import Answer, bad_input, error, multipart_part

STAMP = datetime(2026, 5, 3, 10, 0, tzinfo=timezone.utc)
BUILTIN = frozenset(
    {"text_to_image", "single_image_edit", "sketch_to_image", "face_swap", "multi_image_blend"}
)  # the fake's catalog (fake_data.default_tools): an import never takes one of these ids


def _refused(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message}})


class AdminToolRoutes:
    """Handlers for /api/admin/tools*; the state lives in FakeApi's fields."""

    def add_imported_tool(self, filename: str, graph: dict, status: str = "draft") -> dict:
        """Import `graph` as if uploaded as `filename` (a test's setup); returns the Draft."""
        answer = self._import(filename, json.dumps(graph).encode())
        assert answer.status == 201, answer.body
        rec = self.admin_tools[answer.body["tool"]["id"]]
        rec["status"] = status
        return draft_view(rec)

    def published_tools(self) -> list[dict]:
        """The published imported tools, as GET /api/tools lists them."""
        published = [rec for rec in self.admin_tools.values() if rec["status"] == store.PUBLISHED]
        ready = {"status": "ready", "reason": None}
        return [{**tool_from_row(rec).public_dict(), "availability": ready} for rec in published]

    def _checked(self, rec: dict) -> dict:
        """The row with what the check finds now (plus what a test added)."""
        found = check_draft(rec["manifest"], rec["workflow"], load_object_info(), None)
        rec.update(problems=found + list(self.tool_problems), checked_against="bundled")
        rec["revision"] += 1
        return rec

    def _admin_tools(self, params, query, body) -> Answer:
        newest = sorted(self.admin_tools.values(), key=lambda r: r["order"], reverse=True)
        return Answer(200, {"tools": [draft_view(rec) for rec in newest]})

    def _admin_import(self, params, query, body) -> Answer:
        part = multipart_part(body)
        if part is None:
            return bad_input("invalid_input", "send the workflow as a 'file' part", "file")
        return self._import(part.get_filename() or "workflow.json", part.get_payload(decode=True))

    def _import(self, filename: str, data: bytes) -> Answer:
        taken = set(self.admin_tools) | BUILTIN
        try:
            tool_file = exchange.read_tool_file(data)
            if tool_file is not None:
                workflow = read_workflow_file("workflow.json", tool_file.workflow_bytes)
                name = str(tool_file.manifest.get("id") or filename)
                tool_id = store.unique_id(store.slugify(name), taken)
                manifest = {**tool_file.manifest, "id": tool_id}
                tool_from_row({"id": tool_id, "manifest": manifest, "workflow": workflow})
            else:
                workflow = read_workflow_file(filename, data)
                tool_id = store.unique_id(store.slugify(filename), taken)
                manifest, workflow = propose_manifest(workflow, load_object_info(), tool_id)
        except InvalidInput as exc:
            return bad_input("invalid_input", exc.message, "file")
        except PARSE_ERRORS as exc:
            return bad_input("invalid_input", f"the manifest does not parse: {exc}", "manifest")
        rec = {
            "id": tool_id,
            "status": store.DRAFT,
            "manifest": manifest,
            "workflow": workflow,
            "revision": 0,
            "order": len(self.admin_tools),
            "created_at": STAMP,
            "updated_at": STAMP,
            "created_by": self.session_user,
        }
        self.admin_tools[tool_id] = self._checked(rec)
        return Answer(201, {"tool": draft_view(rec)})

    def _admin_tool(self, params, query, body) -> Answer:
        rec = self.admin_tools.get(params["tool_id"])
        return Answer(200, {"tool": draft_view(rec)}) if rec else self._no_tool()

    def _admin_patch(self, params, query, body) -> Answer:
        rec = self.admin_tools.get(params["tool_id"])
        if rec is None:
            return self._no_tool()
        manifest = body["manifest"]
        if manifest.get("id", rec["id"]) != rec["id"]:
            return bad_input("invalid_input", "a tool's id cannot change", "manifest.id")
        manifest = {**manifest, "id": rec["id"]}
        try:
            tool_from_row({"id": rec["id"], "manifest": manifest, "workflow": rec["workflow"]})
        except PARSE_ERRORS as exc:
            return bad_input("invalid_input", f"the manifest does not parse: {exc}", "manifest")
        self.admin_patches.append(manifest)
        rec["manifest"] = manifest
        return Answer(200, {"tool": draft_view(self._checked(rec))})

    def _admin_publish(self, params, query, body) -> Answer:
        rec = self.admin_tools.get(params["tool_id"])
        if rec is None:
            return self._no_tool()
        blocking = errors_of(self._checked(rec)["problems"])  # ComfyUI may have changed
        if blocking:
            first = blocking[0]["message"]
            return _refused(409, "tool_not_valid", f"{len(blocking)} problem(s); first: {first}")
        rec["status"] = store.PUBLISHED
        return Answer(200, {"tool": draft_view(rec)})

    def _admin_disable(self, params, query, body) -> Answer:
        rec = self.admin_tools.get(params["tool_id"])
        if rec is None:
            return self._no_tool()
        rec["status"] = store.DISABLED
        return Answer(200, {"tool": draft_view(rec)})

    def _admin_delete(self, params, query, body) -> Answer:
        if self.admin_tools.pop(params["tool_id"], None) is None:
            return self._no_tool()
        return Answer(204)

    def _admin_export(self, params, query, body) -> Answer:
        rec = self.admin_tools.get(params["tool_id"])
        if rec is None:
            return self._no_tool()
        name = exchange.export_filename(rec["id"])
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Answer(200, exchange.export_document(rec), headers)

    @staticmethod
    def _no_tool() -> Answer:
        return error(404, "not_found", "No such tool")


# (method, OpenAPI path template) -> handler name, merged into fake_api.ROUTES.
ADMIN_TOOL_ROUTES = {
    ("GET", "/api/admin/tools"): "_admin_tools",
    ("POST", "/api/admin/tools/import"): "_admin_import",
    ("GET", "/api/admin/tools/{tool_id}"): "_admin_tool",
    ("PATCH", "/api/admin/tools/{tool_id}"): "_admin_patch",
    ("DELETE", "/api/admin/tools/{tool_id}"): "_admin_delete",
    ("POST", "/api/admin/tools/{tool_id}/publish"): "_admin_publish",
    ("POST", "/api/admin/tools/{tool_id}/disable"): "_admin_disable",
    ("GET", "/api/admin/tools/{tool_id}/export"): "_admin_export",
}
