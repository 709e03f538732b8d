"""Tools, models, metrics, health, Prometheus, rate limits, headers, CORS, start-up checks."""

from __future__ import annotations

import dataclasses

import pytest
import redis as redis_lib

from studio_core.config import ConfigError, Settings
from studio_ops.processes import free_port
from tests.backend.helpers import (
    USER_PASSWORD,
    finish_job,
    login_client,
    make_user,
    publish_engine,
    services,
    submit,
    token_client,
)
from tests.helpers import MysqlDriverError


def _availability(client) -> dict:
    return {
        t["id"]: t["availability"]["status"] for t in client.get("/api/tools").get_json()["tools"]
    }


def test_tools_without_engine_info_are_engine_offline(client):
    statuses = _availability(client)
    assert statuses and set(statuses.values()) == {"engine_offline"}


def test_tools_with_engine_info(client, app):
    publish_engine(app)
    assert set(_availability(client).values()) == {"ready"}
    publish_engine(app, nodes={"KSampler"})
    assert "missing_nodes" in set(_availability(client).values())
    publish_engine(app, online=False)
    assert set(_availability(client).values()) == {"engine_offline"}


def test_tools_labels_in_one_language(client):
    tool = client.get("/api/tools?lang=zh-TW").get_json()["tools"][0]
    assert isinstance(tool["name"], str) and tool["slots"] is not None
    assert client.get("/api/tools?lang=fr").status_code == 400


def test_models_come_from_online_engines(client, app):
    assert client.get("/api/models").get_json() == {
        "models": [],
        "unet_models": [],
        "by_folder": {},
        "families": {},
    }
    publish_engine(
        app,
        models={"checkpoints": ["b.safetensors", "a.ckpt"], "diffusion_models": ["z.safetensors"]},
    )
    body = client.get("/api/models").get_json()
    assert body["models"] == ["a.ckpt", "b.safetensors"]
    assert body["unet_models"] == ["z.safetensors"]
    assert body["by_folder"]["diffusion_models"] == ["z.safetensors"]


def test_metrics_document(client, app, redis_client):
    s = services(app)
    submit(client)
    running = submit(client).get_json()["job_id"]
    s.queue.claim("w1", timeout=0)
    s.repo.attempts.claim(running, "w1")
    s.live.update(running, status="processing", progress=10)
    s.queue.heartbeat("w1", {"backend": "http://gpu1:8188", "jobs": [running]})
    publish_engine(app, simulator=True)
    redis_client.config_resetstat()
    body = client.get("/api/metrics").get_json()
    assert body["queue_length"] == 1 and body["active_jobs"] == 1
    assert body["worker_status"] == "online" and body["demo_mode"] is True
    assert body["workers"][0] == {
        "id": "w1",
        "online": True,
        "backend": "http://gpu1:8188",
        "jobs": 1,
        "last_seen": body["workers"][0]["last_seen"],
    }
    assert body["backends"][0]["url"] == "http://gpu1:8188" and body["backends"][0]["online"]
    assert body["jobs_by_status"]["queued"] == 1 and body["jobs_by_status"]["processing"] == 1
    stats = redis_client.info("commandstats")
    assert not {k for k in stats if k in ("cmdstat_keys", "cmdstat_scan")}, stats.keys()


def test_engine_state_for_every_signed_in_user(make_app):
    """Plain users learn whether ComfyUI is up and whether it is a demo, and nothing else."""
    app = make_app(ENGINES_CACHE_S=0)
    alice = token_client(app, make_user(app, "alice")["id"])
    assert alice.get("/api/metrics").status_code == 403
    assert alice.get("/api/engine").get_json() == {"online": False, "demo_mode": False}
    publish_engine(app, simulator=True)
    assert alice.get("/api/engine").get_json() == {"online": True, "demo_mode": True}
    publish_engine(app, online=False)
    assert alice.get("/api/engine").get_json() == {"online": False, "demo_mode": False}
    assert app.test_client().get("/api/engine").status_code == 401
    # DEMO_MODE=off stops the launcher starting a simulator; one that answers is still a demo.
    off = make_app(ENGINES_CACHE_S=0, DEMO_MODE="off")
    bob = token_client(off, make_user(off, "bob")["id"])
    publish_engine(off, simulator=True)
    assert bob.get("/api/engine").get_json() == {"online": True, "demo_mode": True}
    publish_engine(off, simulator=False)
    assert bob.get("/api/engine").get_json() == {"online": True, "demo_mode": False}


