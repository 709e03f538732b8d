"""The gate: every route needs a login but the public list; admin-only routes; isolation
between users (another user's object is a 404, the admin reaches both)."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.backend.helpers import finish_job, png_bytes, services, submit, token_client

# Every route that answers without credentials (method, rule). Anything else must be a 401:
# a route added later is protected unless someone adds it here on purpose.
PUBLIC_ROUTES = {
    ("GET", "/"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("POST", "/api/auth/login"),
}
# spa.asset serves the SPA's files: public only for what the login page loads.
PUBLIC_ASSETS = ["/index.html", "/favicon.svg", "/js/main.js", "/css/app.css", "/queue"]
PRIVATE_ASSETS = ["/outputs/x_0.png", "/outputs/thumbs/x_0.webp", "/api/nope", "/secret.txt"]


def _sample_path(rule: str) -> str:
    return re.sub(r"<[^>]+>", lambda m: "1" if "row_id:" in m.group(0) else "x", rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_without_credentials_is_401_but_the_public_list(app, anon_client):
    seen_public = set()
    for method, rule in _routes(app):
        if rule == "/<app_path:path>":
            continue  # the SPA's files: below
        resp = anon_client.open(_sample_path(rule), method=method, json={})
        if (method, rule) in PUBLIC_ROUTES:
            seen_public.add((method, rule))
            assert resp.status_code != 401, (method, rule)
            continue
        assert resp.status_code == 401, (method, rule, resp.status_code)
        assert resp.get_json()["error"]["code"] == "unauthorized"
    assert seen_public == PUBLIC_ROUTES  # the list names no route that is gone


@pytest.mark.parametrize("path", PUBLIC_ASSETS)
def test_the_login_page_and_its_assets_are_public(anon_client, path):
    assert anon_client.get(path).status_code in (200, 404)  # never 401
    assert anon_client.get(path).status_code != 401


@pytest.mark.parametrize("path", PRIVATE_ASSETS)
def test_files_outside_the_spa_assets_need_a_login(anon_client, path):
    assert anon_client.get(path).status_code == 401


def test_cors_preflight_needs_no_credentials(anon_client):
    assert anon_client.options("/api/jobs").status_code != 401


def test_a_wrong_or_revoked_token_is_401(app, anon_client):
    assert anon_client.get("/api/jobs", headers={"Authorization": "Bearer nope"}).status_code == 401
    client = token_client(app)
    assert client.get("/api/jobs").status_code == 200
    token_id = client.get("/api/auth/tokens").get_json()["tokens"][0]["id"]
    assert client.delete(f"/api/auth/tokens/{token_id}").status_code == 204
    assert client.get("/api/jobs").status_code == 401


@pytest.mark.parametrize("path", ["/api/metrics", "/metrics", "/health", "/api/users"])
def test_admin_routes_are_403_for_a_user_and_401_for_strangers(
    path, client, user_client, anon_client
):
    assert anon_client.get(path).status_code == 401
    resp = user_client["a"].get(path)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert client.get(path).status_code in (200, 503)  # the admin (503: no worker yet)


def test_metrics_token_opens_metrics_and_health_only(make_app):
    app = make_app(METRICS_TOKEN="scraper-secret-1234")
    scraper = app.test_client()
    scraper.environ_base["HTTP_AUTHORIZATION"] = "Bearer scraper-secret-1234"
    assert scraper.get("/metrics").status_code == 200
    assert scraper.get("/health").status_code in (200, 503)
    assert scraper.get("/api/metrics").status_code == 401
    assert scraper.get("/api/jobs").status_code == 401
    wrong = app.test_client()
    assert wrong.get("/metrics", headers={"Authorization": "Bearer scraper"}).status_code == 401


def _user_objects(app, client):
    """A finished job with outputs, a running job with a preview, and an upload of one user."""
    s = services(app)
    upload = client.post("/api/uploads", data={"file": (io.BytesIO(png_bytes()), "a.png")})
    assert upload.status_code == 201, upload.get_json()
    upload = upload.get_json()
    done = submit(client).get_json()["job_id"]
    finish_job(app, done)
    running = submit(client).get_json()["job_id"]
    s.queue.remove(running)
    s.repo.attempts.claim(running, "w1")
    s.live.set_preview(running, png_bytes(16, 16), 60)
    outputs = client.get(f"/api/jobs/{done}").get_json()["outputs"][0]
    return {
        "done": done,
        "running": running,
        "upload": upload["upload_id"],
        "output": outputs["url"],
        "thumb": outputs["thumb_url"],
    }


def _reads(o):
    return [
        ("GET", f"/api/status/{o['done']}"),
        ("GET", f"/api/jobs/{o['done']}"),
        ("GET", o["output"]),
        ("GET", o["thumb"]),
        ("GET", f"/api/uploads/{o['upload']}"),
        ("GET", f"/api/jobs/{o['running']}/preview"),
    ]


def test_user_b_gets_404_for_each_of_user_a_objects_and_the_admin_reaches_them(
    app, client, user_client
):
    a, b = user_client["a"], user_client["b"]
    objects = _user_objects(app, a)
    writes = [
        ("POST", f"/api/jobs/{objects['done']}/favorite", {"favorite": True}),
        ("POST", f"/api/cancel/{objects['running']}", None),
        ("DELETE", f"/api/jobs/{objects['done']}", None),
    ]
    for method, path in _reads(objects):
        assert a.open(path, method=method).status_code == 200, path
        resp = b.open(path, method=method)
        assert resp.status_code == 404, (path, resp.status_code)
        assert client.open(path, method=method).status_code == 200, path  # the admin
    for method, path, body in writes:
        resp = b.open(path, method=method, json=body)
        assert resp.status_code == 404, (path, resp.status_code)
    # A's jobs are untouched by B's attempts; B's lists are empty.
    assert a.get(f"/api/jobs/{objects['running']}").get_json()["status"] == "processing"
    assert b.get("/api/jobs").get_json()["total"] == 0
    assert a.get("/api/jobs").get_json()["total"] == 2
    # The admin's writes reach A's objects.
    for method, path, body in writes:
        assert client.open(path, method=method, json=body).status_code in (200, 204), path


def _job_ids(stream, pings: int = 3) -> list[str]:
    """Job ids of `event: job` frames until `pings` idle pings went by."""
    ids, seen = [], 0
    for chunk in stream.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith(": ping"):
            seen += 1
            if seen >= pings:
                break
        elif text.startswith("event: job"):
            ids.append(json.loads(text.split("data: ", 1)[1])["job_id"])
    stream.close()
    return ids


def test_events_of_user_a_reach_the_admin_but_never_user_b(app, client, user_client):
    b_stream = user_client["b"].get("/api/events", buffered=False)
    admin_stream = client.get("/api/events", buffered=False)
    assert b_stream.status_code == 200 and admin_stream.status_code == 200
    job = submit(user_client["a"]).get_json()["job_id"]
    assert job in _job_ids(admin_stream)
    assert job not in _job_ids(b_stream)


def test_admin_lists_everyone_with_all_and_a_user_may_not(app, client, user_client, users):
    submit(user_client["a"])
    submit(user_client["b"])
    submit(client)
    assert client.get("/api/jobs").get_json()["total"] == 1  # the admin's own by default
    everyone = client.get("/api/jobs?all=1").get_json()
    assert everyone["total"] == 3
    owners = {j["user_id"] for j in everyone["jobs"]}
    assert owners == {1, users["a"]["id"], users["b"]["id"]}
    resp = user_client["a"].get("/api/jobs?all=1")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "all"
