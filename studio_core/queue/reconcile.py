"""Recovery after Redis restarted empty: the epoch marker, adopting claims, reconciling.

SQL is the source of truth: when the epoch marker is gone, the active jobs recorded there
are enqueued again (`reconcile`), and a worker still running one records its claim again
(`adopt`) so the job is not delivered twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable

from studio_core.queue.keys import QueueKeys
from studio_core.queue.scripts import QueueScripts

logger = logging.getLogger(__name__)


class Reconciler:
    """Notices an empty Redis and rebuilds the queue from what SQL and the workers know."""

    def __init__(self, redis, keys: QueueKeys, scripts: QueueScripts):
        self.redis = redis
        self.keys = keys
        self.scripts = scripts

    def epoch(self) -> str | None:
        """The marker set by `ensure_epoch`, or None when Redis has lost it."""
        return self.redis.get(self.keys.epoch)

    def ensure_epoch(self) -> bool:
        """Set the marker if missing; True means Redis started empty and needs a reconcile."""
        marker = f"{time.time():.0f}-{uuid.uuid4().hex[:8]}"
        return bool(self.redis.set(self.keys.epoch, marker, nx=True))

    def epoch_age(self) -> float | None:
        """Seconds since `ensure_epoch` set the marker (None when Redis has lost it)."""
        marker = self.epoch()
        if marker is None:
            return None
        try:
            return max(0.0, time.time() - float(marker.split("-", 1)[0]))
        except ValueError:
            return None

    def adopt(self, worker_id: str, job_id: str, user_id: str | int) -> bool:
        """Record again that the worker holds the job (Redis lost its claims); False if not."""
        result = int(self.scripts.adopt(worker_id, job_id, user_id))
        if result == 1:
            logger.warning("queue adopted job=%s worker=%s", job_id, worker_id)
        return result >= 0

    def reconcile(self, active_jobs: Iterable[tuple[str, str | int]]) -> int:
        """Enqueue each (job_id, user_id) not already waiting or claimed; return how many."""
        pipe = self.redis.pipeline(transaction=False)
        count = 0
        for job_id, user_id in active_jobs:
            self.scripts.enqueue(job_id, user_id, client=pipe)
            count += 1
        added = sum(int(r) for r in pipe.execute()) if count else 0
        logger.info("queue reconcile checked=%s enqueued=%s", count, added)
        return added
