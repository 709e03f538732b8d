"""Real responses of the API, validated against the schemas the OpenAPI document promises.

The route-coverage test proves every route is documented; this one proves the documented
shapes are what the implementation answers, for success and error statuses alike.
"""

from __future__ import annotations

import io

import pytest
import requests

from tests.backend.helpers import (
    ADMIN_PASSWORD,
    bearer,
    finish_job,
    png_bytes,
    publish_engine,
    submit,
    token_client,
)
from tests.backend.live_asgi import read_response, serve_in_thread, trickler
from tests.openapi_contract import response_problems


def assert_conforms(method: str, path: str, response) -> None:
    """The response's status is documented for the route and its JSON body fits the schema."""
    body = response.get_json() if response.is_json else None
    problems = response_problems(method, path, response.status_code, response.mimetype, body)
    assert not problems, "; ".join(problems)


def test_job_lifecycle_responses_match_the_document(app, client):
    publish_engine(app)
    upload = client.post("/api/uploads", data={"file": (io.BytesIO(png_bytes()), "a.png")})
    assert_conforms("POST", "/api/uploads", upload)
    upload_id = upload.get_json()["upload_id"]

    created = submit(client, {"workflow": "text_to_image", "prompt": "a fox", "seed": 5})
    assert_conforms("POST", "/api/generate", created)
    job_id = created.get_json()["job_id"]
    edit = submit(
        client,
        {"workflow": "single_image_edit", "prompt": "make it blue", "images": {"input": upload_id}},
    )
    assert_conforms("POST", "/api/generate", edit)

    for path in (
        f"/api/status/{job_id}",
        f"/api/jobs/{job_id}",
        "/api/jobs?limit=5",
        "/api/jobs?active=1",
        "/api/history?limit=5&status=queued",
        "/api/tools",
        "/api/models",
        "/api/metrics",
        "/api/engine",
        "/health",
        "/readyz",
        "/livez",
    ):
        assert_conforms("GET", path, client.get(path))

    finish_job(app, job_id, images=2)
    assert_conforms("GET", f"/api/status/{job_id}", client.get(f"/api/status/{job_id}"))
    favorite = client.post(f"/api/jobs/{job_id}/favorite", json={"favorite": True})
    assert_conforms("POST", f"/api/jobs/{job_id}/favorite", favorite)
    edit_id = edit.get_json()["job_id"]
    assert_conforms("POST", f"/api/cancel/{edit_id}", client.post(f"/api/cancel/{edit_id}"))
    assert_conforms("DELETE", f"/api/jobs/{job_id}", client.delete(f"/api/jobs/{job_id}"))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/generate", {"workflow": "nope", "prompt": "x"}),
        ("POST", "/api/generate", {"workflow": "text_to_image", "prompt": "x", "steps": "many"}),
        ("POST", "/api/generate", {"workflow": "single_image_edit", "prompt": "x"}),
        ("GET", "/api/status/no-such-job", None),
        ("POST", "/api/cancel/no-such-job", None),
        ("GET", "/api/jobs?limit=100000", None),
        ("DELETE", "/api/jobs/no-such-job", None),
        ("GET", "/api/uploads/no-such-upload", None),
    ],
)
def test_error_responses_match_the_document(client, method, path, body):
    response = client.open(path, method=method, json=body)
    assert response.status_code >= 400
    assert_conforms(method, path, response)


def test_storage_full_and_not_ready_responses_match_the_document(make_app):
    app = make_app(STORAGE_MIN_FREE_MB=10**9)
    publish_engine(app)
    client = token_client(app)
    upload = client.post("/api/uploads", data={"file": (io.BytesIO(png_bytes()), "a.png")})
    created = submit(client)
    assert upload.status_code == created.status_code == 507
    assert_conforms("POST", "/api/uploads", upload)
    assert_conforms("POST", "/api/generate", created)
    for path in ("/readyz", "/health"):
        response = client.get(path)
        assert response.status_code == 503
        assert_conforms("GET", path, response)