def test_health_and_probes(make_app, sim_url):
    # COMFYUI_URL names no engine here, so only what a worker publishes can answer.
    app = make_app(COMFYUI_URL=f"http://127.0.0.1:{free_port()}")
    client = token_client(app)
    resp = client.get("/health")
    assert resp.status_code == 503  # no worker, no engine yet
    assert resp.get_json()["components"] == {
        "database": "ok",
        "redis": "ok",
        "storage": "ok",
        "workers": "down",
        "comfyui": "down",
    }
    services(app).queue.heartbeat("w1", {})
    publish_engine(app, simulator=False, url=sim_url)  # /health asks the engine itself
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "status": "ok",
        "components": {
            "database": "ok",
            "redis": "ok",
            "storage": "ok",
            "workers": "ok",
            "comfyui": "ok",
        },
        "demo_mode": False,
    }
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").get_json()["status"] == "ok"


def test_redis_outage_is_503_json_never_a_traceback(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    client = token_client(app)
    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["components"]["redis"] == "down"
    assert health.get_json()["status"] == "down"
    assert client.get("/readyz").status_code == 503
    assert client.get("/livez").status_code == 200
    for path in ("/api/metrics", "/api/engine", "/api/tools", "/api/events"):
        resp = client.get(path)
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5", path
        assert resp.get_json()["error"]["code"] == "redis_unavailable"
    assert client.get("/api/jobs").status_code == 200  # SQL only
    assert "studio_dependencies_up 0.0" in client.get("/metrics").get_data(as_text=True)


def test_database_outage_is_503(make_app, tmp_path):
    app = make_app()
    client = token_client(app)
    services(app).db.dispose()
    (tmp_path / "studio.db").unlink()
    (tmp_path / "studio.db").mkdir()  # the file is gone and cannot be recreated
    resp = client.get("/api/jobs")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "database_unavailable"
    assert resp.headers["Retry-After"]


def test_prometheus_text(client, app):
    job = submit(client).get_json()["job_id"]
    finish_job(app, job)
    services(app).queue.heartbeat("w1", {})
    text = client.get("/metrics")
    assert text.mimetype == "text/plain"
    body = text.get_data(as_text=True)
    assert (
        'studio_http_requests_total{endpoint="jobs.generate",method="POST",status="202"} 1.0'
        in body
    )
    assert "studio_http_request_duration_seconds_bucket" in body
    assert 'studio_jobs{status="finished"} 1.0' in body
    assert "studio_queue_depth 0.0" in body
    assert "studio_workers_online 1.0" in body
    assert "studio_engines_online 0.0" in body
    assert "studio_recent_job_duration_seconds_count 1.0" in body


def test_rate_limit_is_429_json_with_retry_after(make_app):
    client = token_client(make_app(RATE_LIMIT_READS="2/minute", RATE_LIMIT_GENERATE="1/minute"))
    assert [client.get("/api/jobs").status_code for _ in range(3)] == [200, 200, 429]
    resp = client.get("/api/jobs")
    assert resp.is_json and resp.get_json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) >= 1
    assert submit(client).status_code == 202
    assert submit(client).status_code == 429
    # Probes, static files and preflights are never limited.
    assert all(client.get("/livez").status_code == 200 for _ in range(5))
    assert all(client.get("/").status_code == 200 for _ in range(5))


def _login(client, forwarded_for: str):
    body = {"username": "admin", "password": "not the password"}
    return client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for})


def test_rate_limit_key_uses_proxy_hops_only_when_trusted(make_app):
    # Before login the bucket is the client address: the login limit shows it.
    plain = make_app(RATE_LIMIT_LOGIN="1/minute").test_client()
    assert _login(plain, "203.0.113.9").status_code == 401
    # Without a trusted proxy the header is ignored: same bucket (the peer address).
    assert _login(plain, "198.51.100.1").status_code == 429


def test_rate_limit_buckets_per_client_behind_a_trusted_proxy(make_app):
    client = make_app(RATE_LIMIT_LOGIN="1/minute", TRUSTED_PROXY_COUNT=1).test_client()
    assert _login(client, "203.0.113.9").status_code == 401
    assert _login(client, "203.0.113.9").status_code == 429
    assert _login(client, "198.51.100.1").status_code == 401


def test_rate_limits_are_per_user_after_login(make_app):
    app = make_app(RATE_LIMIT_READS="1/minute")
    first, second = token_client(app), token_client(app, make_user(app, "second")["id"])
    assert first.get("/api/jobs").status_code == 200
    assert first.get("/api/jobs").status_code == 429
    assert second.get("/api/jobs").status_code == 200  # same address, another user


