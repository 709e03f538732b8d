"""Submitting, reading, listing, cancelling, deleting and favouriting jobs."""

from __future__ import annotations

import base64
import io
import json

import pytest
import sqlalchemy as sa

from studio_core.db.tables import jobs
from tests.backend.helpers import (
    finish_job,
    png_bytes,
    publish_engine,
    services,
    submit,
    token_client,
)


def test_generate_records_enqueues_and_reports_queue_position(client, app):
    resp = submit(client, {"workflow": "text_to_image", "prompt": "a cat", "seed": 42})
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status"] == "queued" and body["seed"] == 42
    job = body["job"]
    assert job["job_id"] == body["job_id"] and job["prompt"] == "a cat"
    assert job["queue_position"] == 1 and job["preview_url"] is None
    s = services(app)
    assert s.queue.location(body["job_id"]) == "queued"
    assert s.repo.get(body["job_id"])["status"] == "queued"
    second = submit(client).get_json()
    status = client.get(f"/api/status/{second['job_id']}").get_json()
    assert status["queue_position"] == 2 and status["status"] == "queued"


def test_random_seed_is_resolved_and_recorded(client):
    body = submit(client, {"workflow": "text_to_image", "prompt": "x", "seed": -1}).get_json()
    assert isinstance(body["seed"], int) and body["seed"] >= 0
    assert client.get(f"/api/jobs/{body['job_id']}").get_json()["seed"] == body["seed"]


def test_legacy_fields_are_dropped_for_tools_without_them(client):
    # An old client always sends model/aspect_ratio; face_swap has neither.
    body = {
        "workflow": "sketch_to_image",
        "prompt": "a house",
        "model": "turbo_fp8",
        "aspect_ratio": "1:1",
        "batch_size": 2,
        "images": {"sketch": "data:image/png;base64," + base64.b64encode(png_bytes()).decode()},
    }
    resp = submit(client, body)
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()["job"]
    assert job["batch_size"] == 2 and job["aspect_ratio"] is None
    assert set(job["inputs"]) == {"sketch"}
    assert job["inputs"]["sketch"]["url"].startswith("/api/uploads/")


def test_multipart_generate_with_a_file_part_per_slot(client):
    data = {
        "workflow": "single_image_edit",
        "prompt": "make it blue",
        "seed": "7",
        "params": json.dumps({"steps": 4}),
        "input": (io.BytesIO(png_bytes(fmt="JPEG")), "photo.jpg"),
    }
    resp = client.post("/api/generate", data=data, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()["job"]
    assert job["seed"] == 7 and job["params"]["steps"] == 4
    upload_id = job["inputs"]["input"]["upload_id"]
    image = client.get(f"/api/uploads/{upload_id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"  # a clean JPEG, as sent


def test_upload_id_reference(client):
    up = client.post(
        "/api/uploads",
        data={"file": (io.BytesIO(png_bytes()), "a.png")},
        content_type="multipart/form-data",
    ).get_json()
    body = {"workflow": "single_image_edit", "prompt": "p", "images": {"input": up["upload_id"]}}
    job = submit(client, body).get_json()["job"]
    assert job["inputs"]["input"] == {"upload_id": up["upload_id"], "url": up["url"]}


def _count_jobs(app) -> int:
    with services(app).db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one()


def _files(app) -> list:
    return sorted(p.name for p in services(app).paths.uploads.iterdir())


BAD_BODIES = [
    ({"workflow": "nope", "prompt": "x"}, "unknown_tool", "workflow"),
    (
        {"workflow": "text_to_image", "prompt": "x", "params": {"bogus": 1}},
        "invalid_input",
        "bogus",
    ),
    (
        {"workflow": "text_to_image", "prompt": "x", "extra_field": 1},
        "invalid_input",
        "extra_field",
    ),
    (
        {"workflow": "text_to_image", "prompt": "x", "params": {"steps": "many"}},
        "invalid_input",
        "steps",
    ),
    (
        {"workflow": "text_to_image", "prompt": "x", "params": {"steps": 10_000}},
        "invalid_input",
        "steps",
    ),
    ({"workflow": "text_to_image", "prompt": "x", "batch_size": 64}, "invalid_input", "batch_size"),
    ({"workflow": "text_to_image", "prompt": 5}, "invalid_input", "prompt"),
    ({"workflow": "text_to_image", "prompt": "x" * 2001}, "invalid_input", "prompt"),
    ({"workflow": "text_to_image", "prompt": ""}, "invalid_input", "prompt"),
    ({"workflow": "text_to_image", "prompt": "x", "params": []}, "invalid_input", "params"),
    ({"workflow": "single_image_edit", "prompt": "x"}, "invalid_input", "input"),
    (
        {
            "workflow": "single_image_edit",
            "prompt": "x",
            "images": {"input": "data:image/png;base64,@@"},
        },
        "invalid_image",
        None,
    ),
    (
        {"workflow": "single_image_edit", "prompt": "x", "images": {"input": "0" * 32}},
        "invalid_input",
        "images.input",
    ),
    (
        {
            "workflow": "single_image_edit",
            "prompt": "x",
            "images": {"input": "data:image/gif;base64,R0lGODlhAQABAAAAACw="},
        },
        "unsupported_media_type",
        None,
    ),
    (
        {"workflow": "single_image_edit", "prompt": "x", "images": {"input": 5}},
        "invalid_input",
        "images.input",
    ),
]


@pytest.mark.parametrize(("body", "code", "field"), BAD_BODIES)
def test_generate_rejects_bad_input_without_writing(client, app, body, code, field):
    resp = submit(client, body)
    error = resp.get_json()["error"]
    assert resp.status_code in (400, 415), error
    assert error["code"] == code, error
    if field:
        assert error.get("field") == field
    assert _count_jobs(app) == 0 and services(app).queue.length() == 0


def test_unknown_slot_is_rejected_before_any_upload_is_written(client, app):
    image = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    body = {
        "workflow": "single_image_edit",
        "prompt": "x",
        "images": {"input": image, "../../evil": image},
    }
    resp = submit(client, body)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "images.../../evil"
    assert _files(app) == [] and _count_jobs(app) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("prompt=x", "text/plain", 415),
    ],
)
def test_generate_rejects_bad_bodies(client, data, content_type, status):
    resp = client.post("/api/generate", data=data, content_type=content_type)
    assert resp.status_code == status and resp.is_json and "error" in resp.get_json()


