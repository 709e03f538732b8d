"""The queue's Lua scripts and `QueueScripts`, the one place each of them is called from.

Every mutation of the waiting/claimed structures is one script, so it is atomic with respect
to other claimers, reapers and cancels. The scripts build key names from the prefix (ARGV[1]),
which is fine for a single Redis (not Redis Cluster). Each `QueueScripts` method builds its
script's ARGV, so the argument order is written once, next to the Lua that reads it.
"""

from __future__ import annotations

from typing import Any

BELL_MAX = 64  # doorbell rings kept; each wakes one idle claimer, extras only cost a retry

_LUA_LIB = """
local function ring_add(ring, uid, front)
  if redis.call('LPOS', ring, uid) then return end
  if front then redis.call('LPUSH', ring, uid) else redis.call('RPUSH', ring, uid) end
end
local function push_waiting(p, job, uid, front)
  local ukey = p .. 'q:user:' .. uid
  if front then redis.call('LPUSH', ukey, job) else redis.call('RPUSH', ukey, job) end
  ring_add(p .. 'q:ring', uid, front)
  redis.call('HSET', p .. 'q:where', job, 'queued')
  redis.call('HSET', p .. 'q:owner', job, uid)
  redis.call('INCR', p .. 'q:waiting')
end
local function ring_bell(p, bell_max)
  redis.call('LPUSH', p .. 'q:bell', '1')
  redis.call('LTRIM', p .. 'q:bell', 0, tonumber(bell_max) - 1)
end
"""

# ARGV: prefix, job, uid, front, bell_max
_ENQUEUE = (
    _LUA_LIB
    + """
local p, job = ARGV[1], ARGV[2]
if redis.call('HEXISTS', p .. 'q:where', job) == 1 then return 0 end
push_waiting(p, job, ARGV[3], ARGV[4] == '1')
ring_bell(p, ARGV[5])
return 1
"""
)

# ARGV: prefix, worker, lease_ms, lease_json. Pops the head user of the ring, takes that
# user's oldest job and rotates the user to the tail (or drops it when it has no more).
_CLAIM = """
local p, worker = ARGV[1], ARGV[2]
local ring = p .. 'q:ring'
for _ = 1, redis.call('LLEN', ring) do
  local uid = redis.call('LPOP', ring)
  local ukey = p .. 'q:user:' .. uid
  local job = redis.call('LPOP', ukey)
  if job then
    if redis.call('LLEN', ukey) > 0 then redis.call('RPUSH', ring, uid) end
    redis.call('RPUSH', p .. 'q:processing:' .. worker, job)
    redis.call('HSET', p .. 'q:where', job, 'claimed:' .. worker)
    redis.call('DECR', p .. 'q:waiting')
    redis.call('SADD', p .. 'workers', worker)
    redis.call('SET', p .. 'worker:' .. worker, ARGV[4], 'PX', ARGV[3], 'NX')
    return {job, uid}
  end
end
return false
"""

# ARGV: prefix, worker, job
_ACK = """
local p, worker, job = ARGV[1], ARGV[2], ARGV[3]
local n = redis.call('LREM', p .. 'q:processing:' .. worker, 1, job)
if redis.call('HGET', p .. 'q:where', job) == 'claimed:' .. worker then
  redis.call('HDEL', p .. 'q:where', job)
  redis.call('HDEL', p .. 'q:owner', job)
end
return n
"""

# ARGV: prefix, worker, job, front, fallback uid, bell_max
_REQUEUE = (
    _LUA_LIB
    + """
local p, worker, job = ARGV[1], ARGV[2], ARGV[3]
redis.call('LREM', p .. 'q:processing:' .. worker, 1, job)
local where = redis.call('HGET', p .. 'q:where', job)
if where and where ~= 'claimed:' .. worker then return 0 end
local uid = redis.call('HGET', p .. 'q:owner', job)
if not uid then uid = ARGV[5] end
if uid == '' then
  redis.call('HDEL', p .. 'q:where', job)
  return 0
end
push_waiting(p, job, uid, ARGV[4] == '1')
ring_bell(p, ARGV[6])
return 1
"""
)

# ARGV: prefix, job
_REMOVE = """
local p, job = ARGV[1], ARGV[2]
if redis.call('HGET', p .. 'q:where', job) ~= 'queued' then return 0 end
local uid = redis.call('HGET', p .. 'q:owner', job)
redis.call('HDEL', p .. 'q:where', job)
redis.call('HDEL', p .. 'q:owner', job)
if not uid then return 0 end
local ukey = p .. 'q:user:' .. uid
local n = redis.call('LREM', ukey, 0, job)
if n > 0 then redis.call('DECRBY', p .. 'q:waiting', n) end
if redis.call('LLEN', ukey) == 0 then redis.call('LREM', p .. 'q:ring', 0, uid) end
return n > 0 and 1 or 0
"""

