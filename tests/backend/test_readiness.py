"""Readiness and health tell the truth: a hung or locked database, a full disk, a dead engine.

/readyz means "a write would succeed now", so it probes a write transaction with bounded
waits; /health asks the engines themselves instead of the registry workers refresh.
"""

from __future__ import annotations

import io
import sqlite3
import time

import pytest
import sqlalchemy as sa

from studio_core.db.tables import jobs
from studio_ops.processes import free_port, start_simulator
from tests.backend.helpers import png_bytes, publish_engine, services, submit, token_client
from tests.helpers import fill_volume

DEAD_ENGINE = f"http://127.0.0.1:{free_port()}"


def _timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_readiness_reports_database_redis_and_storage(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "components": {"database": "ok", "redis": "ok", "storage": "ok"},
    }


@pytest.mark.slow
def test_frozen_mariadb_makes_readyz_503_within_the_timeout_then_recovers(
    make_app, private_mariadb
):
    app = make_app(DATABASE_URL=private_mariadb.url, DB_TIMEOUT_S=2)
    client = token_client(app)
    assert client.get("/readyz").status_code == 200  # the pool now holds a connection
    private_mariadb.freeze()
    try:
        response, took = _timed_get(client, "/readyz")
        assert response.status_code == 503, response.get_json()
        assert response.get_json()["components"]["database"] == "down"
        # One driver timeout, not a pre-ping timeout followed by a reconnect timeout.
        assert took < 2 + 1.5, took
        jobs, took = _timed_get(client, "/api/jobs")
        assert jobs.status_code == 503 and took < 2 + 1.5, took
        assert jobs.get_json()["error"]["code"] == "database_unavailable"
    finally:
        private_mariadb.thaw()
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/jobs").status_code == 200


@pytest.mark.slow
def test_mariadb_table_locked_against_writes_makes_readyz_503(make_app, private_mariadb):
    app = make_app(DATABASE_URL=private_mariadb.url, DB_TIMEOUT_S=2)
    client = token_client(app)
    blocker = private_mariadb.connect(timeout=10, database=private_mariadb.database)
    try:
        blocker.cursor().execute("LOCK TABLES users WRITE")
        response, took = _timed_get(client, "/readyz")
        assert response.status_code == 503 and took < 2 + 1.5, took
        assert response.get_json()["components"]["database"] == "down"
    finally:
        blocker.close()  # releases the table lock
    assert client.get("/readyz").status_code == 200


@pytest.mark.slow
def test_mariadb_killed_then_restarted_readyz_follows(make_app, private_mariadb):
    app = make_app(DATABASE_URL=private_mariadb.url, DB_TIMEOUT_S=2)
    client = token_client(app)
    assert client.get("/readyz").status_code == 200
    private_mariadb.stop(kill=True)
    response, took = _timed_get(client, "/readyz")
    assert response.status_code == 503 and took < 2 + 1.5, took
    private_mariadb.start()  # same port and datadir: the migrated schema is still there
    assert client.get("/readyz").status_code == 200


def test_sqlite_write_lock_held_makes_readyz_503_in_seconds(app, client, tmp_path):
    assert client.get("/readyz").status_code == 200
    holder = sqlite3.connect(tmp_path / "studio.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # what a stuck writer holds; reads still work
        response, took = _timed_get(client, "/readyz")
        assert response.status_code == 503, response.get_json()
        assert response.get_json()["components"]["database"] == "down"
        assert took < 5, took  # the probe's short wait, not the 10 s busy timeout of writes
        assert client.get("/api/jobs").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/readyz").status_code == 200
    # The probe connection got the normal busy timeout back: a write waits out a short lock.
    with services(app).db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_below_the_free_space_floor_readyz_is_503_and_submissions_are_507(make_app, tmp_path):
    app = make_app(STORAGE_MIN_FREE_MB=10**9)
    publish_engine(app)
    client = token_client(app)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["components"] == {"database": "ok", "redis": "ok", "storage": "full"}
    health = client.get("/health").get_json()
    assert health["components"]["storage"] == "full" and health["status"] != "ok"

    generated = submit(client)
    uploaded = client.post("/api/uploads", data={"file": (io.BytesIO(png_bytes()), "a.png")})
    for response in (generated, uploaded):
        assert response.status_code == 507
        error = response.get_json()["error"]
        assert error["code"] == "storage_full"
        assert error["message"].startswith("storage is full: ")
        assert str(tmp_path / "storage") in error["message"]
    # Refused before anything was stored: no job row, no upload file.
    with services(app).db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar() == 0
    assert not list((tmp_path / "storage" / "uploads").iterdir())


def test_upload_onto_a_disk_that_filled_up_is_507_json(make_app, small_tmpfs):
    app = make_app(STORAGE_DIR=str(small_tmpfs), STORAGE_MIN_FREE_MB=0)  # no floor: ENOSPC
    fill_volume(small_tmpfs)
    client = token_client(app)
    response = client.post("/api/uploads", data={"file": (io.BytesIO(png_bytes()), "a.png")})
    assert response.status_code == 507
    assert response.get_json()["error"]["code"] == "storage_full"
    assert response.get_json()["error"]["message"].startswith("storage is full: 0 MB free")
    assert not [p for p in small_tmpfs.rglob("*") if p.name.endswith(".tmp")]


def test_health_probes_the_engine_itself_not_the_registry(make_app, tmp_path):
    sim = start_simulator(tmp_path / "sim", "--node-ms", "0", "--step-ms", "5")
    try:
        app = make_app(COMFYUI_URL=DEAD_ENGINE)
        client = token_client(app)
        services(app).queue.heartbeat("w1", {})
        publish_engine(app, url=sim.url, simulator=False)  # a worker saw it online
        health = client.get("/health")
        assert health.status_code == 200, health.get_json()
        assert health.get_json()["components"]["comfyui"] == "ok"
        sim.stop(sig_kill=True)
        # The registry still says online (TTL 60 s); the next request must not believe it.
        response, took = _timed_get(client, "/health")
        assert response.status_code == 503
        assert response.get_json()["components"]["comfyui"] == "down"
        assert response.get_json()["status"] == "degraded"
        assert took < 4, took
    finally:
        sim.stop(sig_kill=True)


def test_health_probes_the_configured_engine_urls_too(make_app, sim_url):
    app = make_app(COMFYUI_URL=f"{DEAD_ENGINE},{sim_url}")  # no worker published anything
    assert token_client(app).get("/health").get_json()["components"]["comfyui"] == "ok"
    dead = make_app(COMFYUI_URL=DEAD_ENGINE)
    assert token_client(dead).get("/health").get_json()["components"]["comfyui"] == "down"
