"""The exported tool file: one JSON document holding a tool's manifest and its workflow.

    {"format": "comfyui-studio-tool", "version": 1, "manifest": {...}, "workflow": {...}}

Only the envelope is read here; the workflow goes through the importer like any uploaded
graph, and the manifest through the catalog's parser, so a hand-edited file gets the same
checks as an import from ComfyUI.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from studio_core.errors import InvalidInput

FORMAT, VERSION = "comfyui-studio-tool", 1
FILE_SUFFIX = ".studio-tool.json"
MAX_DEPTH = 32  # a manifest nests 5 levels (parameters -> presets -> rewire -> link)


@dataclass(frozen=True)
class ToolFile:
    """The parts of an exported tool file."""

    manifest: dict[str, Any]
    workflow_bytes: bytes  # re-serialised for the importer's reader


def check_plain_json(value: Any, field: str = "manifest") -> Any:
    """`value` if it nests at most MAX_DEPTH levels and holds only finite numbers; else 400.

    Python's json reads NaN and Infinity, which MariaDB's JSON columns (and browsers) refuse,
    and "\\ud800" as a lone surrogate, which no database can store.
    """
    pending = [(value, 1)]
    while pending:  # iterative: a deep value must not exhaust the stack here
        item, depth = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput(f"the {field} holds {item}, which is not a JSON number", field=field)
        if isinstance(item, str):
            _check_text(item, field)
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise InvalidInput(f"the {field} nests deeper than {MAX_DEPTH} levels", field=field)
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return value


def _check_text(text: str, field: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"the {field} holds a lone surrogate (\\ud800-\\udfff)", field=field
        ) from None


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
        document = json.loads(data.decode("utf-8-sig"))
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
    check_plain_json(manifest)
    # allow_nan: a NaN in the graph reaches the importer's reader, which refuses it by name.
    return ToolFile(manifest, json.dumps(workflow).encode("utf-8"))
