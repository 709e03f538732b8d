"""`ImportedTool`: a catalog Tool built from a `custom_tools` row, shown as imported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio_core.catalog.manifest import ManifestError, parse_tool
from studio_core.catalog.tools import Tool
from studio_core.importer.propose import parseable

# What a malformed manifest may raise from parse_tool besides ManifestError (a label that is
# not an object, a number that is a string...): an admin's JSON can be anything.
PARSE_ERRORS = (ManifestError, ValueError, TypeError, KeyError, AttributeError)


@dataclass
class ImportedTool(Tool):
    """A published imported tool; the same pipeline as a built-in one runs it."""

    revision: int = 0

    def public_dict(self, *args: Any, **kwargs: Any) -> dict:
        """The built-in shape plus `"imported": true` (the tool picker marks it)."""
        return {**super().public_dict(*args, **kwargs), "imported": True}


def tool_from_row(row: dict) -> ImportedTool:
    """Parse a row's manifest and workflow; raises ManifestError naming the problem."""
    manifest, workflow = row["manifest"], row["workflow"]
    if not isinstance(manifest, dict):
        raise ManifestError(f"{row['id']}: the manifest is not a JSON object")
    # parseable: parameter types this build's parser does not know yet (the LoRA list before
    # that work lands) are left out rather than failing the whole tool.
    spec = parse_tool(parseable(manifest), workflow, f"custom_tools/{row['id']}")
    if spec.id != row["id"]:
        raise ManifestError(f"{row['id']}: manifest id '{spec.id}' differs from the tool's id")
    return ImportedTool(**vars(spec), revision=int(row.get("revision") or 0))
