"""JobQueue: per-user FIFO, round-robin fairness, idempotent enqueue, atomic claim, cancel."""

from __future__ import annotations

import threading

from studio_core.queue.job_queue import JobQueue
from studio_core.redis_client import connect_redis


def drain(queue: JobQueue, worker: str = "w1") -> list[str]:
    claimed = []
    while (got := queue.claim(worker, timeout=0)) is not None:
        claimed.append(got.job_id)
    return claimed


def test_fifo_per_user(queue):
    for i in range(5):
        queue.enqueue(f"j{i}", "u1")
    assert drain(queue) == [f"j{i}" for i in range(5)]
    assert queue.length() == 0


def test_claim_returns_job_and_user_and_records_processing(queue):
    queue.enqueue("j1", 7)
    claim = queue.claim("w1", timeout=0)
    assert claim == ("j1", "7")
    assert (claim.job_id, claim.user_id) == ("j1", "7")
    assert queue.processing("w1") == ["j1"]
    assert queue.location("j1") == "claimed:w1"
    assert queue.length() == 0


def test_round_robin_does_not_starve_a_single_job(queue):
    for i in range(50):
        queue.enqueue(f"a{i}", "alice")
    queue.enqueue("b0", "bob")
    first_two = [queue.claim("w1", timeout=0).job_id for _ in range(2)]
    assert "b0" in first_two
    assert first_two[0] == "a0"


def test_round_robin_interleaves_users(queue):
    for i in range(3):
        queue.enqueue(f"a{i}", "alice")
    for i in range(2):
        queue.enqueue(f"b{i}", "bob")
    queue.enqueue("c0", "carol")
    assert drain(queue) == ["a0", "b0", "c0", "a1", "b1", "a2"]
    assert queue.waiting_by_user() == {}


def test_enqueue_is_idempotent_while_waiting_or_claimed(queue):
    assert queue.enqueue("j1", "u1") is True
    assert queue.enqueue("j1", "u1") is False
    assert queue.length() == 1
    queue.claim("w1", timeout=0)
    assert queue.enqueue("j1", "u1") is False
    assert queue.length() == 0
    queue.ack("w1", "j1")
    assert queue.enqueue("j1", "u1") is True


def test_enqueue_front_jumps_the_users_line(queue):
    queue.enqueue("j1", "u1")
    queue.enqueue("j2", "u1", front=True)
    assert drain(queue) == ["j2", "j1"]


def test_ack_forgets_the_job(queue):
    queue.enqueue("j1", "u1")
    queue.claim("w1", timeout=0)
    assert queue.ack("w1", "j1") is True
    assert queue.processing("w1") == []
    assert queue.location("j1") is None
    assert queue.ack("w1", "j1") is False


def test_requeue_puts_job_back_at_front(queue):
    queue.enqueue("j1", "u1")
    queue.enqueue("j2", "u1")
    queue.claim("w1", timeout=0)
    assert queue.requeue("w1", "j1") is True
    assert queue.processing("w1") == []
    assert drain(queue, "w2") == ["j1", "j2"]


def test_requeue_by_a_stale_worker_does_nothing(queue):
    queue.enqueue("j1", "u1")
    queue.claim("w1", timeout=0)
    queue.requeue("w1", "j1")
    queue.claim("w2", timeout=0)
    assert queue.requeue("w1", "j1") is False
    assert queue.ack("w1", "j1") is False
    assert queue.location("j1") == "claimed:w2"


def test_requeue_uses_fallback_user_when_redis_lost_the_owner(queue):
    queue.redis.flushall()
    assert queue.requeue("w1", "j9", user_id="u3") is True
    assert queue.claim("w1", timeout=0) == ("j9", "u3")


def test_remove_cancels_a_waiting_job(queue):
    queue.enqueue("a0", "alice")
    queue.enqueue("a1", "alice")
    queue.enqueue("b0", "bob")
    assert queue.remove("a0") is True
    assert queue.remove("a0") is False
    assert queue.length() == 2
    assert drain(queue) == ["a1", "b0"]


def test_remove_last_job_of_a_user_drops_them_from_the_ring(queue):
    queue.enqueue("b0", "bob")
    queue.enqueue("a0", "alice")
    assert queue.remove("b0") is True
    assert queue.waiting_by_user() == {"alice": 1}
    assert drain(queue) == ["a0"]


