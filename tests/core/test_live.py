"""LiveState: per-job hash with TTL, batch reads, active counters, preview frames."""

from __future__ import annotations

import time
from datetime import datetime

from studio_core.live import LiveState


def test_update_and_get_types_fields(live):
    live.update(
        "j1",
        status="processing",
        progress=42,
        current_node="3",
        step_value=5,
        step_max=20,
        worker="w1",
    )
    state = live.get("j1")
    assert state["status"] == "processing"
    assert state["progress"] == 42
    assert (state["step_value"], state["step_max"]) == (5, 20)
    assert state["current_node"] == "3"
    assert state["worker"] == "w1"
    assert datetime.fromisoformat(state["updated_at"]).tzinfo is not None
    assert live.get("missing") is None


def test_none_deletes_a_field(live):
    live.update("j1", status="queued", queue_position=3)
    live.update("j1", status="processing", queue_position=None)
    assert "queue_position" not in live.get("j1")


def test_ttl_is_refreshed_on_every_write(live):
    live.update("j1", status="queued")
    live.redis.expire("studio:job:j1", 10)
    live.update("j1", progress=1)
    assert live.redis.ttl("studio:job:j1") > 24 * 3600 - 10


def test_get_many_uses_one_round_trip_and_skips_missing(live):
    live.update("j1", status="queued", queue_position=0)
    live.update("j2", status="processing", progress=10)
    found = live.get_many(["j1", "j2", "nope"])
    assert set(found) == {"j1", "j2"}
    assert found["j1"]["queue_position"] == 0
    assert found["j2"]["progress"] == 10
    assert live.get_many([]) == {}


def test_counts_follow_status_changes(live):
    live.update("j1", status="queued")
    live.update("j2", status="queued")
    live.update("j3", status="processing")
    assert live.counts() == {"queued": 2, "processing": 1}
    live.update("j1", status="processing")
    live.update("j1", progress=50)  # no status: stays counted as processing
    live.update("j3", status="finished")
    assert live.counts() == {"queued": 1, "processing": 1}
    assert live.active_ids("processing") == ["j1"]
    live.delete("j2")
    assert live.counts() == {"queued": 0, "processing": 1}
    assert live.get("j2") is None


def test_counts_prune_entries_older_than_the_ttl(redis_client):
    live = LiveState(redis_client, ttl=1)
    live.update("j1", status="processing")
    assert live.counts()["processing"] == 1
    time.sleep(1.2)
    assert live.get("j1") is None
    assert live.counts()["processing"] == 0


def test_preview_frames_are_bytes_with_a_short_ttl(live):
    frame = bytes(range(256)) + b"\xff\xd8\xff"
    live.set_preview("j1", frame, ttl=5)
    assert live.get_preview("j1") == frame
    assert 0 < live.redis.ttl("studio:job:j1:preview") <= 5
    assert live.get_preview("j2") is None
    assert live.has_preview("j1") and not live.has_preview("j2")
    assert live.with_preview(["j1", "j2"]) == {"j1"} and live.with_preview([]) == set()


def test_every_update_returns_a_higher_seq(live):
    seqs = [
        live.update("j1", status="queued", progress=0),
        live.update("j1", status="processing"),
        live.update("j1", progress=10),
        live.update("j1"),  # no fields: only the version moves
    ]
    assert seqs == sorted(set(seqs)), seqs
    assert live.get("j1")["seq"] == seqs[-1]
    assert live.update("j2", status="queued") > 0  # versions are per job


def test_seq_keeps_growing_after_the_state_was_lost(live):
    before = live.update("j1", status="processing", progress=50)
    live.delete("j1")  # as after the TTL ran out or Redis came back empty
    time.sleep(0.005)  # versions are Redis milliseconds at least: a loss takes longer than 1 ms
    assert live.update("j1", status="finished") > before


def test_seq_floor_orders_writes(live):
    before = live.update("j1", status="queued")
    floor = live.seq_floor()
    after = live.update("j1", status="processing")
    assert before <= floor <= after


def test_update_is_one_round_trip(live):
    live.update("j1", status="queued")  # loads the script once
    sent = []
    original = live.redis.execute_command

    def counting(*args, **kwargs):
        sent.append(args[0])
        return original(*args, **kwargs)

    live.redis.execute_command = counting
    live.update("j1", status="processing", queue_position=None, progress=5)
    assert sent == ["EVALSHA"]
