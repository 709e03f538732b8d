"""The exported tool file: one JSON document holding a tool's manifest and its workflow.

    {"format": "comfyui-studio-tool", "version": 1, "manifest": {...}, "workflow": {...}}

Only the envelope is read here; the workflow goes through the importer like any uploaded
graph, and the manifest through the catalog's parser, so a hand-edited file gets the same
checks as an import from ComfyUI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from studio_core.errors import InvalidInput

FORMAT, VERSION = "comfyui-studio-tool", 1
FILE_SUFFIX = ".studio-tool.json"


@dataclass(frozen=True)
class ToolFile:
    """The parts of an exported tool file."""

    manifest: dict[str, Any]
    workflow_bytes: bytes  # re-serialised for the importer's reader


def export_document(row: dict) -> dict:
    """The exported file's content for a `custom_tools` row."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "manifest": row["manifest"],
        "workflow": row["workflow"],
    }


def export_filename(tool_id: str) -> str:
    """The attachment's name: `<id>.studio-tool.json`."""
    return f"{tool_id}{FILE_SUFFIX}"


def read_tool_file(data: bytes) -> ToolFile | None:
    """The manifest and workflow of an exported tool file; None when `data` is not one."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{") or FORMAT.encode() not in data:
        return None
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None  # not JSON after all: the importer's reader says what is wrong
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    if document.get("version") != VERSION:
        raise InvalidInput(
            f"this tool file is version {document.get('version')!r}; "
            f"this studio reads version {VERSION}",
            field="file",
        )
    manifest, workflow = document.get("manifest"), document.get("workflow")
    if not isinstance(manifest, dict) or not isinstance(workflow, dict):
        raise InvalidInput("a tool file needs a 'manifest' and a 'workflow' object", field="file")
    return ToolFile(manifest, json.dumps(workflow).encode("utf-8"))
