"""Jobs as the API shows them: SQL rows merged with live state (progress, position, preview).

Used by every REST path that answers with a job; the JSON itself comes from the one builder,
`studio_core.jobs.public.to_public`, which workers use for the SSE stream as well.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError

from studio_core.jobs.public import to_public
from studio_core.jobs.states import ACTIVE, JobStatus
from studio_core.live import LiveState
from studio_core.queue.job_queue import JobQueue

logger = logging.getLogger(__name__)


class JobPresenter:
    """Merges SQL rows with live Redis state (progress, node, queue position, preview, seq).

    Ordering (docs/API.md `seq`): writers change SQL first and live state second, so a row
    read from SQL can be older than the live seq read after it. So a reader either reads the
    live state before the row (`states()`, when it knows the ids), or takes `floor()` before
    the row and reports, for an active job, at most `floor - 1`: every live write below that
    seq happened before the SQL read. Either way the row is at least as new as its seq.
    """

    def __init__(self, live: LiveState, queue: JobQueue):
        self.live = live
        self.queue = queue

    def floor(self) -> int | None:
        """Take before reading rows from SQL; None when Redis does not answer."""
        try:
            return self.live.seq_floor()
        except RedisError as exc:
            logger.warning("live clock unavailable error=%s", exc)
            return None

    def states(self, job_ids: list[str]) -> dict[str, dict]:
        """Live states to read before the rows (for `many(states=...)`); {} without Redis."""
        try:
            return self.live.get_many(job_ids)
        except RedisError as exc:
            logger.warning("live state unavailable jobs=%s error=%s", len(job_ids), exc)
            return {}

    def one(
        self, job: Mapping[str, Any], floor: int | None = None, states: dict | None = None
    ) -> dict:
        """One job with its live state; `floor` or `states` as taken before the row was read."""
        return self.many([job], floor, states)[0]

    def new(self, job: Mapping[str, Any], seq: int) -> dict:
        """A job just recorded and enqueued: its live state (`seq`) is known, only its place is asked."""
        live: dict[str, Any] = {"seq": seq}
        try:
            ahead = self.queue.position(job["id"])
        except RedisError as exc:
            logger.warning("queue position unavailable job=%s error=%s", job["id"], exc)
            ahead = None
        if ahead is not None:
            live["queue_position"] = ahead + 1  # 1 = next to run, as in `many`
        return to_public(job, live=live)

    def many(
        self,
        jobs: list[Mapping[str, Any]],
        floor: int | None = None,
        states: dict[str, dict] | None = None,
    ) -> list[dict]:
        """Several jobs in a few Redis round trips; `floor` or `states` taken before the rows.

        Without either, an active job shows seq 0 (unordered: a page keeps what it has).
        A finished job's row cannot be older than anything, so it shows its live seq as is.
        """
        live: dict[str, dict] = {k: dict(v) for k, v in (states or {}).items()}
        previews: set[str] = set()
        if jobs:
            try:
                if states is None:
                    live = self.live.get_many([j["id"] for j in jobs])
                    self._cap(jobs, live, floor)
                queued = [j["id"] for j in jobs if j["status"] == JobStatus.QUEUED]
                for job_id in queued:
                    ahead = self.queue.position(job_id)
                    if ahead is not None:
                        # 1 = next to run (0 would read as "no position" in the UI)
                        live.setdefault(job_id, {})["queue_position"] = ahead + 1
                previews = self.live.with_preview(
                    [j["id"] for j in jobs if j["status"] == JobStatus.PROCESSING]
                )
            except RedisError as exc:
                # SQL is the truth; live details are a bonus that may be missing for a while.
                logger.warning("live state unavailable jobs=%s error=%s", len(jobs), exc)
        return [to_public(j, live=live.get(j["id"]), has_preview=j["id"] in previews) for j in jobs]

    @staticmethod
    def _cap(jobs: list[Mapping[str, Any]], live: dict[str, dict], floor: int | None) -> None:
        """Lower the seq of active jobs read after their rows to what the rows surely include."""
        for job in jobs:
            state = live.get(job["id"])
            if state and job["status"] in ACTIVE:
                seq = state.get("seq") or 0
                state["seq"] = min(seq, floor - 1) if floor is not None else 0