def test_account_responses_match_the_document(app, client, user_client, anon_client):
    login = anon_client.post(
        "/api/auth/login", json={"username": "admin", "password": "bad pw!!!!"}
    )
    assert_conforms("POST", "/api/auth/login", login)
    login = anon_client.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert_conforms("POST", "/api/auth/login", login)
    csrf = {"X-CSRF-Token": login.get_json()["csrf_token"]}
    assert_conforms("GET", "/api/auth/me", anon_client.get("/api/auth/me"))
    refused = anon_client.post("/api/auth/tokens", json={"name": "x"})  # no CSRF token
    assert refused.status_code == 403
    assert_conforms("POST", "/api/auth/tokens", refused)
    token = anon_client.post("/api/auth/tokens", json={"name": "x"}, headers=csrf)
    assert_conforms("POST", "/api/auth/tokens", token)
    assert_conforms("GET", "/api/auth/tokens", anon_client.get("/api/auth/tokens"))
    path = f"/api/auth/tokens/{token.get_json()['id']}"
    assert_conforms("DELETE", path, anon_client.delete(path, headers=csrf))
    body = {"current_password": ADMIN_PASSWORD, "new_password": "another admin pw"}
    assert_conforms(
        "POST",
        "/api/auth/password",
        anon_client.post("/api/auth/password", json=body, headers=csrf),
    )
    created = client.post("/api/users", json={"username": "erin", "password": "x" * 10})
    assert_conforms("POST", "/api/users", created)
    assert_conforms("GET", "/api/users", client.get("/api/users"))
    path = f"/api/users/{created.get_json()['id']}"
    assert_conforms("PATCH", path, client.patch(path, json={"disabled": True}))
    assert_conforms("PATCH", "/api/users/1", client.patch("/api/users/1", json={"role": "user"}))
    assert_conforms("DELETE", path, client.delete(path))
    for method, route in (("GET", "/api/users"), ("GET", "/api/metrics"), ("GET", "/health")):
        assert_conforms(method, route, user_client["a"].open(route, method=method))
    stranger = app.test_client()
    for method, route in (("GET", "/api/jobs"), ("POST", "/api/generate"), ("GET", "/metrics")):
        resp = stranger.open(route, method=method, json={})
        assert resp.status_code == 401
        assert_conforms(method, route, resp)
    resp = anon_client.post("/api/auth/logout", headers=csrf)
    assert_conforms("POST", "/api/auth/logout", resp)


def test_server_refusals_match_the_document(make_app):
    """What the real server answers before Flask: a slow body (408), a body over the limit
    (413, on any operation that takes a body) and a stream over the per-user cap (429)."""
    app = make_app(BODY_IDLE_TIMEOUT_S=1, BODY_TIMEOUT_S=1, MAX_UPLOAD_MB=1, STREAMS_PER_USER=1)
    auth = bearer(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    with serve_in_thread(app) as url:
        sock = trickler(url, auth)
        status, headers, body = read_response(sock)
        sock.close()
        assert status == 408
        assert not response_problems("POST", "/api/generate", status, headers["content-type"], body)
        for path in ("/api/uploads", "/api/auth/login", "/api/users"):
            resp = requests.post(
                url + path,
                data=iter([b"x" * 65536] * (limit // 65536 + 2)),
                headers=auth,
                timeout=10,
            )
            assert resp.status_code == 413
            assert not response_problems(
                "POST", path, 413, resp.headers["Content-Type"], resp.json()
            ), path
        with requests.get(url + "/api/events", headers=auth, stream=True, timeout=5) as held:
            assert held.status_code == 200
            refused = requests.get(url + "/api/events", headers=auth, timeout=5)
        assert refused.json()["error"]["code"] == "too_many_streams"
        assert not response_problems(
            "GET", "/api/events", 429, refused.headers["Content-Type"], refused.json()
        )
