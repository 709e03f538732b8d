"""The per-user cap on open event streams, shared by every backend process through Redis.

One sorted set per user (`streams:user:<id>`): a member per open stream, scored by the time
its lease runs out. A stream refreshes its lease with every ping; a process that dies without
releasing leaves members that stop counting once their lease has run out, so a crash cannot
leak a user's slots for longer than one lease. The scripts read Redis's own clock, so
processes on machines whose clocks disagree still agree on expiry.

The methods return what the client's script call returns: a value with a redis-py client, an
awaitable with a `redis.asyncio` one (the native stream, backend.sse).
"""

from __future__ import annotations

# KEYS[1] the user's set; ARGV: cap, lease ms, stream id. 1 when the stream may open.
_ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
# KEYS[1] the user's set; ARGV: lease ms, stream id. Extends this stream's lease.
_REFRESH = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return 1
"""


class StreamLeases:
    """Acquire, refresh and release one stream's slot among its user's `cap`."""

    def __init__(self, redis, cap: int, lease_s: float, prefix: str = "studio:"):
        self.redis = redis
        self.cap = cap
        self.lease_ms = max(1, int(lease_s * 1000))
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._refresh = redis.register_script(_REFRESH)

    def key(self, user_id: int | str) -> str:
        """The sorted set of one user's open streams."""
        return f"{self.prefix}streams:user:{user_id}"

    def acquire(self, user_id: int | str, stream_id: str):
        """1 (truthy) when the stream got a slot, 0 when the user already has `cap` open."""
        return self._acquire(keys=[self.key(user_id)], args=[self.cap, self.lease_ms, stream_id])

    def refresh(self, user_id: int | str, stream_id: str):
        """Extend the stream's lease by another `lease_s` from now."""
        return self._refresh(keys=[self.key(user_id)], args=[self.lease_ms, stream_id])

    def release(self, user_id: int | str, stream_id: str):
        """Give the slot back (the stream ended)."""
        return self.redis.zrem(self.key(user_id), stream_id)


def lease_seconds(ping_s: float) -> float:
    """A lease outlives two missed pings, so one slow ping never frees a live stream's slot."""
    return 3 * ping_s + 1
