"""Reading my jobs: outputs, the list with filters and the real total, favourites, delete."""

from __future__ import annotations

import pytest

from tests.backend.helpers import finish_job, services, submit


def test_finished_job_shows_outputs(client, app):
    job_id = submit(client, {"workflow": "text_to_image", "prompt": "x", "batch_size": 2})
    job_id = job_id.get_json()["job_id"]
    finish_job(app, job_id, images=2)
    job = client.get(f"/api/status/{job_id}").get_json()
    assert job["status"] == "finished" and job["progress"] == 100
    assert job["images"] == [f"/outputs/{job_id}_0.png", f"/outputs/{job_id}_1.png"]
    assert job["image_url"] == job["images"][0]
    assert job["outputs"][1]["thumb_url"] == f"/outputs/thumbs/{job_id}_1.webp"
    assert job["created_at"].endswith("+00:00")


def test_delete_job_removes_files_and_refuses_active_jobs(client, app):
    job_id = submit(client).get_json()["job_id"]
    assert client.delete(f"/api/jobs/{job_id}").status_code == 409
    finish_job(app, job_id)
    out = services(app).paths.outputs / f"{job_id}_0.png"
    assert out.is_file()
    resp = client.delete(f"/api/jobs/{job_id}")
    assert resp.status_code == 204 and not out.exists()
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert client.get("/api/jobs").get_json()["total"] == 0


def test_favorite(client):
    job_id = submit(client).get_json()["job_id"]
    resp = client.post(f"/api/jobs/{job_id}/favorite", json={"favorite": True})
    assert resp.status_code == 200 and resp.get_json()["favorite"] is True
    listed = client.get("/api/jobs?favorite=1").get_json()
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    assert client.post(f"/api/jobs/{job_id}/favorite", json={"favorite": "yes"}).status_code == 400
    assert client.post("/api/jobs/nope/favorite", json={"favorite": True}).status_code == 404


def test_history_total_filters_and_search(client, app):
    ids = [
        submit(client, {"workflow": "text_to_image", "prompt": f"a red cat {i}"}).get_json()[
            "job_id"
        ]
        for i in range(3)
    ]
    submit(client, {"workflow": "text_to_image_classic", "prompt": "100% blue dog"})
    finish_job(app, ids[0])
    page = client.get("/api/history?limit=2&offset=0").get_json()
    assert page["total"] == 4 and len(page["jobs"]) == 2 and page["limit"] == 2
    assert client.get("/api/jobs?q=RED").get_json()["total"] == 3
    assert client.get("/api/jobs?q=100%25").get_json()["total"] == 1
    assert client.get("/api/jobs?q=5%25").get_json()["total"] == 0  # % is literal
    assert client.get("/api/jobs?status=finished").get_json()["total"] == 1
    assert client.get("/api/jobs?active=1").get_json()["total"] == 3
    assert client.get("/api/jobs?tool=text_to_image_classic").get_json()["total"] == 1
    last = client.get("/api/jobs?limit=1&offset=3").get_json()["jobs"]
    assert [j["job_id"] for j in last] == [ids[0]]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=500",
        "limit=abc",
        "offset=-1",
        "offset=x",
        "status=weird",
        "favorite=maybe",
        "active=2",
    ],
)
def test_list_rejects_bad_query(client, query):
    resp = client.get(f"/api/jobs?{query}")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_input"
