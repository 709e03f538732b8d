"""SSE through the real server (uvicorn + backend.serving.asgi), the OpenAPI document against the routes, the SPA."""

from __future__ import annotations

import json
import re

import pytest
import requests

from backend.openapi import openapi_document
from studio_core.jobs.public import to_public
from tests.backend.helpers import bearer, make_user, services


def _frames(response):
    """Yield SSE frames (lists of lines) as they arrive."""
    lines: list[str] = []
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if lines:
                yield lines
            lines = []
        else:
            lines.append(line)


def test_sse_delivers_job_events_and_pings(live_server, app):
    user = make_user(app, "alice")  # a plain user: an admin's stream carries everyone's jobs
    headers = bearer(app, user["id"])
    with requests.get(f"{live_server}/api/events", headers=headers, stream=True, timeout=5) as resp:
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["X-Accel-Buffering"] == "no"
        frames = _frames(resp)
        assert next(frames) == ["retry: 2000"]
        # A worker publishes a change of one of my jobs (built by to_public, as workers do).
        row = {"id": "j1", "tool": "text_to_image", "status": "processing", "progress": 30}
        job = to_public({**row, "inputs": [{"slot": "input", "upload_id": "u1"}]})
        services(app).events.publish_job(user["id"], job)
        services(app).events.publish_job(1, {**job, "job_id": "someone-else"})
        pings, jobs = 0, []
        for frame in frames:
            if frame == [": ping"]:
                pings += 1
            else:
                assert frame[0] == "event: job"
                jobs.append(json.loads(frame[1].removeprefix("data: ")))
            if pings >= 2 and jobs:
                break
        assert [j["job_id"] for j in jobs] == ["j1"]  # not the other user's job
        assert jobs[0]["progress"] == 30 and jobs[0]["preview_url"] is None
        assert jobs[0]["inputs"] == {"input": {"upload_id": "u1", "url": "/api/uploads/u1"}}


def test_sse_streams_submitted_jobs(live_server, auth_headers):
    url = f"{live_server}/api/events"
    with requests.get(url, headers=auth_headers, stream=True, timeout=5) as resp:
        frames = _frames(resp)
        next(frames)
        posted = requests.post(
            f"{live_server}/api/generate",
            json={"workflow": "text_to_image", "prompt": "sse"},
            headers=auth_headers,
            timeout=5,
        )
        assert posted.status_code == 202
        for frame in frames:
            if frame[0] == "event: job":
                data = json.loads(frame[1].removeprefix("data: "))
                assert data["job_id"] == posted.json()["job_id"] and data["status"] == "queued"
                break


def _rule_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_openapi_documents_every_route_and_nothing_else(app, client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc == json.loads(json.dumps(openapi_document()))
    assert doc["openapi"].startswith("3.1")
    routes = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((_rule_path(rule.rule), method.lower()))
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["responses"], path
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]


def test_openapi_refs_resolve(client):
    doc = client.get("/api/openapi.json").get_json()
    refs = set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', json.dumps(doc)))
    for section, name in refs:
        assert name in doc["components"][section], (section, name)


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/", 200, "text/html"),
        ("/gallery", 200, "text/html"),
        ("/studio/text_to_image", 200, "text/html"),
        ("/js/main.js", 200, "text/javascript"),
        ("/css/app.css", 200, "text/css"),
        ("/js/missing.js", 404, "application/json"),
        ("/api/missing", 404, "application/json"),
        ("/api", 404, "application/json"),
        ("/../pyproject.toml", 404, "application/json"),
    ],
)
def test_spa_serving(client, path, status, kind):
    resp = client.get(path)
    assert resp.status_code == status, path
    assert resp.mimetype == kind, path


def test_unknown_api_post_is_404_json(client):
    resp = client.post("/api/missing", json={})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_generate_round_trip_over_http(live_server, auth_headers):
    resp = requests.post(
        f"{live_server}/api/generate",
        json={"prompt": "legacy default tool"},
        headers=auth_headers,
        timeout=5,
    )
    assert resp.status_code == 202 and resp.json()["job"]["tool"] == "text_to_image"
