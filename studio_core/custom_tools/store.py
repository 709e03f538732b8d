"""The `custom_tools` table: one row per imported tool, its id being the tool id.

A row is `{"id", "status", "manifest", "workflow", "problems", "checked_against", "revision",
"created_by", "created_at", "updated_at"}`; every change bumps `revision`, which is what the
processes' live catalogs compare (studio_core.custom_tools.live). Ids are checked here
(letters, digits, `_`); that an id is not a built-in tool's is the caller's check, since the
store does not know the catalog.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from studio_core.db.engine import write_transaction
from studio_core.db.tables import custom_tools
from studio_core.db.utc import utcnow
from studio_core.errors import Conflict, InvalidInput, NotFound

logger = logging.getLogger(__name__)

DRAFT, PUBLISHED, DISABLED = "draft", "published", "disabled"
STATUSES = (DRAFT, PUBLISHED, DISABLED)
# Also a jobs.tool value (String(64)) and a URL segment: keep it short and plain.
TOOL_ID = re.compile(r"[a-z][a-z0-9_]{0,47}")
_MAX_ID = 48


def check_tool_id(tool_id: object) -> str:
    """The id if it is a valid tool id (lowercase letter first, then a-z 0-9 _); else 400."""
    if not isinstance(tool_id, str) or not TOOL_ID.fullmatch(tool_id):
        raise InvalidInput(
            "a tool id is 1-48 lowercase letters, digits or '_', starting with a letter",
            field="id",
        )
    return tool_id


def slugify(name: str) -> str:
    """A tool id made from a file name: 'My Flow (v2).json' -> 'my_flow_v2'."""
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = re.sub(r"(\.studio-tool)?\.(json|png|webp)$", "", stem, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"tool_{slug}".rstrip("_")
    return slug[:_MAX_ID].rstrip("_")


def unique_id(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`... : the first that is not in `taken`."""
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: _MAX_ID - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _row(row: Any) -> dict:
    return dict(row._mapping)


def get(engine: Engine, tool_id: str) -> dict:
    """The row; NotFound when there is none."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(custom_tools).where(custom_tools.c.id == tool_id)).first()
    if row is None:
        raise NotFound(f"imported tool '{tool_id}' not found")
    return _row(row)


def find(engine: Engine, tool_id: str) -> dict | None:
    """The row, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(custom_tools).where(custom_tools.c.id == tool_id)).first()
    return _row(row) if row is not None else None


def list_tools(engine: Engine, status: str | None = None) -> list[dict]:
    """Every row (or those of one status), newest first."""
    query = sa.select(custom_tools).order_by(custom_tools.c.created_at.desc(), custom_tools.c.id)
    if status is not None:
        query = query.where(custom_tools.c.status == status)
    with engine.connect() as conn:
        return [_row(row) for row in conn.execute(query)]


def ids(engine: Engine) -> set[str]:
    """Every imported tool's id, whatever its status."""
    with engine.connect() as conn:
        return set(conn.execute(sa.select(custom_tools.c.id)).scalars())


def published_revisions(engine: Engine) -> dict[str, int]:
    """{id: revision} of the published tools: the cheap question a live catalog asks."""
    query = sa.select(custom_tools.c.id, custom_tools.c.revision).where(
        custom_tools.c.status == PUBLISHED
    )
    with engine.connect() as conn:
        return {row.id: row.revision for row in conn.execute(query)}


def create(
    engine: Engine,
    tool_id: str,
    *,
    manifest: dict,
    workflow: dict,
    problems: list[dict],
    checked_against: str,
    created_by: int | None,
) -> dict:
    """Insert a draft; 409 when the id is taken."""
    check_tool_id(tool_id)
    now = utcnow()
    try:
        with write_transaction(engine) as conn:
            conn.execute(
                sa.insert(custom_tools).values(
                    id=tool_id,
                    status=DRAFT,
                    manifest=manifest,
                    workflow=workflow,
                    problems=problems,
                    checked_against=checked_against,
                    revision=1,
                    created_by=created_by,
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        raise Conflict(
            f"a tool with id '{tool_id}' exists", code="tool_exists", field="id"
        ) from None
    logger.info("custom tool created tool=%s by=%s", tool_id, created_by)
    return get(engine, tool_id)


def update(engine: Engine, tool_id: str, **values: Any) -> dict:
    """Change manifest / problems / checked_against / status; bumps the revision; 404 if absent."""
    allowed = {"manifest", "problems", "checked_against", "status"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a changeable column: {sorted(unknown)}")
    if "status" in values and values["status"] not in STATUSES:
        raise ValueError(f"not a status: {values['status']!r}")
    with write_transaction(engine) as conn:
        changed = conn.execute(
            sa.update(custom_tools)
            .where(custom_tools.c.id == tool_id)
            .values(**values, revision=custom_tools.c.revision + 1, updated_at=utcnow())
        ).rowcount
    if not changed:
        raise NotFound(f"imported tool '{tool_id}' not found")
    row = get(engine, tool_id)
    logger.info(
        "custom tool changed tool=%s status=%s revision=%s fields=%s",
        tool_id,
        row["status"],
        row["revision"],
        ",".join(sorted(values)),
    )
    return row


def set_status(engine: Engine, tool_id: str, status: str) -> dict:
    """Publish or disable (or back to draft); bumps the revision."""
    return update(engine, tool_id, status=status)


def delete(engine: Engine, tool_id: str) -> None:
    """Remove the row; 404 if absent. Jobs keep their `tool` id (their history stays)."""
    with write_transaction(engine) as conn:
        gone = conn.execute(sa.delete(custom_tools).where(custom_tools.c.id == tool_id)).rowcount
    if not gone:
        raise NotFound(f"imported tool '{tool_id}' not found")
    logger.info("custom tool deleted tool=%s", tool_id)
