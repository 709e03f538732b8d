"""`LiveCatalog`: the built-in tools plus the published imported ones, kept current.

Every process (each backend process, each worker) holds one. A change (`changed()`, after
its SQL commit) bumps the Redis counter `studio:catalog:version`; every read of `.tools`,
`.get(id)` or `id in catalog` reads that counter (one GET) and, when it moved, asks the
database for the published rows' (id, revision) pairs, one small query. Only rows whose
revision differs are read and parsed again. So an admin's publish shows at once in every
process. The database is also asked at least every `ttl_s` whatever the counter says (Redis
may have restarted empty, or be down), and a tool id not found is looked up again at once,
so a job for a tool published a moment ago is never refused as unknown.

A row whose manifest no longer parses (or clashes with a built-in id) is logged and left out:
the catalog never fails because of one imported tool. A database that cannot be read keeps
the last snapshot on the timed refresh; on a forced look-up the error propagates (the caller
maps it to 503 or an outage).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from studio_core.catalog.tools import Catalog, Tool
from studio_core.custom_tools import store
from studio_core.custom_tools.tool import PARSE_ERRORS, ImportedTool, tool_from_row
from studio_core.errors import UnknownTool

logger = logging.getLogger(__name__)

VERSION_KEY = "studio:catalog:version"


@dataclass(frozen=True)
class _Snapshot:
    revisions: dict[str, int] = field(default_factory=dict)  # published rows seen (parsed or not)
    imported: dict[str, ImportedTool] = field(default_factory=dict)
    tools: list[Tool] = field(default_factory=list)
    by_id: dict[str, Tool] = field(default_factory=dict)


class LiveCatalog:
    """Built-in + published imported tools, with the interface of `Catalog`."""

    def __init__(
        self,
        builtin: Catalog,
        db: Engine,
        redis: Any = None,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.builtin = builtin
        self.path = builtin.path
        self.db = db
        self.redis = redis  # None: the TTL alone (tests, tools without Redis)
        self._version: str | bytes | None = None
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._snapshot = self._build({}, {})

    # ---- the Catalog interface -------------------------------------------------------
    @property
    def tools(self) -> list[Tool]:
        """Every tool in display order (built-in and imported)."""
        return self._current().tools

    def get(self, tool_id: str) -> Tool:
        """The tool with this id; raises UnknownTool (saying so when it was disabled)."""
        if not isinstance(tool_id, str):
            raise UnknownTool(f"unknown tool '{tool_id}'", field="workflow")
        tool = self._current().by_id.get(tool_id)
        if tool is None:
            tool = self.refresh(force=True).by_id.get(tool_id)
        if tool is None:
            raise UnknownTool(self._absent_reason(tool_id), field="workflow")
        return tool

    def __contains__(self, tool_id: object) -> bool:
        if not isinstance(tool_id, str):
            return False
        if tool_id in self._current().by_id:
            return True
        return tool_id in self.refresh(force=True).by_id

    # ---- beyond Catalog ----------------------------------------------------------------
    def is_builtin(self, tool_id: str) -> bool:
        """True when a shipped tool has this id (an import may not take it)."""
        return tool_id in self.builtin

    def changed(self) -> None:
        """A row was changed (and committed): every process re-reads on its next access."""
        with self._lock:
            self._checked_at = None
        if self.redis is None:
            return
        try:
            self.redis.incr(VERSION_KEY)
        except RedisError as exc:
            logger.warning(
                "catalog version not bumped, others see it within %ss error=%s", self.ttl_s, exc
            )

    def refresh(self, force: bool = False) -> _Snapshot:
        """Re-read the published rows if they may have changed (the counter moved, ttl_s
        passed, or `force`)."""
        # The counter is read before taking the lock: a Redis round trip must not queue
        # every other thread's catalog access behind it.
        version = self._read_version()
        with self._lock:
            now = self._clock()
            fresh = self._checked_at is not None and now - self._checked_at < self.ttl_s
            if fresh and not force and version == self._version:
                return self._snapshot
            try:
                revisions = store.published_revisions(self.db)
            except SQLAlchemyError as exc:
                if force:
                    raise
                logger.warning("catalog refresh failed, keeping the last tools error=%s", exc)
                self._checked_at = now
                return self._snapshot
            self._checked_at, self._version = now, version
            if revisions != self._snapshot.revisions:
                self._snapshot = self._reload(revisions)
            return self._snapshot

    # ---- internals ---------------------------------------------------------------------
    def _current(self) -> _Snapshot:
        return self.refresh()

    def _read_version(self) -> str | bytes | None:
        if self.redis is None:
            return None
        try:
            return self.redis.get(VERSION_KEY)
        except RedisError as exc:
            # The TTL still bounds how stale the tools get; the failing Redis is reported
            # by the routes that need it.
            logger.warning("catalog version unreadable error=%s", exc)
            return self._version

    def _reload(self, revisions: dict[str, int]) -> _Snapshot:
        old = self._snapshot
        imported = {
            tool_id: tool
            for tool_id, tool in old.imported.items()
            if revisions.get(tool_id) == tool.revision
        }
        for tool_id in sorted(set(revisions) - set(imported)):
            row = store.find(self.db, tool_id)
            if row is None or row["status"] != store.PUBLISHED:
                continue  # changed again since the revisions were read: the next check sees it
            tool = self._parse(row)
            if tool is not None:
                imported[tool_id] = tool
        snapshot = self._build(revisions, imported)
        logger.info(
            "catalog reloaded builtin=%s imported=%s",
            len(self.builtin.tools),
            ",".join(sorted(imported)) or "-",
        )
        return snapshot

    def _parse(self, row: dict) -> ImportedTool | None:
        tool_id = row["id"]
        if self.is_builtin(tool_id):
            logger.error(
                "imported tool skipped tool=%s reason=clashes with a built-in tool", tool_id
            )
            return None
        try:
            tool = tool_from_row(row)
        except PARSE_ERRORS as exc:
            logger.error("imported tool skipped tool=%s reason=%s", tool_id, exc)
            return None
        if tool.variant_of and tool.variant_of not in self.builtin:
            logger.error(
                "imported tool skipped tool=%s reason=variant_of '%s' is not a built-in tool",
                tool_id,
                tool.variant_of,
            )
            return None
        return tool

    def _build(self, revisions: dict[str, int], imported: dict[str, ImportedTool]) -> _Snapshot:
        tools = sorted(
            [*self.builtin.tools, *imported.values()], key=lambda tool: (tool.order, tool.id)
        )
        return _Snapshot(
            revisions=dict(revisions),
            imported=imported,
            tools=tools,
            by_id={tool.id: tool for tool in tools},
        )

    def _absent_reason(self, tool_id: str) -> str:
        row = store.find(self.db, tool_id) if store.TOOL_ID.fullmatch(tool_id) else None
        if row is None:
            return f"unknown tool '{tool_id}'"
        if row["status"] == store.PUBLISHED:
            return f"tool '{tool_id}' cannot be loaded (its manifest is broken): ask an admin"
        return f"tool '{tool_id}' is {row['status']}, not published: ask an admin"