# ARGV: prefix, job. Job i of a user runs in round i: every user before it in the ring gets
# up to i+1 turns first, every user after it up to i turns.
_POSITION = """
local p, job = ARGV[1], ARGV[2]
if redis.call('HGET', p .. 'q:where', job) ~= 'queued' then return false end
local uid = redis.call('HGET', p .. 'q:owner', job)
if not uid then return false end
local idx = redis.call('LPOS', p .. 'q:user:' .. uid, job)
if not idx then return false end
local ahead, seen = idx, false
for _, other in ipairs(redis.call('LRANGE', p .. 'q:ring', 0, -1)) do
  if other == uid then
    seen = true
  else
    local n = redis.call('LLEN', p .. 'q:user:' .. other)
    ahead = ahead + math.min(n, seen and idx or idx + 1)
  end
end
return ahead
"""

# ARGV: prefix, worker, bell_max. Re-checks liveness inside the script, so two reapers (or
# a worker heartbeating at the last moment) cannot both act on the same list.
_REAP = (
    _LUA_LIB
    + """
local p, worker = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'worker:' .. worker) == 1 then return false end
local proc = p .. 'q:processing:' .. worker
local jobs = redis.call('LRANGE', proc, 0, -1)
local back = {}
for i = #jobs, 1, -1 do
  local job = jobs[i]
  if redis.call('HGET', p .. 'q:where', job) == 'claimed:' .. worker then
    local uid = redis.call('HGET', p .. 'q:owner', job)
    if uid then
      push_waiting(p, job, uid, true)
      table.insert(back, 1, job)
    else
      redis.call('HDEL', p .. 'q:where', job)
    end
  end
end
redis.call('DEL', proc)
redis.call('SREM', p .. 'workers', worker)
redis.call('HDEL', p .. 'workers:last', worker)
if #back > 0 then ring_bell(p, ARGV[3]) end
return back
"""
)

# ARGV: prefix, worker, job, uid. Records again that `worker` holds `job` after Redis lost
# the claim (restarted empty); takes the job back out of the waiting lists if a reconcile
# already put it there, so it cannot be delivered twice. -1: another worker holds it.
_ADOPT = """
local p, worker, job, uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local mine = 'claimed:' .. worker
local where = redis.call('HGET', p .. 'q:where', job)
if where == mine then return 0 end
if where and where ~= 'queued' then return -1 end
if where == 'queued' then
  local owner = redis.call('HGET', p .. 'q:owner', job) or uid
  local ukey = p .. 'q:user:' .. owner
  local n = redis.call('LREM', ukey, 0, job)
  if n > 0 then redis.call('DECRBY', p .. 'q:waiting', n) end
  if redis.call('LLEN', ukey) == 0 then redis.call('LREM', p .. 'q:ring', 0, owner) end
end
redis.call('RPUSH', p .. 'q:processing:' .. worker, job)
redis.call('HSET', p .. 'q:where', job, mine)
redis.call('HSET', p .. 'q:owner', job, uid)
redis.call('SADD', p .. 'workers', worker)
return 1
"""


class QueueScripts:
    """The scripts registered on one client; each method returns its script's raw reply."""

    def __init__(self, redis, prefix: str):
        self.prefix = prefix
        self._enqueue = redis.register_script(_ENQUEUE)
        self._claim = redis.register_script(_CLAIM)
        self._ack = redis.register_script(_ACK)
        self._requeue = redis.register_script(_REQUEUE)
        self._remove = redis.register_script(_REMOVE)
        self._position = redis.register_script(_POSITION)
        self._reap = redis.register_script(_REAP)
        self._adopt = redis.register_script(_ADOPT)

    def enqueue(self, job_id: str, user_id: str | int, front: bool = False, client=None) -> Any:
        """1 when the job was added to its user's waiting list, 0 when already held.

        `client` may be a pipeline, to enqueue many jobs in one round trip.
        """
        args = [self.prefix, job_id, str(user_id), int(front), BELL_MAX]
        return self._enqueue(args=args, client=client)

    def claim(self, worker_id: str, lease_ms: int, lease_json: str) -> Any:
        """[job id, user id] of the next job in round-robin order, or None when none waits."""
        return self._claim(args=[self.prefix, worker_id, lease_ms, lease_json])

    def ack(self, worker_id: str, job_id: str) -> Any:
        """How many entries of the job left the worker's processing list (0 or 1)."""
        return self._ack(args=[self.prefix, worker_id, job_id])

    def requeue(self, worker_id: str, job_id: str, front: bool, fallback_uid: str) -> Any:
        """1 when the claimed job went back to its user's waiting list, else 0."""
        args = [self.prefix, worker_id, job_id, int(front), fallback_uid, BELL_MAX]
        return self._requeue(args=args)

    def remove(self, job_id: str) -> Any:
        """1 when a waiting job was taken out of the queue, else 0."""
        return self._remove(args=[self.prefix, job_id])

    def position(self, job_id: str) -> Any:
        """Jobs claimed before this waiting one, or None when it is not waiting."""
        return self._position(args=[self.prefix, job_id])

    def reap(self, worker_id: str) -> Any:
        """Job ids given back (at the front) for a dead worker; None while it is alive."""
        return self._reap(args=[self.prefix, worker_id, BELL_MAX])

    def adopt(self, worker_id: str, job_id: str, user_id: str | int) -> Any:
        """1 adopted, 0 already the worker's, -1 another worker holds the job."""
        return self._adopt(args=[self.prefix, worker_id, job_id, str(user_id)])
