"""The Worker's housekeeping chores and their periods (see housekeeping.py for the runner)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from studio_core.db import utcnow
from studio_core.retention import retention_sweep
from worker.housekeeping import Chore, Housekeeping

if TYPE_CHECKING:
    from worker.worker import Worker

logger = logging.getLogger(__name__)


def build_chores(worker: Worker) -> Housekeeping:
    """Heartbeat, reaper, epoch check, reconcile, cancel sweep and retention for one worker."""
    ttl = worker.settings.heartbeat_ttl_s
    beat = max(ttl / 3, 0.2)
    tuning = worker.tuning

    def heartbeat() -> None:
        stalled = time.monotonic() - worker.loop_tick
        # A heartbeat must prove the claim loop works, not just that the process exists.
        if stalled > max(ttl, 3 * tuning.claim_wait_s) and worker.state != "stopping":
            logger.error("worker loop stalled for %.1f s; heartbeat withheld", stalled)
            return
        worker.queue.heartbeat(worker.worker_id, worker.heartbeat_info(), ttl=ttl)
        claims = worker.claims
        claims.settle()  # releases whose Redis write failed during an outage
        # Re-record our claims in case Redis restarted empty (a no-op when they are there),
        # so no other worker's reconcile hands a job we are running to someone else; and give
        # back any claim under our id that no thread of ours works on.
        claims.readopt()
        claims.recover_orphans()

    def reap() -> None:
        worker.queue.reap()

    def reconcile() -> None:
        own = {slot.job_id for slot in worker.claims.held()}
        # After Redis came back empty, live workers re-record their claims with their next
        # heartbeat; a processing job is only re-enqueued once they have had a full TTL.
        age = worker.queue.epoch_age()
        settled = age is not None and age >= ttl
        active = [
            (j["id"], j["user_id"])
            for j in worker.repo.active_jobs()
            if j["id"] not in own and (j["status"] == "queued" or settled)
        ]
        added = worker.queue.reconcile(active)
        if added:
            logger.warning("reconcile re-enqueued jobs=%s", added)

    def epoch() -> None:
        if worker.queue.ensure_epoch():
            logger.warning("redis epoch missing (started empty?): reconciling from SQL")
            reconcile()

    def cancel_sweep() -> None:
        for slot in worker.claims.held():
            if worker.queue.is_cancel_requested(slot.job_id):
                worker.on_cancel(slot.job_id)

    def retention() -> None:
        retention_sweep(
            worker.db,
            worker.storage,
            utcnow(),
            worker.settings.upload_retention_h,
            worker.settings.output_retention_days,
        )

    now = time.monotonic()
    return Housekeeping(
        [
            Chore("heartbeat", beat, heartbeat),
            Chore("epoch", beat, epoch),
            Chore("reap", beat, reap),
            Chore("cancel_sweep", tuning.cancel_sweep_s, cancel_sweep),
            Chore("reconcile", tuning.reconcile_interval_s, reconcile, due=now + beat),
            Chore("retention", tuning.retention_interval_s, retention),
        ]
    )
