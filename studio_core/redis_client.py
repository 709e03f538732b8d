"""The one Redis client factory of the backend and the worker: `connect_redis(url, ...)`.

Every client decodes replies to `str`: job ids, user ids, JSON records and counters are all
text, so no caller converts bytes. The one binary value, a job's preview frame, is read
without decoding by `studio_core.live.LiveState.get_preview`.
"""

from __future__ import annotations

import redis as redis_lib

SOCKET_TIMEOUT_S = 5.0  # a hung Redis fails a call fast (the backend answers 503)
CONNECT_TIMEOUT_S = 2.0
HEALTH_CHECK_S = 30  # ping a connection idle this long before reusing it
ASYNC_POOL_SIZE = 32  # connections of one asyncio client (the pub/sub one included)


def connect_redis(
    url: str,
    *,
    socket_timeout: float = SOCKET_TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> redis_lib.Redis:
    """A decoding client with bounded waits, so an outage fails fast instead of hanging."""
    return redis_lib.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        health_check_interval=HEALTH_CHECK_S,
    )


def connect_redis_async(
    url: str,
    *,
    socket_timeout: float = SOCKET_TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
    max_connections: int = ASYNC_POOL_SIZE,
):
    """The same client for asyncio code (the backend's event streams).

    Its pool blocks (up to `socket_timeout`) rather than failing when all `max_connections`
    are busy, so a burst of 1,000 streams opening at once queues for a few connections
    instead of opening 1,000. No retries: a lost pub/sub connection must be seen (its
    streams end and their clients re-read state), not silently re-made with the events of
    the gap missing.
    """
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=socket_timeout,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        health_check_interval=HEALTH_CHECK_S,
        retry=Retry(NoBackoff(), 0),
    )
    return Redis.from_pool(pool)  # closing the client closes its pool
