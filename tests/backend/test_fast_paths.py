"""The hot paths stay cheap (SPEC 9) without changing what they answer.

generate answers from what it inserted, status reads the job in two queries, the rate
limiter costs one Redis round trip, the engine registry is read at most every few seconds.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis.connection
import sqlalchemy as sa

from tests.backend.helpers import (
    finish_job,
    png_bytes,
    publish_engine,
    services,
    submit,
    token_client,
)

SKETCH_JOB = {
    "workflow": "sketch_to_image",
    "prompt": "a house",
    "images": {"sketch": "data:image/png;base64," + base64.b64encode(png_bytes()).decode()},
}


@contextmanager
def counting(app, monkeypatch) -> Iterator[dict[str, int]]:
    """Count SQL statements of the app's database and Redis round trips of every client."""
    counts = {"sql": 0, "redis": 0}
    send = redis.connection.AbstractConnection.send_packed_command

    def counted_send(self, *args, **kwargs):
        counts["redis"] += 1  # one send per command or per whole pipeline
        return send(self, *args, **kwargs)

    def on_sql(*_args):
        counts["sql"] += 1

    db = services(app).db
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted_send)
    sa.event.listen(db, "before_cursor_execute", on_sql)
    try:
        yield counts
    finally:
        sa.event.remove(db, "before_cursor_execute", on_sql)


@pytest.mark.usefixtures("db_engine")
@pytest.mark.parametrize("body", [None, SKETCH_JOB], ids=["text", "with-input"])
def test_the_202_job_is_the_stored_job(db_app, body):
    client = token_client(db_app)
    submit(client)  # a job ahead, so the queue position is not trivially 1
    resp = submit(client, body)
    assert resp.status_code == 202, resp.get_json()
    answered = resp.get_json()["job"]
    stored = client.get(f"/api/jobs/{answered['job_id']}").get_json()
    assert answered == stored
    assert answered["queue_position"] == 2


def test_status_reads_the_job_in_two_queries_and_few_round_trips(client, app, monkeypatch):
    job_id = submit(client, SKETCH_JOB).get_json()["job_id"]
    client.get(f"/api/status/{job_id}")  # warm pools and script caches
    with counting(app, monkeypatch) as counts:
        status = client.get(f"/api/status/{job_id}")
    assert status.status_code == 200 and status.get_json()["queue_position"] == 1
    # Twice SQLite's explicit BEGIN + the caller's token (one indexed read) + the job row +
    # its inputs and outputs; no liveness ping, no write (the token's use was just recorded).
    assert counts["sql"] == 5
    # The limiter's hit, the live state, the queue position.
    assert counts["redis"] == 3


def test_finished_job_lists_inputs_and_outputs_from_one_query(client, app):
    job_id = submit(client, SKETCH_JOB).get_json()["job_id"]
    finish_job(app, job_id, images=3)
    job = client.get(f"/api/status/{job_id}").get_json()
    stored = services(app).repo.get(job_id)
    by_idx = sorted(stored["outputs"], key=lambda o: o["idx"])
    assert [o["idx"] for o in stored["outputs"]] == [0, 1, 2]
    assert job["images"] == [f"/outputs/{o['filename']}" for o in by_idx]
    assert [i["slot"] for i in stored["inputs"]] == ["sketch"]
    assert job["inputs"]["sketch"]["upload_id"] == stored["inputs"][0]["upload_id"]


def test_rate_limit_costs_one_round_trip_and_429_says_when(make_app, monkeypatch):
    app = make_app(RATE_LIMIT_READS="2/minute")
    client = token_client(app)
    client.get("/api/jobs")  # connects and loads the limiter's script
    with counting(app, monkeypatch) as counts:
        resp = client.get("/api/jobs")
    assert resp.status_code == 200 and "X-RateLimit-Remaining" not in resp.headers
    # The limiter's hit and the live clock read before the rows (the seq floor, docs/API.md).
    assert counts["redis"] == 2
    limited = client.get("/api/jobs")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_engine_registry_is_read_at_most_once_per_cache_period(make_app, monkeypatch):
    app = make_app(ENGINES_CACHE_S=60)
    client = token_client(app)
    reads = []
    registry = services(app).engines
    original = registry.online
    monkeypatch.setattr(registry, "online", lambda: reads.append(1) or original())
    services(app).online_engines.compute = registry.online
    for _ in range(3):
        assert submit(client).status_code == 202
    assert len(reads) == 1


def test_fresh_engine_registry_when_caching_is_off(make_app):
    app = make_app(ENGINES_CACHE_S=0)
    client = token_client(app)
    body = {"workflow": "text_to_image", "prompt": "x", "model": "other_z_image.safetensors"}
    publish_engine(app)
    assert submit(client, body).status_code == 400  # not installed on any engine
    publish_engine(app, models={"diffusion_models": ["other_z_image.safetensors"]})
    assert submit(client, body).status_code == 202
