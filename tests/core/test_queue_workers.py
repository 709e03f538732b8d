"""JobQueue workers side: heartbeats, reaping lapsed workers, reconcile after an empty Redis."""

from __future__ import annotations

import threading
import time

import pytest
import redis as redis_lib

from studio_core.queue.job_queue import JobQueue
from studio_core.redis_client import connect_redis


def lapse(queue: JobQueue, worker_id: str) -> None:
    """Make a worker's heartbeat disappear as if its TTL ran out."""
    queue.redis.delete(f"studio:worker:{worker_id}")


def test_heartbeat_lists_workers_online_and_offline(queue):
    queue.heartbeat("w1", {"backend": "http://gpu1:8188", "in_flight": ["j1"], "version": "1"})
    queue.heartbeat("w2", {"backend": "http://gpu2:8188"}, ttl=30)
    lapse(queue, "w2")
    listing = {w["id"]: w for w in queue.workers()}
    assert listing["w1"]["online"] is True
    assert listing["w1"]["backend"] == "http://gpu1:8188"
    assert listing["w1"]["in_flight"] == ["j1"]
    assert listing["w1"]["last_seen"] == pytest.approx(time.time(), abs=5)
    assert listing["w2"]["online"] is False
    assert listing["w2"]["backend"] == "http://gpu2:8188"


def test_reap_after_lapsed_heartbeat_puts_jobs_back_at_the_front(queue):
    for i in range(3):
        queue.enqueue(f"a{i}", "alice")
    queue.heartbeat("w1", {}, ttl=1)
    assert queue.claim("w1", timeout=0).job_id == "a0"
    assert queue.claim("w1", timeout=0).job_id == "a1"
    assert queue.reap() == []  # still alive
    time.sleep(1.1)
    assert queue.reap() == ["a0", "a1"]
    assert queue.processing("w1") == []
    assert queue.workers() == []
    assert [queue.claim("w2", timeout=0).job_id for _ in range(3)] == ["a0", "a1", "a2"]


def test_reaped_user_goes_to_the_head_of_the_ring(queue):
    queue.enqueue("a0", "alice")
    queue.claim("w1", timeout=0)
    queue.enqueue("b0", "bob")
    lapse(queue, "w1")
    assert queue.reap() == ["a0"]
    assert queue.claim("w2", timeout=0).job_id == "a0"


def test_claim_without_heartbeat_gets_a_lease(queue):
    queue.enqueue("j1", "u1")
    queue.claim("w1", timeout=0, lease=30)
    assert queue.reap() == []
    assert [w["id"] for w in queue.workers() if w["online"]] == ["w1"]


def test_ack_after_being_reaped_does_not_disturb_the_new_claim(queue):
    queue.enqueue("j1", "u1")
    queue.claim("w1", timeout=0)
    lapse(queue, "w1")
    queue.reap()
    queue.claim("w2", timeout=0)
    assert queue.ack("w1", "j1") is False
    assert queue.location("j1") == "claimed:w2"


def test_two_reapers_at_once_requeue_each_job_once(redis_url):
    setup = JobQueue(connect_redis(redis_url))
    for i in range(40):
        setup.enqueue(f"j{i}", f"u{i % 3}")
    for n in range(4):
        for _ in range(10):
            setup.claim(f"w{n}", timeout=0, lease=30)
        lapse(setup, f"w{n}")
    results: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def reap(n: int) -> None:
        client = connect_redis(redis_url)
        barrier.wait()
        results[n] = JobQueue(client).reap()
        client.close()

    threads = [threading.Thread(target=reap, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    requeued = results[0] + results[1]
    assert sorted(requeued) == sorted(f"j{i}" for i in range(40))
    assert setup.length() == 40
    assert sum(setup.waiting_by_user().values()) == 40
    setup.redis.close()


def test_retire_gives_jobs_back_immediately(queue):
    queue.enqueue("j1", "u1")
    queue.heartbeat("w1", {}, ttl=30)
    queue.claim("w1", timeout=0)
    assert queue.retire("w1") == ["j1"]
    assert queue.location("j1") == "queued"
    assert queue.workers() == []


def test_epoch_marks_an_empty_redis(queue):
    assert queue.epoch() is None
    assert queue.ensure_epoch() is True
    marker = queue.epoch()
    assert marker
    assert queue.ensure_epoch() is False
    assert queue.epoch() == marker
    queue.redis.flushall()
    assert queue.ensure_epoch() is True


def test_reconcile_after_flushall_brings_every_active_job_back_once(queue):
    active = [(f"j{i}", f"u{i % 4}") for i in range(20)]
    for job_id, user_id in active[:12]:
        queue.enqueue(job_id, user_id)
    queue.claim("w1", timeout=0)
    queue.redis.flushall()
    assert queue.ensure_epoch() is True
    assert queue.reconcile(active) == 20
    assert queue.reconcile(active) == 0
    assert queue.length() == 20
    claimed = []
    while (got := queue.claim("w2", timeout=0)) is not None:
        claimed.append(got.job_id)
    assert sorted(claimed) == sorted(j for j, _ in active)


def test_reconcile_skips_jobs_still_waiting_or_claimed(queue):
    queue.enqueue("j1", "u1")
    queue.enqueue("j2", "u1")
    queue.claim("w1", timeout=0)
    assert queue.reconcile([("j1", "u1"), ("j2", "u1"), ("j3", "u2")]) == 1
    assert queue.length() == 2
    assert queue.reconcile([]) == 0


def test_request_cancel_publishes_on_the_cancel_channel(queue, redis_url):
    listener = redis_lib.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(queue.cancel_channel)
    listener.get_message(timeout=1)  # the subscribe confirmation
    queue.request_cancel("j1", ttl=5)
    message = listener.get_message(timeout=2)
    listener.close()
    assert message is not None and message["data"] == b"j1"
    assert queue.is_cancel_requested("j1")
    assert 0 < queue.redis.pttl("studio:cancel:j1") <= 5000
