"""The per-user cap on open event streams, shared by every backend process through Redis.

One sorted set per user (`streams:user:<id>`): a member per open stream, scored by the time
its lease runs out. A process refreshes the leases of all its streams with every ping; a process that dies without
releasing leaves members that stop counting once their lease has run out, so a crash cannot
leak a user's slots for longer than one lease. The scripts read Redis's own clock, so
processes on machines whose clocks disagree still agree on expiry.

The methods return what the client's script call returns: a value with a redis-py client, an
awaitable with a `redis.asyncio` one (the native stream, backend.streams.sse).
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
# KEYS: each stream's user set; ARGV: lease ms, then each stream's id. Extends their leases.
_REFRESH = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[i + 1])
  if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
end
return #KEYS
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

    def refresh(self, streams: list[tuple[int | str, str]]):
        """Extend the leases of (user id, stream id) pairs by another `lease_s` from now, in
        one round trip (a process refreshes all of its streams at once)."""
        keys = [self.key(user_id) for user_id, _ in streams]
        return self._refresh(keys=keys, args=[self.lease_ms, *(sid for _, sid in streams)])

    def release(self, user_id: int | str, stream_id: str):
        """Give the slot back (the stream ended)."""
        return self.redis.zrem(self.key(user_id), stream_id)


def lease_seconds(ping_s: float) -> float:
    """A lease outlives two missed pings, so one slow ping never frees a live stream's slot."""
    return 3 * ping_s + 1
