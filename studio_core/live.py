"""Live job state in Redis: progress, current node, queue position, preview frame.

A cache for the UI and the HUD, never the source of truth (SQL is). Keys:

    job:<id>            hash    status, stage, progress, current_node, step_value, step_max,
                                queue_position, worker, updated_at, seq (+ any extra field);
                                TTL 24 h, refreshed on every write. `seq` is the version of
                                the job's state: it grows with every write (see _UPDATE)
    job:<id>:preview    string  latest preview frame bytes, short TTL
    active:<status>     zset    job ids per active status, score = last write time; entries
                                older than the hash TTL are pruned, so counts need no scan
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timezone

from redis.client import NEVER_DECODE

from studio_core.jobs.states import ACTIVE

logger = logging.getLogger(__name__)

STATE_TTL = 24 * 3600
PREVIEW_TTL = 60
ACTIVE_STATUSES = tuple(s.value for s in ACTIVE)  # as key names and script arguments
INT_FIELDS = frozenset({"progress", "step_value", "step_max", "queue_position", "seq"})

# One round trip per update. KEYS: the job hash, then active:<status> per ACTIVE_STATUSES.
# ARGV: job, now (zset score), ttl, new status ('' = unchanged), n fields to set, n to delete,
# then the field/value pairs, the fields to delete and the ACTIVE_STATUSES names.
# seq = max(seq + 1, Redis time in ms): strictly increasing per job, and still increasing when
# the hash expired or Redis lost it (a page holding an old seq must not ignore the new state).
_UPDATE = """
local key, job, now, ttl, status = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local nset, ndel = tonumber(ARGV[5]), tonumber(ARGV[6])
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = math.max((tonumber(redis.call('HGET', key, 'seq')) or 0) + 1, now_ms)
local i = 7
if nset > 0 then redis.call('HSET', key, unpack(ARGV, i, i + 2 * nset - 1)) end
i = i + 2 * nset
if ndel > 0 then redis.call('HDEL', key, unpack(ARGV, i, i + ndel - 1)) end
i = i + ndel
redis.call('HSET', key, 'seq', string.format('%d', seq))
if status == '' then status = redis.call('HGET', key, 'status') end
for k = 2, #KEYS do
  if ARGV[i + k - 2] == status then
    redis.call('ZADD', KEYS[k], now, job)
  else
    redis.call('ZREM', KEYS[k], job)
  end
end
redis.call('EXPIRE', key, ttl)
return seq
"""


class LiveState:
    """Per-job live state with a TTL, batch reads and active-job counters."""

    def __init__(self, redis, prefix: str = "studio:", ttl: int = STATE_TTL):
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._update = redis.register_script(_UPDATE)

    def update(self, job_id: str, **fields) -> int:
        """Write the given fields (None deletes one), bump `seq`; returns the new seq.

        One atomic script call (not a pipeline: redis-py adds a SCRIPT EXISTS round trip to
        pipelines holding scripts). With no fields it only bumps the version and the TTL.
        """
        now = time.time()
        values = {k: str(v) for k, v in fields.items() if v is not None}
        values["updated_at"] = datetime.fromtimestamp(now, timezone.utc).isoformat()
        removed = [k for k, v in fields.items() if v is None]
        status = fields.get("status") or ""
        pairs = [item for pair in values.items() for item in pair]
        keys = [self._key(job_id), *(f"{self.prefix}active:{s}" for s in ACTIVE_STATUSES)]
        args = [job_id, now, self.ttl, status, len(values), len(removed), *pairs, *removed]
        return int(self._update(keys=keys, args=[*args, *ACTIVE_STATUSES]))

    def seq_floor(self) -> int:
        """Redis time in ms: a job whose seq is below it was last written before this call."""
        seconds, micros = self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def get(self, job_id: str) -> dict | None:
        """The job's live fields (ints typed), or None when Redis holds nothing for it."""
        return self._decode(self.redis.hgetall(self._key(job_id)))

    def get_many(self, job_ids: Iterable[str]) -> dict[str, dict]:
        """Live state of several jobs in one round trip; jobs without state are left out."""
        ids = list(job_ids)
        pipe = self.redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(self._key(job_id))
        found = {}
        for job_id, raw in zip(ids, pipe.execute(), strict=True):
            state = self._decode(raw)
            if state is not None:
                found[job_id] = state
        return found

    def delete(self, job_id: str) -> None:
        """Drop a job's live state, preview and counter entries."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._key(job_id), self._key(job_id) + ":preview")
        for status in ACTIVE_STATUSES:
            pipe.zrem(f"{self.prefix}active:{status}", job_id)
        pipe.execute()

    def counts(self) -> dict[str, int]:
        """Number of jobs per active status, pruning entries whose state expired."""
        stale_before = time.time() - self.ttl
        pipe = self.redis.pipeline(transaction=True)
        for status in ACTIVE_STATUSES:
            pipe.zremrangebyscore(f"{self.prefix}active:{status}", "-inf", stale_before)
            pipe.zcard(f"{self.prefix}active:{status}")
        replies = pipe.execute()
        return {s: int(replies[2 * i + 1]) for i, s in enumerate(ACTIVE_STATUSES)}

    def active_ids(self, status: str) -> list[str]:
        """Job ids currently counted under an active status, oldest write first."""
        return self.redis.zrange(f"{self.prefix}active:{status}", 0, -1)

    def set_preview(self, job_id: str, frame: bytes, ttl: int = PREVIEW_TTL) -> None:
        """Keep the latest preview frame of a running job for a short while."""
        self.redis.set(self._key(job_id) + ":preview", frame, ex=ttl)

    def get_preview(self, job_id: str) -> bytes | None:
        """The latest preview frame, or None."""
        # Frames are binary while the client decodes (studio_core.redis_client): read raw.
        return self.redis.execute_command(
            "GET", self._key(job_id) + ":preview", **{NEVER_DECODE: True}
        )

    def has_preview(self, job_id: str) -> bool:
        """True when a preview frame of the job is kept (no transfer of the frame)."""
        return bool(self.redis.exists(self._key(job_id) + ":preview"))

    def with_preview(self, job_ids: list[str]) -> set[str]:
        """The ids among `job_ids` that have a preview frame kept (one pipelined round trip)."""
        if not job_ids:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.exists(self._key(job_id) + ":preview")
        return {job_id for job_id, n in zip(job_ids, pipe.execute(), strict=True) if n}

    @staticmethod
    def _decode(raw: dict) -> dict | None:
        if not raw:
            return None
        state: dict = {}
        for name, value in raw.items():
            state[name] = (
                int(value) if name in INT_FIELDS and value.lstrip("-").isdigit() else value
            )
        return state

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"