def test_remove_does_not_touch_a_claimed_job(queue):
    queue.enqueue("j1", "u1")
    queue.claim("w1", timeout=0)
    assert queue.remove("j1") is False
    assert queue.processing("w1") == ["j1"]


def test_cancel_removes_and_flags(queue):
    queue.enqueue("j1", "u1")
    assert queue.cancel("j1") is True
    assert queue.is_cancel_requested("j1")
    assert queue.claim("w1", timeout=0) is None
    assert queue.cancel("j1") is False
    assert not queue.is_cancel_requested("other")


def test_position_is_fair_share_aware(queue):
    for i in range(4):
        queue.enqueue(f"a{i}", "alice")
    queue.enqueue("b0", "bob")
    queue.enqueue("c0", "carol")
    queue.enqueue("c1", "carol")
    # claim order: a0 b0 c0 a1 c1 a2 a3
    order = ["a0", "b0", "c0", "a1", "c1", "a2", "a3"]
    assert [queue.position(j) for j in order] == list(range(7))
    assert queue.position("missing") is None
    assert drain(queue) == order


def test_length_and_waiting_by_user(queue):
    for i in range(3):
        queue.enqueue(f"a{i}", "alice")
    queue.enqueue("b0", "bob")
    assert queue.length() == 4
    assert queue.waiting_by_user() == {"alice": 3, "bob": 1}


def test_claim_waits_for_an_enqueue_without_polling(queue, redis_url):
    other = JobQueue(connect_redis(redis_url))
    timer = threading.Timer(0.2, lambda: other.enqueue("late", "u1"))
    timer.start()
    try:
        assert queue.claim("w1", timeout=3).job_id == "late"
    finally:
        timer.join()
        other.redis.close()


def test_claim_times_out_when_empty(queue):
    assert queue.claim("w1", timeout=0.2) is None


def test_concurrent_claims_take_each_job_exactly_once(redis_url):
    setup = JobQueue(connect_redis(redis_url))
    for i in range(200):
        setup.enqueue(f"j{i}", f"u{i % 7}")
    results: list[list[str]] = [[] for _ in range(6)]

    def run(n: int) -> None:
        client = connect_redis(redis_url)
        q = JobQueue(client)
        while (got := q.claim(f"w{n}", timeout=0.1)) is not None:
            results[n].append(got.job_id)
        client.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    claimed = [j for r in results for j in r]
    assert sorted(claimed) == sorted(f"j{i}" for i in range(200))
    assert len(set(claimed)) == 200
    assert sum(len(setup.processing(f"w{n}")) for n in range(6)) == 200
    assert setup.length() == 0
    setup.redis.close()


def test_prefix_isolates_queues(redis_client):
    a, b = JobQueue(redis_client, prefix="a:"), JobQueue(redis_client, prefix="b:")
    a.enqueue("j1", "u1")
    assert b.claim("w1", timeout=0) is None
    assert a.claim("w1", timeout=0).job_id == "j1"
    assert all(k.startswith("a:") for k in redis_client.keys("*"))


def test_adopt_records_a_lost_claim_and_takes_it_back_from_the_waiting_list(redis_client):
    """After Redis restarted empty, a worker re-records its job even if a reconcile came first."""
    q = JobQueue(redis_client)
    assert q.adopt("w1", "job-a", "7")
    assert q.location("job-a") == "claimed:w1" and q.processing("w1") == ["job-a"]
    assert q.adopt("w1", "job-a", "7")  # idempotent
    # Another worker's reconcile put job-b back in the queue before w1 adopted it.
    q.reconcile([("job-b", "7")])
    assert q.length() == 1
    assert q.adopt("w1", "job-b", "7")
    assert q.length() == 0 and q.location("job-b") == "claimed:w1"
    assert q.claim("w2", timeout=0.1) is None  # never delivered twice
    # A job another worker holds is not stolen.
    q.enqueue("job-c", "8")
    assert q.claim("w2", timeout=0.1).job_id == "job-c"
    assert not q.adopt("w1", "job-c", "8")
    assert q.location("job-c") == "claimed:w2"


def test_epoch_age(redis_client):
    q = JobQueue(redis_client)
    assert q.epoch_age() is None
    assert q.ensure_epoch()
    assert 0 <= q.epoch_age() < 5
