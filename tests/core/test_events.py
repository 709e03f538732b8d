"""EventBus: per-user and all-events channels, subscriptions with idle timeouts."""

from __future__ import annotations

import threading
import time

import pytest


def test_user_receives_own_job_events_only(bus):
    with bus.subscribe(7, timeout=0.5) as sub:
        bus.publish_job(8, {"job_id": "other"})
        assert bus.publish_job(7, {"job_id": "j1", "status": "queued"}) == 1
        assert sub.get() == {"type": "job", "job": {"job_id": "j1", "status": "queued"}}
        assert sub.get(timeout=0.1) is None


def test_admin_receives_every_event(bus):
    with bus.subscribe(admin=True, timeout=0.5) as sub:
        bus.publish_job(1, {"job_id": "a"})
        bus.publish(2, {"type": "worker", "id": "w1"})
        assert sub.get() == {"type": "job", "job": {"job_id": "a"}}
        assert sub.get() == {"type": "worker", "id": "w1"}


def test_iteration_yields_none_when_idle_then_events(bus):
    sub = bus.subscribe("u1", timeout=0.1)
    timer = threading.Timer(0.25, lambda: bus.publish_job("u1", {"job_id": "j1"}))
    timer.start()
    seen = []
    started = time.monotonic()
    for event in sub:
        seen.append(event)
        if event is not None:
            break
    timer.join()
    sub.close()
    assert seen[0] is None
    assert seen[-1] == {"type": "job", "job": {"job_id": "j1"}}
    assert time.monotonic() - started < 2


def test_closing_the_generator_unsubscribes(bus, redis_client):
    sub = bus.subscribe("u1", timeout=0.05)
    events = iter(sub)
    assert next(events) is None
    assert redis_client.pubsub_numsub(bus.user_channel("u1"))[0][1] == 1
    events.close()
    sub.close()  # idempotent
    assert redis_client.pubsub_numsub(bus.user_channel("u1"))[0][1] == 0


def test_malformed_payload_is_skipped(bus, redis_client):
    with bus.subscribe("u1", timeout=0.3) as sub:
        redis_client.publish(bus.user_channel("u1"), b"not json")
        bus.publish_job("u1", {"job_id": "j1"})
        assert sub.get() == {"type": "job", "job": {"job_id": "j1"}}


def test_subscribe_needs_a_user_or_admin(bus):
    with pytest.raises(ValueError):
        bus.subscribe()
