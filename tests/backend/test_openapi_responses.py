"""Real responses of the API, validated against the schemas the OpenAPI document promises.

The route-coverage test proves every route is documented; this one proves the documented
shapes are what the implementation answers, for success and error statuses alike.
"""

from __future__ import annotations

import io

import pytest

from tests.backend.helpers import finish_job, png_bytes, publish_engine, submit, token_client
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
