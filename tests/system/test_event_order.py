"""Job versions (`seq`) on a live studio: events and answers can be ordered by them."""

from __future__ import annotations

import time
import uuid

import requests

from tests.system.helpers import TERMINAL, SseReader, cancel, get


def _poll(studio, job_id: str, timeout: float = 30) -> list[dict]:
    """Every /api/status snapshot of a job until it ended."""
    snaps: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snaps.append(studio.status(job_id))
        if snaps[-1]["status"] in TERMINAL:
            return snaps
        time.sleep(0.03)
    raise AssertionError(f"job {job_id} still {snaps[-1]['status']}")


def test_events_and_status_carry_increasing_seqs(studio):
    sse = SseReader(studio).start()
    body = studio.generate(prompt=f"order {uuid.uuid4().hex[:6]}", params={"steps": 6})
    job_id = body["job_id"]
    sse.expect([job_id])
    snaps = _poll(studio, job_id)
    sse.wait(30)
    events = sse.of(job_id)

    assert body["job"]["seq"] > 0
    seqs = [e["seq"] for e in events]
    assert len(set(seqs)) == len(seqs), f"two events share a version: {seqs}"
    # The worker's events (everything after the submit's queued one) arrive in version order,
    # and the terminal one is the newest of all.
    worker = [e["seq"] for e in events if e["status"] != "queued"]
    assert worker == sorted(worker) and len(worker) >= 3, events
    assert events[-1]["status"] == "finished" and events[-1]["seq"] == max(seqs)
    progress = [e["progress"] for e in sorted(events, key=lambda e: e["seq"])]
    assert progress == sorted(progress), f"newest-by-seq order moved backwards: {progress}"

    polled = [s["seq"] for s in snaps]
    assert polled == sorted(polled), f"/api/status went back in version: {polled}"
    # The finished row commits a moment before the worker publishes its finished event: a poll
    # in between shows the finished row under the previous version, never a newer one. Once
    # the event is out, /api/status answers with exactly that version.
    assert snaps[-1]["seq"] <= events[-1]["seq"]
    assert studio.status(job_id)["seq"] == events[-1]["seq"]
    listed = get(studio, "/api/jobs", limit=5).json()["jobs"]
    assert next(j for j in listed if j["job_id"] == job_id)["seq"] == events[-1]["seq"]


def test_cancel_and_favorite_publish_newer_versions(studio):
    sse = SseReader(studio).start()
    job_id = studio.generate(prompt="order cancel", params={"steps": 30})["job_id"]
    sse.expect([job_id])
    assert cancel(studio, job_id).status_code == 200
    sse.wait(30)
    cancelled = sse.of(job_id)[-1]
    assert cancelled["status"] == "cancelled"
    assert studio.status(job_id)["seq"] >= cancelled["seq"]

    resp = requests.post(
        f"{studio.url}/api/jobs/{job_id}/favorite",
        json={"favorite": True},
        timeout=10,
        headers=studio.headers,
    )
    assert resp.status_code == 200 and resp.json()["favorite"] is True
    assert resp.json()["seq"] > cancelled["seq"]  # so a page that holds the job takes it
