"""The worker's periodic chores and their periods (housekeeping.py runs them on a thread).

`WorkerChores` sees the worker only through what it is given: the queue, the claim book,
the job repository, retention's database and storage, a few settings values, and four
callables (what the heartbeat reports, how to cancel a job, when the claim loop last turned,
whether the worker is stopping). The worker builds it; it never imports the worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from studio_core.db.utc import utcnow
from studio_core.jobs.repo import JobRepository
from studio_core.queue.job_queue import JobQueue
from studio_core.retention import retention_sweep
from studio_core.storage import StoragePaths
from worker.claims import ClaimBook
from worker.housekeeping import Chore, Housekeeping

logger = logging.getLogger(__name__)


class WorkerChores:
    """Heartbeat, reaper, epoch check, reconcile, cancel sweep and retention for one worker."""

    def __init__(
        self,
        worker_id: str,
        *,
        queue: JobQueue,
        claims: ClaimBook,
        repo: JobRepository,
        db: Engine,
        storage: StoragePaths,
        heartbeat_info: Callable[[], dict],
        on_cancel: Callable[[str], None],
        loop_tick: Callable[[], float],
        is_stopping: Callable[[], bool],
        lease_s: float,
        claim_wait_s: float,
        upload_retention_h: int,
        output_retention_days: int,
        health_file: Path | None = None,
    ):
        self.worker_id = worker_id
        self.queue = queue
        self.claims = claims
        self.repo = repo
        self.db = db
        self.storage = storage
        self.ttl = lease_s  # the heartbeat's (and so every claim's) time to live
        self.upload_retention_h = upload_retention_h
        self.output_retention_days = output_retention_days
        self._heartbeat_info = heartbeat_info
        self._health_file = health_file
        self._on_cancel = on_cancel
        self._loop_tick = loop_tick
        self._is_stopping = is_stopping
        # A claim loop idle for longer than this is stuck (it blocks at most claim_wait_s).
        self._stall_limit_s = max(self.ttl, 3 * claim_wait_s)

    def schedule(
        self, *, cancel_sweep_s: float, reconcile_s: float, retention_s: float
    ) -> Housekeeping:
        """The chores on one housekeeping thread; heartbeat, epoch and reaper every ttl/3."""
        beat = max(self.ttl / 3, 0.2)
        now = time.monotonic()
        return Housekeeping(
            [
                Chore("heartbeat", beat, self.heartbeat),
                Chore("epoch", beat, self.epoch),
                Chore("reap", beat, self.reap),
                Chore("cancel_sweep", cancel_sweep_s, self.cancel_sweep),
                Chore("reconcile", reconcile_s, self.reconcile, due=now + beat),
                Chore("retention", retention_s, self.retention),
            ]
        )

    def heartbeat(self) -> None:
        """Say we are alive (only while the claim loop turns) and keep our claims true in Redis."""
        stalled = time.monotonic() - self._loop_tick()
        # A heartbeat must prove the claim loop works, not just that the process exists.
        if stalled > self._stall_limit_s and not self._is_stopping():
            logger.error("worker loop stalled for %.1f s; heartbeat withheld", stalled)
            return
        self.queue.heartbeat(self.worker_id, self._heartbeat_info(), ttl=self.ttl)
        self._touch_health_file()
        self.claims.settle()  # releases whose Redis write failed during an outage
        # Re-record our claims in case Redis restarted empty (a no-op when they are there),
        # so no other worker's reconcile hands a job we are running to someone else; and give
        # back any claim under our id that no thread of ours works on.
        self.claims.readopt()
        self.claims.recover_orphans()

    def _touch_health_file(self) -> None:
        # Only after a heartbeat Redis took: a container healthcheck then means what the
        # queue means by alive (loop turning, Redis reachable).
        if self._health_file is None:
            return
        try:
            self._health_file.write_text(f"{self.worker_id} {time.time():.0f}\n", encoding="utf-8")
        except OSError as exc:
            logger.warning("health file not written path=%s error=%s", self._health_file, exc)

    def reap(self) -> None:
        """Requeue the claims of workers whose heartbeat lapsed."""
        self.queue.reap()

    def reconcile(self) -> None:
        """Re-enqueue active SQL jobs that Redis lost (never the ones we hold)."""
        own = {slot.job_id for slot in self.claims.held()}
        # After Redis came back empty, live workers re-record their claims with their next
        # heartbeat; a processing job is only re-enqueued once they have had a full TTL.
        age = self.queue.epoch_age()
        settled = age is not None and age >= self.ttl
        active = [
            (j["id"], j["user_id"])
            for j in self.repo.active_jobs()
            if j["id"] not in own and (j["status"] == "queued" or settled)
        ]
        added = self.queue.reconcile(active)
        if added:
            logger.warning("reconcile re-enqueued jobs=%s", added)

    def epoch(self) -> None:
        """Reconcile at once when Redis came back empty (its epoch key is gone)."""
        if self.queue.ensure_epoch():
            logger.warning("redis epoch missing (started empty?): reconciling from SQL")
            self.reconcile()

    def cancel_sweep(self) -> None:
        """Cancel held jobs whose cancel flag is set (pub/sub may have lost the message)."""
        for slot in self.claims.held():
            if self.queue.is_cancel_requested(slot.job_id):
                self._on_cancel(slot.job_id)

    def retention(self) -> None:
        """Apply the upload and output retention once."""
        retention_sweep(
            self.db,
            self.storage,
            utcnow(),
            self.upload_retention_h,
            self.output_retention_days,
        )
