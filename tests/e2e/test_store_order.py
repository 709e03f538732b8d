"""The SPA's job store keeps the newest snapshot of each job by `seq`, whatever the arrival order."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# Replays snapshots into the page's own store module and returns what it holds after each.
REPLAY = """async (updates) => {
  const store = await import('/js/lib/store.js');
  return updates.map((update) => {
    store.upsertJob(update);
    const job = store.getJob(update.job_id);
    return {status: job.status, seq: job.seq, progress: job.progress};
  });
}"""


def _job(job_id: str, seq: int, status: str, progress: int = 0) -> dict:
    return {"job_id": job_id, "seq": seq, "status": status, "progress": progress}


def test_store_keeps_the_highest_seq_and_terminal_states(open_app):
    page = open_app("#/dashboard")
    held = page.evaluate(
        REPLAY,
        [
            _job("o1", 5, "processing", 40),
            _job("o1", 3, "queued"),  # a slow resync reply: older, dropped
            _job("o1", 5, "queued"),  # same version: keep what we have
            _job("o1", 6, "processing", 55),
            _job("o1", 9, "finished", 100),
            _job("o1", 12, "processing", 60),  # a late progress event after the end
            _job("o1", 12, "finished", 100),  # a newer answer about the finished job
        ],
    )
    assert [(h["status"], h["seq"]) for h in held] == [
        ("processing", 5),
        ("processing", 5),
        ("processing", 5),
        ("processing", 6),
        ("finished", 9),
        ("finished", 9),
        ("finished", 12),
    ]
    assert held[3]["progress"] == 55


def test_a_terminal_state_wins_over_a_newer_active_one(open_app):
    page = open_app("#/dashboard")
    held = page.evaluate(
        REPLAY,
        [
            _job("o2", 8, "processing", 70),
            _job("o2", 4, "cancelled"),  # the page's own cancel, made from an older snapshot
            _job("o2", 10, "processing", 80),  # the worker's last progress, sent after it
            _job("o2", 2, "queued"),
            _job("o3", 0, "queued"),  # a job the page did not know: taken whatever its seq
        ],
    )
    assert [(h["status"], h["seq"]) for h in held] == [
        ("processing", 8),
        ("cancelled", 4),
        ("cancelled", 4),
        ("cancelled", 4),
        ("queued", 0),
    ]
