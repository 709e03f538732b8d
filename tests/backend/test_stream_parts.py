"""The parts of the native event stream: the client address rule, stream leases in real
Redis, and the hub's fan-out (a slow listener is closed, never grown)."""

from __future__ import annotations

import asyncio
import time

from backend.api.events import job_frame
from backend.streams.hub import CLOSED, EventHub, Listener
from backend.streams.leases import StreamLeases, lease_seconds
from studio_core.events import EventBus
from studio_core.redis_client import connect_redis_async


def test_leases_cap_refresh_release_and_expire(redis_client):
    leases = StreamLeases(redis_client, cap=2, lease_s=0.3)
    assert leases.acquire(7, "a") and leases.acquire(7, "b")
    assert not leases.acquire(7, "c")
    assert leases.acquire(8, "x")  # another user has slots of their own
    leases.release(7, "a")
    assert leases.acquire(7, "c")
    time.sleep(0.2)
    leases.refresh([(7, "c"), (8, "x")])  # "b" is not refreshed: it runs out first
    time.sleep(0.2)
    assert leases.acquire(7, "d")  # b expired, c is alive
    assert not leases.acquire(7, "e")
    assert redis_client.zscore(leases.key(8), "x")  # refreshed with c, in the same call
    assert redis_client.pttl(leases.key(7)) > 0  # the set itself expires when all do


def test_lease_outlives_two_missed_pings():
    assert lease_seconds(15) > 2 * 15


def test_a_full_listener_is_closed_not_grown():
    async def run():
        listener = Listener("c", size=3)
        for n in range(10):
            listener.offer(b"%d" % n)
        frames = []
        while (frame := await listener.queue.get()) is not CLOSED:
            frames.append(frame)
        return listener, frames

    listener, frames = asyncio.run(run())
    assert listener.overflowed and listener.closed
    assert frames == [b"0", b"1", b"2"]


def test_hub_fans_one_subscription_out_and_drops_a_slow_listener(redis_url, redis_client):
    bus = EventBus(redis_client)

    async def run():
        redis = connect_redis_async(redis_url)
        hub = EventHub(redis, job_frame)
        fast = await hub.listen(bus.user_channel(1))
        slow = await hub.listen(bus.user_channel(1))
        other = await hub.listen(bus.user_channel(2))
        subscribers = await redis.pubsub_numsub(bus.user_channel(1))
        for n in range(300):  # more than a queue holds; `fast` is drained as it goes
            await asyncio.to_thread(bus.publish_job, 1, {"job_id": f"j{n}"})
            while not fast.queue.empty():
                frame = fast.queue.get_nowait()
                assert frame is not CLOSED
        await hub.aclose()
        await redis.aclose()
        return fast, slow, other, subscribers

    fast, slow, other, subscribers = asyncio.run(run())
    assert subscribers == [(bus.user_channel(1), 1)]  # one Redis subscription, two streams
    assert slow.overflowed and not fast.overflowed
    assert other.queue.qsize() == 1 and other.queue.get_nowait() is CLOSED  # not user 2's jobs
