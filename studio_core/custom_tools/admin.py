"""What the admin API does with imported tools; the HTTP views only parse and call these.

    admin = ToolAdmin(db, catalog, online_engines)     # online_engines: () -> [EngineInfo]
    row = admin.import_file("flow.json", data, user_id)  # -> a draft (201)
    admin.edit(id, manifest) / admin.publish(id) / admin.disable(id) / admin.delete(id)
    draft_view(row)                                       # the API's Draft

Every check runs against the node schemas of `schemas.schemas_for_check` (the live engines',
else the bundled), and its findings are stored with the row, so a GET shows what the last
import, edit or publish found. A publish is refused (409 tool_not_valid) while one of them
is an error. Every change tells this process's catalog at once; the others see it within
their catalog's TTL (studio_core.custom_tools.live).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from studio_core.custom_tools import exchange, store
from studio_core.custom_tools.live import LiveCatalog
from studio_core.custom_tools.schemas import Schemas, schemas_for_check
from studio_core.custom_tools.tool import PARSE_ERRORS, tool_from_row
from studio_core.engines import EngineInfo
from studio_core.errors import Conflict, InvalidInput, PayloadTooLarge
from studio_core.importer import check_draft, propose_manifest, read_workflow_file

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024  # a graph is kilobytes; a ComfyUI PNG a few megabytes


class ToolNotValid(Conflict):
    code = "tool_not_valid"


def draft_view(row: dict) -> dict:
    """A row as the admin API shows it (the contract's Draft, plus revision and check source)."""
    return {
        "id": row["id"],
        "status": row["status"],
        "manifest": row["manifest"],
        "workflow_nodes": [
            {"id": node_id, "class_type": node.get("class_type")}
            for node_id, node in sorted(row["workflow"].items(), key=_node_order)
        ],
        "problems": row["problems"],
        "checked_against": row["checked_against"],
        "revision": row["revision"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "created_by": row["created_by"],
    }


def _node_order(item: tuple[str, Any]) -> tuple[int, int | str]:
    node_id = item[0]
    return (0, int(node_id)) if node_id.isdigit() else (1, node_id)


def errors_of(problems: list[dict]) -> list[dict]:
    """The problems that block a publish."""
    return [p for p in problems if p.get("severity") == "error"]


@dataclass
class ToolAdmin:
    """Import, check, edit and publish imported tools."""

    db: Engine
    catalog: LiveCatalog
    online_engines: Callable[[], list[EngineInfo]]

    def schemas(self) -> Schemas:
        """The schemas to check against now (live engines first)."""
        return schemas_for_check(self.online_engines())

    def import_file(
        self, filename: str, data: bytes, user_id: int | None, tool_id: str | None = None
    ) -> dict:
        """A new draft from a ComfyUI graph (.json / .png / .webp) or an exported tool file."""
        if len(data) > MAX_FILE_BYTES:
            raise PayloadTooLarge(f"a workflow file is at most {MAX_FILE_BYTES // 2**20} MB")
        if tool_id is not None:
            self._check_free(store.check_tool_id(tool_id))
        tool_file = exchange.read_tool_file(data)
        schemas = self.schemas()
        if tool_file is not None:
            workflow = read_workflow_file("workflow.json", tool_file.workflow_bytes)
            if tool_id is None:
                tool_id = self._free_id(str(tool_file.manifest.get("id") or filename))
            manifest = {**tool_file.manifest, "id": tool_id}
            self._parse(tool_id, manifest, workflow)
        else:
            workflow = read_workflow_file(filename, data)
            tool_id = tool_id or self._free_id(filename)
            # The proposal may adjust the graph (a PreviewImage becomes a SaveImage): keep its copy.
            manifest, workflow = propose_manifest(workflow, schemas.object_info, tool_id)
        problems = self._check(manifest, workflow, schemas)
        row = store.create(
            self.db,
            tool_id,
            manifest=manifest,
            workflow=workflow,
            problems=problems,
            checked_against=schemas.source,
            created_by=user_id,
        )
        logger.info(
            "tool imported tool=%s file=%s nodes=%s problems=%s checked_against=%s",
            tool_id,
            filename,
            len(workflow),
            len(problems),
            schemas.source,
        )
        return row

    def edit(self, tool_id: str, manifest: Any) -> dict:
        """Replace the manifest (parsed strictly: 400 naming the problem), then re-check."""
        row = store.get(self.db, tool_id)
        if not isinstance(manifest, dict):
            raise InvalidInput("'manifest' must be an object", field="manifest")
        exchange.check_plain_json(manifest)
        if manifest.get("id", tool_id) != tool_id:
            raise InvalidInput("a tool's id cannot change (import it again)", field="manifest.id")
        manifest = {**manifest, "id": tool_id}
        self._parse(tool_id, manifest, row["workflow"])
        schemas = self.schemas()
        problems = self._check(manifest, row["workflow"], schemas)
        row = store.update(
            self.db,
            tool_id,
            manifest=manifest,
            problems=problems,
            checked_against=schemas.source,
        )
        self.catalog.invalidate()
        return row

    def publish(self, tool_id: str) -> dict:
        """Re-check against the live ComfyUI and publish; 409 tool_not_valid on any error."""
        row = store.get(self.db, tool_id)
        self._check_not_builtin(tool_id)
        self._parse(tool_id, row["manifest"], row["workflow"], conflict=True)
        schemas = self.schemas()
        problems = self._check(row["manifest"], row["workflow"], schemas)
        blocking = errors_of(problems)
        if blocking:
            store.update(self.db, tool_id, problems=problems, checked_against=schemas.source)
            first = blocking[0]
            raise ToolNotValid(
                f"{len(blocking)} problem(s) to fix before publishing; first: {first.get('message')}"
            )
        row = store.update(
            self.db,
            tool_id,
            status=store.PUBLISHED,
            problems=problems,
            checked_against=schemas.source,
        )
        self.catalog.invalidate()
        return row

    def disable(self, tool_id: str) -> dict:
        """Take the tool out of the catalog (jobs already queued for it fail, saying so)."""
        row = store.set_status(self.db, tool_id, store.DISABLED)
        self.catalog.invalidate()
        return row

    def delete(self, tool_id: str) -> None:
        """Remove the tool; its jobs stay in the history under its id."""
        store.delete(self.db, tool_id)
        self.catalog.invalidate()

    # ---- helpers -----------------------------------------------------------------------
    def _check(self, manifest: dict, workflow: dict, schemas: Schemas) -> list[dict]:
        return list(check_draft(manifest, workflow, schemas.object_info, schemas.models_by_folder))

    def _parse(self, tool_id: str, manifest: dict, workflow: dict, conflict: bool = False) -> None:
        try:
            tool_from_row({"id": tool_id, "manifest": manifest, "workflow": workflow})
        except PARSE_ERRORS as exc:
            if conflict:
                raise ToolNotValid(f"the manifest does not parse: {exc}") from None
            raise InvalidInput(f"the manifest does not parse: {exc}", field="manifest") from None

    def _check_not_builtin(self, tool_id: str) -> None:
        if self.catalog.is_builtin(tool_id):
            raise Conflict(
                f"'{tool_id}' is a built-in tool's id; import it under another id",
                code="tool_exists",
                field="id",
            )

    def _check_free(self, tool_id: str) -> None:
        self._check_not_builtin(tool_id)
        if store.find(self.db, tool_id) is not None:
            raise Conflict(f"a tool with id '{tool_id}' exists", code="tool_exists", field="id")

    def _free_id(self, name: str) -> str:
        taken = store.ids(self.db) | {tool.id for tool in self.catalog.builtin.tools}
        return store.unique_id(store.slugify(name), taken)
