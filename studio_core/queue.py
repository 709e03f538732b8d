"""The job queue: fair-share per user, reliable (claim -> ack), worker heartbeats and reaping.

Keys (prefix `studio:` by default):

    q:user:<uid>           list   waiting job ids of one user, FIFO (head = next)
    q:ring                 list   user ids with waiting jobs, in round-robin order
    q:where                hash   job id -> "queued" | "claimed:<worker_id>"
    q:owner                hash   job id -> user id (while waiting or claimed)
    q:waiting              int    number of waiting jobs (kept by the scripts)
    q:processing:<worker>  list   jobs a worker has claimed and not acked yet
    q:bell                 list   doorbell: idle claimers BLPOP it instead of polling
    workers                set    every worker id seen (heartbeat or claim); never KEYS/SCAN
    worker:<id>            string JSON heartbeat with a TTL; its absence means "dead"
    workers:last           hash   worker id -> last heartbeat JSON (for offline listings)
    epoch                  string marker; missing means Redis restarted empty
    cancel:<job>           string cancel requested (TTL), also published on channel `cancel`

Every mutation of the waiting/claimed structures is one Lua script, so it is atomic with
respect to other claimers, reapers and cancels. The scripts build key names from the prefix,
which is fine for a single Redis (not Redis Cluster).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from studio_core.queue_scripts import (
    _ACK,
    _ADOPT,
    _CLAIM,
    _ENQUEUE,
    _POSITION,
    _REAP,
    _REMOVE,
    _REQUEUE,
)

logger = logging.getLogger(__name__)

BELL_MAX = 64  # doorbell rings kept; each wakes one idle claimer, extras only cost a retry
BELL_WAIT = 1.0  # longest single BLPOP, below any sane socket_timeout


def _text(value: Any) -> str:
    """Redis replies as str whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else str(value)


class Claim(NamedTuple):
    """A job handed to a worker: ack or requeue it when done."""

    job_id: str
    user_id: str


