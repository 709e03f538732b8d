"""The fake API's imported tools (admins): import, draft store, publish, export.

A mixin of tests/e2e/fake_api.FakeApi (which holds the state: `admin_tools`, `tool_problems`),
held to backend/openapi.json like every other route. The proposal and the check are the
studio's own (studio_core.importer); the graph is checked against the bundled node schemas,
as the real server does while ComfyUI is offline.
"""

from __future__ import annotations

import json
import re

from comfy_schema.object_info import load_object_info
from studio_core.catalog.manifest import PARAM_TYPES, parse_tool
from studio_core.catalog.tools import Tool
from studio_core.errors import InvalidInput
from studio_core.importer import check_draft, propose_manifest, read_workflow_file
from tests.e2e.fake_accounts import Answer, bad_input, error, multipart_part

TOOL_FILE = "comfyui-studio-tool"
STAMP = "2026-05-03T10:00:00+00:00"


def draft_problems(manifest: dict, graph: dict, extra: list[dict]) -> list[dict]:
    """What the studio's check finds (bundled schemas) plus what a test added."""
    return check_draft(manifest, graph, load_object_info(), None) + list(extra)


def public_tool(manifest: dict, graph: dict) -> dict:
    """A published tool as GET /api/tools shows it (the real catalog's shape)."""
    # Types this checkout's catalog does not parse yet (the "loras" list) are left out.
    known = [p for p in manifest["parameters"] if p.get("type") in PARAM_TYPES]
    tool = Tool(**vars(parse_tool({**manifest, "parameters": known}, graph)))
    return {
        **tool.public_dict(),
        "availability": {"status": "ready", "reason": None},
        "imported": True,
    }


def _tool_id(filename: str, taken) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", filename.rsplit(".", 1)[0].lower()).strip("_")
    stem = stem if stem[:1].isalpha() else f"tool_{stem}".rstrip("_")  # an id starts with a letter
    tool_id, n = stem[:40], 2
    while tool_id in taken:
        tool_id, n = f"{stem[:36]}_{n}", n + 1
    return tool_id


class AdminToolRoutes:
    """Handlers for /api/admin/tools*; the state lives in FakeApi's fields."""

    def published_tools(self) -> list[dict]:
        """The published imported tools, shaped as GET /api/tools lists them."""
        return [
            public_tool(rec["draft"]["manifest"], rec["workflow"])
            for rec in self.admin_tools.values()
            if rec["draft"]["status"] == "published"
        ]

    def add_imported_tool(self, filename: str, graph: dict, status: str = "draft") -> dict:
        """Import `graph` as if uploaded as `filename` (a test's setup); returns the draft."""
        answer = self._import(filename, json.dumps(graph).encode())
        answer.body["tool"]["status"] = status
        return answer.body["tool"]

    def _check(self, rec: dict) -> None:
        rec["draft"]["problems"] = draft_problems(
            rec["draft"]["manifest"], rec["workflow"], self.tool_problems
        )

    def _admin_tools(self, params, query, body) -> Answer:
        return Answer(200, {"tools": [rec["draft"] for rec in self.admin_tools.values()]})

    def _admin_import(self, params, query, body) -> Answer:
        part = multipart_part(body)
        if part is None:
            return bad_input("invalid_input", "send the workflow as the 'file' part", "file")
        return self._import(part.get_filename() or "workflow.json", part.get_payload(decode=True))

    def _import(self, filename: str, data: bytes) -> Answer:
        exported = _exported(data)
        tool_id = _tool_id(exported["manifest"]["id"] if exported else filename, self.admin_tools)
        try:
            if exported:
                manifest, graph = {**exported["manifest"], "id": tool_id}, exported["workflow"]
            else:
                graph = read_workflow_file(filename, data)
                manifest, graph = propose_manifest(graph, load_object_info(), tool_id)
        except InvalidInput as exc:
            return bad_input("invalid_input", str(exc), "file")
        draft = {
            "id": tool_id,
            "status": "draft",
            "manifest": manifest,
            "workflow_nodes": [{"id": k, "class_type": v["class_type"]} for k, v in graph.items()],
            "problems": [],
            "checked_against": "bundled",
            "created_at": STAMP,
            "updated_at": STAMP,
            "created_by": self.session_user,
        }
        rec = self.admin_tools[tool_id] = {"draft": draft, "workflow": graph}
        self._check(rec)
        return Answer(201, {"tool": draft})

    def _admin_record(self, params) -> dict | None:
        return self.admin_tools.get(params["tool_id"])

    def _admin_tool(self, params, query, body) -> Answer:
        rec = self._admin_record(params)
        return (
            Answer(200, {"tool": rec["draft"]}) if rec else error(404, "not_found", "No such tool")
        )

    def _admin_patch(self, params, query, body) -> Answer:
        rec = self._admin_record(params)
        if rec is None:
            return error(404, "not_found", "No such tool")
        self.admin_patches.append(body["manifest"])
        rec["draft"]["manifest"] = body["manifest"]
        self._check(rec)
        return Answer(200, {"tool": rec["draft"]})

    def _admin_publish(self, params, query, body) -> Answer:
        rec = self._admin_record(params)
        if rec is None:
            return error(404, "not_found", "No such tool")
        self._check(rec)  # checked again: ComfyUI may have changed since the last save
        if any(p["severity"] == "error" for p in rec["draft"]["problems"]):
            refused = {"code": "tool_not_valid", "message": "The tool has errors; fix them first"}
            return Answer(409, {"error": refused})
        rec["draft"]["status"] = "published"
        return Answer(200, {"tool": rec["draft"]})

    def _admin_disable(self, params, query, body) -> Answer:
        rec = self._admin_record(params)
        if rec is None:
            return error(404, "not_found", "No such tool")
        rec["draft"]["status"] = "disabled"
        return Answer(200, {"tool": rec["draft"]})

    def _admin_delete(self, params, query, body) -> Answer:
        if self.admin_tools.pop(params["tool_id"], None) is None:
            return error(404, "not_found", "No such tool")
        return Answer(204)

    def _admin_export(self, params, query, body) -> Answer:
        rec = self._admin_record(params)
        if rec is None:
            return error(404, "not_found", "No such tool")
        tool_file = {
            "format": TOOL_FILE,
            "version": 1,
            "manifest": rec["draft"]["manifest"],
            "workflow": rec["workflow"],
        }
        name = f"{params['tool_id']}.tool.json"
        return Answer(200, tool_file, {"Content-Disposition": f'attachment; filename="{name}"'})


def _exported(data: bytes) -> dict | None:
    """An exported tool file's content, or None for anything else."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == TOOL_FILE else None


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
