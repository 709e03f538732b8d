"""The worker's claims, owned by one object: each is held here or released in Redis, never neither.

    take() ──> claimed -> submitted -> running -> storing ──> ack()       (done: acked)
                                                         └──> hand_back() (queued again)

A claim is in `q:processing:<worker>` from the moment the claim script runs until its ack or
hand-back. While this process works on it, it is *held* (in `_slots`): the heartbeat
re-records held claims after Redis lost them (`readopt`). Everything else under our id in
Redis is an *orphan* (left by an earlier process that had our WORKER_ID and crashed, or by a
release whose Redis write failed): `recover_orphans` gives it back to the queue. Every
change of membership and the Redis write that goes with it happen under one lock, so the
heartbeat can never re-adopt a job just acked and the orphan sweep can never take a job just
claimed.
"""

from __future__ import annotations

import logging
import threading
import time

import redis as redis_lib

from studio_core.queue.job_queue import JobQueue
from worker.jobs.slot import JobSlot

logger = logging.getLogger(__name__)


class ClaimBook:
    """Claims held by one worker process, and the only code that releases them."""

    def __init__(self, queue: JobQueue, worker_id: str, lease_s: float):
        self.queue = queue
        self.worker_id = worker_id
        self.lease_s = lease_s
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._slots: dict[str, JobSlot] = {}
        # Releases whose Redis write failed: job id -> "ack" | "requeue"; retried by settle().
        self._unsettled: dict[str, tuple[str, JobSlot]] = {}

    # ---- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)

    def __contains__(self, job_id: object) -> bool:
        with self._lock:
            return job_id in self._slots

    def get(self, job_id: str) -> JobSlot | None:
        """The held slot of a job, if this process works on it."""
        with self._lock:
            return self._slots.get(job_id)

    def held(self) -> list[JobSlot]:
        """A snapshot of the held slots."""
        with self._lock:
            return list(self._slots.values())

    # ---- taking --------------------------------------------------------------------------------
    def take(self, timeout: float) -> JobSlot | None:
        """Claim the next job and hold it (waits up to `timeout` s on the doorbell)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                claim = self.queue.try_claim(self.worker_id, self.lease_s)
                if claim is not None:
                    slot = JobSlot(claim.job_id, claim.user_id)
                    self._slots[claim.job_id] = slot
                    return slot
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.queue.wait_bell(remaining)

    # ---- releasing -----------------------------------------------------------------------------
    def ack(self, slot: JobSlot) -> None:
        """The job reached an end (or belongs to someone else now): forget the claim."""
        self._release(slot, "ack", "acked")

    def hand_back(self, slot: JobSlot) -> None:
        """Put the job back at the front of its user's queue for the next claimer."""
        self._release(slot, "requeue", "handed_back")

    def _release(self, slot: JobSlot, action: str, stage: str) -> None:
        with self._changed:
            if self._slots.get(slot.job_id) is not slot:
                return  # released already
            del self._slots[slot.job_id]
            slot.stage = stage
            try:
                self._apply(action, slot)
            except redis_lib.RedisError as exc:
                # Still ours in Redis: settle() retries, and a restart's orphan sweep would too.
                self._unsettled[slot.job_id] = (action, slot)
                logger.warning(
                    "job=%s %s not recorded in redis (retrying) error=%s", slot.job_id, action, exc
                )
            self._changed.notify_all()

    def _apply(self, action: str, slot: JobSlot) -> None:
        if action == "ack":
            self.queue.ack(self.worker_id, slot.job_id)
        else:
            self.queue.requeue(self.worker_id, slot.job_id, front=True, user_id=slot.user_id)

    # ---- keeping Redis true (heartbeat thread) --------------------------------------------------
    def settle(self) -> None:
        """Retry releases whose Redis write failed (Redis was down)."""
        with self._lock:
            for job_id, (action, slot) in list(self._unsettled.items()):
                self._apply(action, slot)
                del self._unsettled[job_id]
                logger.info("job=%s %s recorded after redis came back", job_id, action)

    def readopt(self) -> None:
        """Record again every held claim (a no-op unless Redis restarted empty)."""
        with self._lock:
            for slot in self._slots.values():
                self.queue.adopt(self.worker_id, slot.job_id, slot.user_id)

    def recover_orphans(self) -> list[str]:
        """Give back every claim under our id that this process does not hold.

        Run at start (a crashed process with the same WORKER_ID left its claims behind, and
        our own heartbeat keeps the reaper away from them) and with every heartbeat after.
        """
        with self._lock:
            orphans = [
                job_id
                for job_id in self.queue.processing(self.worker_id)
                if job_id not in self._slots and job_id not in self._unsettled
            ]
            back = [job_id for job_id in orphans if self.queue.requeue(self.worker_id, job_id)]
        if back:
            logger.warning("worker=%s recovered orphaned claims jobs=%s", self.worker_id, back)
        return back

    # ---- waiting ----------------------------------------------------------------------------------
    def wait_below(self, limit: int, timeout: float) -> bool:
        """Wait until fewer than `limit` claims are held; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._slots) < limit, timeout)

    def wait_empty(self, timeout: float) -> bool:
        """Wait until no claim is held; False on timeout."""
        return self.wait_below(1, timeout)