@pytest.mark.parametrize("path", ["/", "/api/jobs", "/api/nope", "/health", "/js/main.js"])
def test_security_headers_on_every_response(client, path):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "img-src 'self' data: blob:" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    if path.startswith("/api/") or path == "/health":
        assert resp.headers["Cache-Control"] == "no-store"


def test_cors_only_for_configured_origins(make_app, client):
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/jobs", headers={"Origin": "https://evil.example"}).headers
    )
    app = make_app(CORS_ORIGINS="https://studio.example")
    cors = token_client(app)
    ok = cors.get("/api/jobs", headers={"Origin": "https://studio.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://studio.example"
    bad = cors.get("/api/jobs", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in bad.headers


@pytest.mark.parametrize("secret", [None, "change-me", "short"])
def test_production_refuses_a_missing_or_default_secret(make_app, secret):
    overrides = {"STUDIO_ENV": "production"}
    if secret:
        overrides["SECRET_KEY"] = secret
    with pytest.raises(ConfigError):
        make_app(**overrides)
    assert (
        make_app(STUDIO_ENV="production", SECRET_KEY="x" * 32)
        .test_client()
        .get("/livez")
        .status_code
        == 200
    )


def test_missing_redis_url_is_a_config_error(make_app):
    with pytest.raises(ConfigError):
        make_app(REDIS_URL="")


def test_method_not_allowed_is_json(client):
    resp = client.put("/api/jobs")
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"


def test_redis_client_is_not_global(make_app):
    a, b = make_app(), make_app()
    assert services(a).redis is not services(b).redis
    assert isinstance(services(a).redis, redis_lib.Redis)


def test_default_generate_limit_lets_a_person_click_on(make_app):
    """The shipped RATE_LIMIT_GENERATE: the 11th Generate in a minute of a signed-in user is
    accepted (it used to be refused at 10/minute), and a script is still stopped."""
    default = dataclasses.fields(Settings)
    limit = next(f.default for f in default if f.name == "rate_limit_generate")
    app = make_app(RATE_LIMIT_GENERATE=limit)
    make_user(app, "alice")
    client = login_client(app, "alice", USER_PASSWORD)
    client.environ_base["HTTP_X_CSRF_TOKEN"] = client.csrf
    codes = [submit(client).status_code for _ in range(11)]
    assert codes == [202] * 11
    per_minute = int(limit.split("/")[0])
    codes = [submit(client).status_code for _ in range(per_minute - 11 + 1)]
    assert codes[-1] == 429 and set(codes[:-1]) == {202}


def test_prometheus_engine_busy_follows_held_jobs(client, app):
    publish_engine(app, url="http://gpu1:8188")
    publish_engine(app, url="http://user:secret@gpu2:8188")
    queue = services(app).queue
    queue.heartbeat("w1", {"backend": "http://gpu1:8188/", "jobs": [{"job_id": "j1"}]})
    queue.heartbeat("w2", {"backend": "http://user:secret@gpu2:8188", "jobs": []})
    body = client.get("/metrics").get_data(as_text=True)
    assert 'studio_engine_busy{engine="http://gpu1:8188"} 1.0' in body
    # Credentials in a COMFYUI_URL never reach a scraper's storage.
    assert 'studio_engine_busy{engine="http://gpu2:8188"} 0.0' in body
    assert "secret" not in body
    publish_engine(app, url="http://gpu1:8188", online=False)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'engine="http://gpu1:8188"' not in body  # offline engines are not "idle"


@pytest.mark.parametrize(
    ("errno", "status", "code"),
    [
        (1213, 503, "database_unavailable"),
        (1205, 503, "database_unavailable"),
        (1146, 500, "internal"),
    ],
    ids=["deadlock", "lock-wait-timeout", "other-driver-error"],
)
def test_a_mysql_lock_conflict_is_503_not_500(client, monkeypatch, errno, status, code):
    """mysql-connector raises a deadlock as an InternalError, which is no DB_OUTAGES class: it
    answered 500. The transaction was rolled back and a retry succeeds, so 503 + Retry-After."""
    import sqlalchemy as sa

    from backend.api import jobs as jobs_api

    def conflict(*_args):
        raise sa.exc.InternalError("UPDATE jobs SET ...", {}, MysqlDriverError(errno))

    monkeypatch.setattr(jobs_api, "show_job", conflict)
    resp = client.get("/api/status/" + "0" * 32)
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert ("Retry-After" in resp.headers) == (status == 503)