def test_model_must_be_installed_when_an_engine_reports_models(client, app):
    publish_engine(app)
    resp = submit(
        client, {"workflow": "text_to_image", "prompt": "x", "model": "nope_z_image.safetensors"}
    )
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "model"


def test_idempotency_key_returns_the_same_job_and_enqueues_once(client, app):
    headers = {"Idempotency-Key": "abc-123"}
    first = submit(client, headers=headers).get_json()
    second = submit(client, headers=headers)
    assert second.status_code == 202 and second.get_json()["job_id"] == first["job_id"]
    assert services(app).queue.length() == 1 and _count_jobs(app) == 1
    other = submit(client, headers={"Idempotency-Key": "other"}).get_json()
    assert other["job_id"] != first["job_id"]
    bad = submit(client, headers={"Idempotency-Key": "x" * 129})
    assert bad.status_code == 400


def test_idempotent_replay_with_a_data_url_stores_no_second_upload(client, app):
    image = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    body = {"workflow": "single_image_edit", "prompt": "blue", "images": {"input": image}}
    headers = {"Idempotency-Key": "with-image"}
    first = submit(client, body, headers=headers).get_json()
    replay = submit(client, body, headers=headers)
    assert replay.status_code == 202 and replay.get_json()["job_id"] == first["job_id"]
    with services(app).db.connect() as conn:
        stored = conn.execute(sa.text("SELECT COUNT(*) FROM uploads")).scalar()
    assert stored == 1


def test_cancel_while_queued_never_reaches_a_worker(client, app):
    job_id = submit(client).get_json()["job_id"]
    resp = client.post(f"/api/cancel/{job_id}")
    assert resp.status_code == 200 and resp.get_json() == {"job_id": job_id, "status": "cancelled"}
    s = services(app)
    assert s.queue.length() == 0 and s.queue.claim("w1", timeout=0) is None
    assert s.queue.is_cancel_requested(job_id)
    assert s.repo.attempts.claim(job_id, "w1") is None
    again = client.post(f"/api/cancel/{job_id}")  # idempotent
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"


def test_cancel_running_job_raises_the_flag_for_its_worker(client, app):
    job_id = submit(client).get_json()["job_id"]
    s = services(app)
    assert s.queue.claim("w1", timeout=0).job_id == job_id
    s.repo.attempts.claim(job_id, "w1")
    assert client.post(f"/api/cancel/{job_id}").get_json()["status"] == "cancelled"
    assert s.queue.is_cancel_requested(job_id)


def test_cancel_finished_job_is_a_conflict_and_unknown_is_404(client, app):
    job_id = submit(client).get_json()["job_id"]
    finish_job(app, job_id)
    resp = client.post(f"/api/cancel/{job_id}")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "conflict"
    assert client.post("/api/cancel/nope").status_code == 404


def test_unknown_job_is_404_json(client):
    for path in ("/api/status/nope", "/api/jobs/nope"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "job_not_found"


def test_live_progress_is_merged_into_status(client, app):
    job_id = submit(client).get_json()["job_id"]
    s = services(app)
    s.repo.attempts.claim(job_id, "w1")
    s.live.update(job_id, status="processing", progress=40, current_node="KSampler")
    s.live.set_preview(job_id, png_bytes(8, 8))
    job = client.get(f"/api/status/{job_id}").get_json()
    assert job["progress"] == 40 and job["current_node"] == "KSampler"
    assert job["preview_url"].startswith(f"/api/jobs/{job_id}/preview")
    frame = client.get(job["preview_url"])
    assert frame.status_code == 200 and frame.mimetype == "image/png"


def test_redis_down_before_recording_is_503_and_nothing_is_recorded(make_app, app):
    from studio_ops.processes import free_port

    down = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    resp = submit(token_client(down))
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert resp.get_json()["error"]["code"] == "redis_unavailable"
    assert _count_jobs(down) == 0


@pytest.mark.usefixtures("db_engine")
def test_submit_list_cancel_on_each_database(db_app):
    client = token_client(db_app)
    first = submit(client, {"workflow": "text_to_image", "prompt": "über 猫"}).get_json()
    second = submit(client, headers={"Idempotency-Key": "k1"}).get_json()
    assert (
        submit(client, headers={"Idempotency-Key": "k1"}).get_json()["job_id"] == second["job_id"]
    )
    page = client.get("/api/jobs?q=猫").get_json()
    assert page["total"] == 1 and page["jobs"][0]["prompt"] == "über 猫"
    assert client.post(f"/api/cancel/{first['job_id']}").get_json()["status"] == "cancelled"
    finish_job(db_app, second["job_id"])
    assert client.post(f"/api/cancel/{second['job_id']}").status_code == 409
    counts = client.get("/api/metrics").get_json()["jobs_by_status"]
    assert counts["cancelled"] == 1 and counts["finished"] == 1
