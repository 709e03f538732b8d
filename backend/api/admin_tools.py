"""Imported tools (admins only, checked by backend.gate): import, review, edit, publish,
disable, delete, export. The work is studio_core.custom_tools.admin's; these views parse."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, request

from backend.api.common import json_object, one_file
from backend.auth import require_identity
from backend.services import studio
from studio_core.custom_tools import exchange, store
from studio_core.custom_tools.admin import MAX_FILE_BYTES, ToolAdmin, draft_view
from studio_core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

logger = logging.getLogger(__name__)

bp = Blueprint("admin_tools", __name__, url_prefix="/api/admin/tools")

_PATCH_FIELDS = {"manifest"}


def _admin() -> ToolAdmin:
    s = studio()
    return ToolAdmin(s.db, s.catalog, s.engines.online)


@bp.post("/import")
def import_tool():
    """Multipart `file` (+ optional `id`) -> 201 {"tool": Draft}."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("send the workflow as multipart/form-data with a 'file' part")
    part = one_file(request.files, "file")
    data = part.stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"a workflow file is at most {MAX_FILE_BYTES // 2**20} MB")
    if not data:
        raise InvalidInput("the file is empty", field="file")
    tool_id = request.form.get("id") or None
    user_id = require_identity().user_id
    row = _admin().import_file(part.filename or "workflow.json", data, user_id, tool_id)
    logger.info("admin imported tool admin=%s tool=%s", user_id, row["id"])
    return {"tool": draft_view(row)}, 201


@bp.get("")
def list_tools():
    """Every imported tool, whatever its status, newest first."""
    return {"tools": [draft_view(row) for row in store.list_tools(studio().db)]}


@bp.get("/<tool_id>")
def get_tool(tool_id: str):
    """One imported tool."""
    return {"tool": draft_view(store.get(studio().db, tool_id))}


@bp.patch("/<tool_id>")
def edit_tool(tool_id: str):
    """{"manifest": {...}} -> the re-checked Draft (400 when the manifest does not parse)."""
    body = json_object()
    unknown = sorted(set(body) - _PATCH_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field '{unknown[0]}'", field=unknown[0])
    if "manifest" not in body:
        raise InvalidInput("send the new 'manifest'", field="manifest")
    row = _admin().edit(tool_id, body["manifest"])
    logger.info("admin edited tool admin=%s tool=%s", require_identity().user_id, tool_id)
    return {"tool": draft_view(row)}


@bp.post("/<tool_id>/publish")
def publish_tool(tool_id: str):
    """Check against the live ComfyUI and publish (409 tool_not_valid while errors remain)."""
    row = _admin().publish(tool_id)
    logger.info("admin published tool admin=%s tool=%s", require_identity().user_id, tool_id)
    return {"tool": draft_view(row)}


@bp.post("/<tool_id>/disable")
def disable_tool(tool_id: str):
    """Take the tool out of the catalog (it can be published again)."""
    row = _admin().disable(tool_id)
    logger.info("admin disabled tool admin=%s tool=%s", require_identity().user_id, tool_id)
    return {"tool": draft_view(row)}


@bp.delete("/<tool_id>")
def delete_tool(tool_id: str):
    """Delete the tool (jobs that ran it stay in the history)."""
    _admin().delete(tool_id)
    logger.info("admin deleted tool admin=%s tool=%s", require_identity().user_id, tool_id)
    return Response(status=204)


@bp.get("/<tool_id>/export")
def export_tool(tool_id: str):
    """The tool as one file (manifest + workflow) another studio can import."""
    row = store.get(studio().db, tool_id)
    body = json.dumps(exchange.export_document(row), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exchange.export_filename(tool_id)}"'
    )
    return response