class JobQueue:
    """The one owner of the queue keys; every other module calls these methods."""

    def __init__(self, redis, prefix: str = "studio:"):
        self.redis = redis
        self.prefix = prefix
        self.cancel_channel = f"{prefix}cancel"
        self._enqueue = redis.register_script(_ENQUEUE)
        self._claim = redis.register_script(_CLAIM)
        self._ack = redis.register_script(_ACK)
        self._requeue = redis.register_script(_REQUEUE)
        self._remove = redis.register_script(_REMOVE)
        self._position = redis.register_script(_POSITION)
        self._reap = redis.register_script(_REAP)
        self._adopt = redis.register_script(_ADOPT)

    # -- queue ---------------------------------------------------------------------------

    def enqueue(self, job_id: str, user_id: str | int, front: bool = False) -> bool:
        """Queue a job for its user; False when it is already waiting or claimed."""
        args = [self.prefix, job_id, str(user_id), int(front), BELL_MAX]
        added = bool(self._enqueue(args=args))
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
        got = self._claim(args=[self.prefix, worker_id, int(lease * 1000), lease_json])
        if not got:
            return None
        claim = Claim(_text(got[0]), _text(got[1]))
        logger.info("queue claim job=%s user=%s worker=%s", claim.job_id, claim.user_id, worker_id)
        return claim

    def wait_bell(self, timeout: float) -> None:
        """Block until a job may be waiting (the doorbell rang) or `timeout` s passed."""
        self.redis.blpop([self._key("q:bell")], timeout=min(max(timeout, 0.01), BELL_WAIT))

    def ack(self, worker_id: str, job_id: str) -> bool:
        """Forget a claimed job (done, failed or cancelled); False if it was not claimed."""
        return bool(self._ack(args=[self.prefix, worker_id, job_id]))

    def requeue(
        self, worker_id: str, job_id: str, front: bool = True, *, user_id: str | int | None = None
    ) -> bool:
        """Give a claimed job back to its user's queue (front by default).

        No-op (False) when the job has meanwhile been reaped or claimed by another worker.
        `user_id` is only needed when Redis has lost the job's owner (e.g. after a restart).
        """
        fallback = "" if user_id is None else str(user_id)
        args = [self.prefix, worker_id, job_id, int(front), fallback, BELL_MAX]
        done = bool(self._requeue(args=args))
        logger.info(
            "queue requeue job=%s worker=%s front=%s done=%s", job_id, worker_id, front, done
        )
        return done

    def remove(self, job_id: str) -> bool:
        """Take a waiting job out of the queue so no worker gets it; False if not waiting."""
        return bool(self._remove(args=[self.prefix, job_id]))

    def cancel(self, job_id: str, ttl: float = 86400) -> bool:
        """Cancel anywhere: remove it if waiting (True), and always raise the cancel flag."""
        removed = self.remove(job_id)
        self.request_cancel(job_id, ttl)
        logger.info("queue cancel job=%s removed=%s", job_id, removed)
        return removed

    def position(self, job_id: str) -> int | None:
        """Jobs that will be claimed before this one (0 = next); None if it is not waiting."""
        ahead = self._position(args=[self.prefix, job_id])
        return None if ahead is None else int(ahead)

    def location(self, job_id: str) -> str | None:
        """ "queued", "claimed:<worker_id>", or None when the queue does not hold the job."""
        where = self.redis.hget(self._key("q:where"), job_id)
        return None if where is None else _text(where)

    def length(self) -> int:
        """Number of waiting jobs, O(1)."""
        return max(0, int(self.redis.get(self._key("q:waiting")) or 0))

    def waiting_by_user(self) -> dict[str, int]:
        """Waiting jobs per user with any, O(users)."""
        users = [_text(u) for u in self.redis.lrange(self._key("q:ring"), 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for uid in users:
            pipe.llen(self._key(f"q:user:{uid}"))
        return {uid: int(n) for uid, n in zip(users, pipe.execute(), strict=True) if n}

    def processing(self, worker_id: str) -> list[str]:
        """Jobs a worker has claimed and not acked yet."""
        jobs = self.redis.lrange(self._key(f"q:processing:{worker_id}"), 0, -1)
        return [_text(j) for j in jobs]

    # -- workers -------------------------------------------------------------------------

    def heartbeat(self, worker_id: str, info: dict, ttl: float = 30.0) -> None:
        """Say this worker is alive for `ttl` seconds, with what it is doing."""
        record = json.dumps({**info, "id": worker_id, "last_seen": time.time()})
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self._key(f"worker:{worker_id}"), record, px=int(ttl * 1000))
        pipe.sadd(self._key("workers"), worker_id)
        pipe.hset(self._key("workers:last"), worker_id, record)
        pipe.execute()

    def workers(self) -> list[dict]:
        """Every known worker with `online` (heartbeat not lapsed) and its last record."""
        ids = sorted(_text(w) for w in self.redis.smembers(self._key("workers")))
        pipe = self.redis.pipeline(transaction=False)
        for wid in ids:
            pipe.get(self._key(f"worker:{wid}"))
            pipe.hget(self._key("workers:last"), wid)
        replies = pipe.execute()
        listing = []
        for i, wid in enumerate(ids):
            live, last = replies[2 * i], replies[2 * i + 1]
            record = json.loads(live or last or "{}")
            listing.append({**record, "id": wid, "online": live is not None})
        return listing

    def reap(self) -> list[str]:
        """Requeue (at the front) the jobs of every worker whose heartbeat lapsed."""
        requeued: list[str] = []
        for wid in sorted(_text(w) for w in self.redis.smembers(self._key("workers"))):
            back = self._reap(args=[self.prefix, wid, BELL_MAX])
            if back is None:
                continue
            jobs = [_text(j) for j in back]
            if jobs:
                logger.warning("queue reap worker=%s requeued=%s", wid, jobs)
            else:
                logger.info("queue forget worker=%s", wid)
            requeued.extend(jobs)
        return requeued

    def retire(self, worker_id: str) -> list[str]:
        """Graceful shutdown: drop the heartbeat and give the worker's jobs back at once."""
        self.redis.delete(self._key(f"worker:{worker_id}"))
        back = self._reap(args=[self.prefix, worker_id, BELL_MAX]) or []
        jobs = [_text(j) for j in back]
        logger.info("queue retire worker=%s requeued=%s", worker_id, jobs)
        return jobs

    # -- reconciler ----------------------------------------------------------------------

    def epoch(self) -> str | None:
        """The marker set by `ensure_epoch`, or None when Redis has lost it."""
        value = self.redis.get(self._key("epoch"))
        return None if value is None else _text(value)

    def ensure_epoch(self) -> bool:
        """Set the marker if missing; True means Redis started empty and needs a reconcile."""
        marker = f"{time.time():.0f}-{uuid.uuid4().hex[:8]}"
        return bool(self.redis.set(self._key("epoch"), marker, nx=True))

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
        result = int(self._adopt(args=[self.prefix, worker_id, job_id, str(user_id)]))
        if result == 1:
            logger.warning("queue adopted job=%s worker=%s", job_id, worker_id)
        return result >= 0

    def reconcile(self, active_jobs: Iterable[tuple[str, str | int]]) -> int:
        """Enqueue each (job_id, user_id) not already waiting or claimed; return how many."""
        pipe = self.redis.pipeline(transaction=False)
        count = 0
        for job_id, user_id in active_jobs:
            self._enqueue(args=[self.prefix, job_id, str(user_id), 0, BELL_MAX], client=pipe)
            count += 1
        added = sum(int(r) for r in pipe.execute()) if count else 0
        logger.info("queue reconcile checked=%s enqueued=%s", count, added)
        return added

    # -- cancel flags --------------------------------------------------------------------

    def request_cancel(self, job_id: str, ttl: float = 86400) -> None:
        """Flag a job as cancelled (workers check the flag or listen on `cancel_channel`)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self._key(f"cancel:{job_id}"), "1", px=int(ttl * 1000))
        pipe.publish(self.cancel_channel, job_id)
        pipe.execute()

    def is_cancel_requested(self, job_id: str) -> bool:
        """True when a cancel was requested for the job (within the flag's TTL)."""
        return bool(self.redis.exists(self._key(f"cancel:{job_id}")))

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"
