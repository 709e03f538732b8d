"""JobQueue: the one owner of the queue keys (their layout is in studio_core.queue).

Waiting and claimed jobs are handled here; heartbeats and reaping (`workers`), recovery
after an empty Redis (`reconcile`) and cancel flags (`cancel`) are parts it is built from,
reached through its methods so callers see one object.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import NamedTuple

from studio_core.queue.cancel import CancelFlags
from studio_core.queue.keys import QueueKeys
from studio_core.queue.reconcile import Reconciler
from studio_core.queue.scripts import QueueScripts
from studio_core.queue.workers import WorkerRoster

logger = logging.getLogger(__name__)

BELL_WAIT = 1.0  # longest single BLPOP, below any sane socket_timeout


class Claim(NamedTuple):
    """A job handed to a worker: ack or requeue it when done."""

    job_id: str
    user_id: str


class JobQueue:
    """The one owner of the queue keys; every other module calls these methods."""

    def __init__(self, redis, prefix: str = "studio:"):
        self.redis = redis
        self.prefix = prefix
        self._keys = QueueKeys(prefix)
        self.cancel_channel = self._keys.cancel_channel
        self._scripts = QueueScripts(redis, prefix)
        self._roster = WorkerRoster(redis, self._keys, self._scripts)
        self._reconciler = Reconciler(redis, self._keys, self._scripts)
        self._cancels = CancelFlags(redis, self._keys)

    # -- waiting and claimed jobs ----------------------------------------------------------

    def enqueue(self, job_id: str, user_id: str | int, front: bool = False) -> bool:
        """Queue a job for its user; False when it is already waiting or claimed."""
        added = bool(self._scripts.enqueue(job_id, user_id, front))
        logger.info("queue enqueue job=%s user=%s front=%s added=%s", job_id, user_id, front, added)
        return added

    def claim(self, worker_id: str, timeout: float = 1.0, lease: float = 30.0) -> Claim | None:
        """Take the next job (round-robin across users) into the worker's processing list.

        Waits up to `timeout` seconds on the doorbell when nothing is waiting. A worker that
        has never sent a heartbeat gets one of `lease` seconds, so the reaper leaves it alone.
        """
        deadline = time.monotonic() + timeout
        while True:
            claim = self.try_claim(worker_id, lease)
            if claim is not None:
                return claim
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.wait_bell(remaining)

    def try_claim(self, worker_id: str, lease: float = 30.0) -> Claim | None:
        """One atomic claim attempt, no waiting (the worker calls it under its claim lock)."""
        lease_json = json.dumps({"id": worker_id, "state": "claiming", "last_seen": time.time()})
        got = self._scripts.claim(worker_id, int(lease * 1000), lease_json)
        if not got:
            return None
        claim = Claim(*got)
        logger.info("queue claim job=%s user=%s worker=%s", claim.job_id, claim.user_id, worker_id)
        return claim

    def wait_bell(self, timeout: float) -> None:
        """Block until a job may be waiting (the doorbell rang) or `timeout` s passed."""
        self.redis.blpop([self._keys.bell], timeout=min(max(timeout, 0.01), BELL_WAIT))

    def ack(self, worker_id: str, job_id: str) -> bool:
        """Forget a claimed job (done, failed or cancelled); False if it was not claimed."""
        return bool(self._scripts.ack(worker_id, job_id))

    def requeue(
        self, worker_id: str, job_id: str, front: bool = True, *, user_id: str | int | None = None
    ) -> bool:
        """Give a claimed job back to its user's queue (front by default).

        No-op (False) when the job has meanwhile been reaped or claimed by another worker.
        `user_id` is only needed when Redis has lost the job's owner (e.g. after a restart).
        """
        fallback = "" if user_id is None else str(user_id)
        done = bool(self._scripts.requeue(worker_id, job_id, front, fallback))
        logger.info(
            "queue requeue job=%s worker=%s front=%s done=%s", job_id, worker_id, front, done
        )
        return done

    def remove(self, job_id: str) -> bool:
        """Take a waiting job out of the queue so no worker gets it; False if not waiting."""
        return bool(self._scripts.remove(job_id))

    def cancel(self, job_id: str, ttl: float = 86400) -> bool:
        """Cancel anywhere: remove it if waiting (True), and always raise the cancel flag."""
        removed = self.remove(job_id)
        self.request_cancel(job_id, ttl)
        logger.info("queue cancel job=%s removed=%s", job_id, removed)
        return removed

    def position(self, job_id: str) -> int | None:
        """Jobs that will be claimed before this one (0 = next); None if it is not waiting."""
        ahead = self._scripts.position(job_id)
        return None if ahead is None else int(ahead)

    def location(self, job_id: str) -> str | None:
        """ "queued", "claimed:<worker_id>", or None when the queue does not hold the job."""
        return self.redis.hget(self._keys.where, job_id)

    def length(self) -> int:
        """Number of waiting jobs, O(1)."""
        return max(0, int(self.redis.get(self._keys.waiting) or 0))

    def waiting_by_user(self) -> dict[str, int]:
        """Waiting jobs per user with any, O(users)."""
        users = self.redis.lrange(self._keys.ring, 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        for uid in users:
            pipe.llen(self._keys.user(uid))
        return {uid: int(n) for uid, n in zip(users, pipe.execute(), strict=True) if n}

    def processing(self, worker_id: str) -> list[str]:
        """Jobs a worker has claimed and not acked yet."""
        return self.redis.lrange(self._keys.processing(worker_id), 0, -1)

    # -- workers (studio_core.queue.workers) -----------------------------------------------

    def heartbeat(self, worker_id: str, info: dict, ttl: float = 30.0) -> None:
        """Say this worker is alive for `ttl` seconds, with what it is doing."""
        self._roster.heartbeat(worker_id, info, ttl)

    def workers(self) -> list[dict]:
        """Every known worker with `online` (heartbeat not lapsed) and its last record."""
        return self._roster.workers()

    def reap(self) -> list[str]:
        """Requeue (at the front) the jobs of every worker whose heartbeat lapsed."""
        return self._roster.reap()

    def retire(self, worker_id: str) -> list[str]:
        """Graceful shutdown: drop the heartbeat and give the worker's jobs back at once."""
        return self._roster.retire(worker_id)

    # -- recovery after an empty Redis (studio_core.queue.reconcile) -----------------------

    def epoch(self) -> str | None:
        """The marker set by `ensure_epoch`, or None when Redis has lost it."""
        return self._reconciler.epoch()

    def ensure_epoch(self) -> bool:
        """Set the marker if missing; True means Redis started empty and needs a reconcile."""
        return self._reconciler.ensure_epoch()

    def epoch_age(self) -> float | None:
        """Seconds since `ensure_epoch` set the marker (None when Redis has lost it)."""
        return self._reconciler.epoch_age()

    def adopt(self, worker_id: str, job_id: str, user_id: str | int) -> bool:
        """Record again that the worker holds the job (Redis lost its claims); False if not."""
        return self._reconciler.adopt(worker_id, job_id, user_id)

    def reconcile(self, active_jobs: Iterable[tuple[str, str | int]]) -> int:
        """Enqueue each (job_id, user_id) not already waiting or claimed; return how many."""
        return self._reconciler.reconcile(active_jobs)

    # -- cancel flags (studio_core.queue.cancel) -------------------------------------------

    def request_cancel(self, job_id: str, ttl: float = 86400) -> None:
        """Flag a job as cancelled (workers check the flag or listen on `cancel_channel`)."""
        self._cancels.request_cancel(job_id, ttl)

    def is_cancel_requested(self, job_id: str) -> bool:
        """True when a cancel was requested for the job (within the flag's TTL)."""
        return self._cancels.is_cancel_requested(job_id)
