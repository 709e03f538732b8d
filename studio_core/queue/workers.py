"""Worker heartbeats, the listing of workers, and reaping the jobs of dead ones."""

from __future__ import annotations

import json
import logging
import time

from studio_core.queue.keys import QueueKeys
from studio_core.queue.scripts import QueueScripts

logger = logging.getLogger(__name__)


class WorkerRoster:
    """Who is alive (heartbeats with a TTL), and giving back what the dead ones held."""

    def __init__(self, redis, keys: QueueKeys, scripts: QueueScripts):
        self.redis = redis
        self.keys = keys
        self.scripts = scripts

    def heartbeat(self, worker_id: str, info: dict, ttl: float = 30.0) -> None:
        """Say this worker is alive for `ttl` seconds, with what it is doing."""
        record = json.dumps({**info, "id": worker_id, "last_seen": time.time()})
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.keys.worker(worker_id), record, px=int(ttl * 1000))
        pipe.sadd(self.keys.workers, worker_id)
        pipe.hset(self.keys.workers_last, worker_id, record)
        pipe.execute()

    def workers(self) -> list[dict]:
        """Every known worker with `online` (heartbeat not lapsed) and its last record."""
        ids = sorted(self.redis.smembers(self.keys.workers))
        pipe = self.redis.pipeline(transaction=False)
        for wid in ids:
            pipe.get(self.keys.worker(wid))
            pipe.hget(self.keys.workers_last, wid)
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
        for wid in sorted(self.redis.smembers(self.keys.workers)):
            jobs = self.scripts.reap(wid)
            if jobs is None:
                continue
            if jobs:
                logger.warning("queue reap worker=%s requeued=%s", wid, jobs)
            else:
                logger.info("queue forget worker=%s", wid)
            requeued.extend(jobs)
        return requeued

    def retire(self, worker_id: str) -> list[str]:
        """Graceful shutdown: drop the heartbeat and give the worker's jobs back at once."""
        self.redis.delete(self.keys.worker(worker_id))
        jobs = self.scripts.reap(worker_id) or []
        logger.info("queue retire worker=%s requeued=%s", worker_id, jobs)
        return jobs
