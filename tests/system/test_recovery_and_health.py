"""Redis restarted empty, /health and /api/metrics when a worker dies, 429 on a live server."""

from __future__ import annotations

import pytest
import requests

from studio_ops.embedded_redis import start_scratch_redis
from tests.helpers import wait_until
from tests.system.helpers import TERMINAL, StudioDb, get, sim_output_files


@pytest.mark.chaos
def test_redis_restarted_empty_jobs_come_back_and_finish(make_studio):
    studio = make_studio("redis-restart", HEARTBEAT_TTL_S="2")
    studio.sim_config(step_ms=80)  # ~0.7 s a job: some run, some wait while Redis goes away
    job_ids = [
        studio.generate(prompt=f"survive {n}", batch_size=1 + n % 2)["job_id"] for n in range(5)
    ]
    wait_until(lambda: studio.status(job_ids[0])["status"] == "processing", 15, "first job runs")

    assert studio.status(job_ids[-1])["status"] == "queued"  # only Redis knew it was next
    port = studio.redis.port
    studio.redis.stop(sig_kill=True)
    studio.redis = start_scratch_redis(studio.root / "redis-new", port=port)  # same port, empty
    assert requests.get(studio.url + "/readyz", timeout=5).status_code == 200

    db = StudioDb(studio)
    try:
        for job_id in job_ids:
            job = studio.wait_status(job_id, TERMINAL, timeout=60)
            assert job["status"] == "finished", job
            assert db.terminal_events(job_id) == ["finished"]
            assert len(db.output_rows(job_id)) == job["batch_size"]
            assert len(sim_output_files(studio, job_id)) == job["batch_size"]
    finally:
        db.close()
    # The queue works for new jobs too.
    fresh = studio.wait_status(studio.generate(prompt="after the restart")["job_id"], TERMINAL)
    assert fresh["status"] == "finished"


def _online(studio) -> list[str]:
    metrics = get(studio, "/api/metrics").json()
    return [w["id"] for w in metrics["workers"] if w["online"]]


@pytest.mark.slow
def test_health_and_metrics_follow_the_only_worker(make_studio):
    studio = make_studio("health", HEARTBEAT_TTL_S="2", DEMO_MODE="auto")
    health = get(studio, "/health")
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["status"] == "ok" and body["demo_mode"] is True  # the engine is the simulator
    assert body["components"] == {
        "database": "ok",
        "redis": "ok",
        "storage": "ok",
        "workers": "ok",
        "comfyui": "ok",
    }
    metrics = get(studio, "/api/metrics").json()
    assert metrics["worker_status"] == "online" and metrics["demo_mode"] is True
    assert _online(studio) == ["w1"]
    assert [b["simulator"] for b in metrics["backends"]] == [True]

    studio.kill_worker("w1")
    # (a Response is falsy when not ok, hence the list)
    down = wait_until(
        lambda: [r for r in [get(studio, "/health")] if r.status_code == 503], 15, "health 503"
    )[0]
    assert down.headers.get("Retry-After")
    assert down.json()["status"] == "degraded"
    assert down.json()["components"]["workers"] == "down"
    metrics = get(studio, "/api/metrics").json()
    assert metrics["worker_status"] == "offline" and _online(studio) == []
    assert all(not w["online"] for w in metrics["workers"] if w["id"] == "w1")

    studio.start_worker("w2")
    wait_until(lambda: _online(studio) == ["w2"], 20, "replacement worker online")
    assert get(studio, "/health").status_code == 200


def test_generate_rate_limit_answers_429_json(make_studio):
    studio = make_studio("limits", RATE_LIMIT_GENERATE="3/minute")
    answers = [
        requests.post(
            studio.url + "/api/generate",
            json={"prompt": f"limit {n}"},
            timeout=10,
            headers=studio.headers,
        )
        for n in range(4)
    ]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    limited = answers[-1]
    assert limited.headers["Content-Type"].startswith("application/json")
    assert int(limited.headers["Retry-After"]) > 0
    error = limited.json()["error"]
    assert error["code"] and error["message"]
    # Reads have their own budget: status and history still answer.
    assert get(studio, f"/api/status/{answers[0].json()['job_id']}").status_code == 200
    assert get(studio, "/api/history").json()["total"] == 3
