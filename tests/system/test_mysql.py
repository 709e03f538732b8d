"""The main happy path on MariaDB/MySQL: a live studio whose DATABASE_URL is a database we made."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.system.helpers import (
    TERMINAL,
    StudioDb,
    fetch_outputs,
    get,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.mysql


def test_happy_path_on_mariadb(make_studio, mysql_url):
    studio = make_studio("mysql", DATABASE_URL=mysql_url)
    assert studio.env["DATABASE_URL"].startswith("mysql")
    marker = uuid.uuid4().hex[:8]
    image = upload(studio, png_bytes())
    key = f"mysql-{marker}"
    first = requests.post(
        studio.url + "/api/generate",
        json={"prompt": f"{marker} 雪山 ☃", "batch_size": 2},
        headers={**studio.headers, "Idempotency-Key": key},
        timeout=10,
    )
    again = requests.post(
        studio.url + "/api/generate",
        json={"prompt": f"{marker} 雪山 ☃", "batch_size": 2},
        headers={**studio.headers, "Idempotency-Key": key},
        timeout=10,
    )
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["job_id"] == again.json()["job_id"]
    edit = studio.generate(
        workflow="single_image_edit", prompt=f"{marker} edit", images={"input": image}
    )
    db = StudioDb(studio)
    try:
        for job_id in (first.json()["job_id"], edit["job_id"]):
            job = studio.wait_status(job_id, TERMINAL)
            assert job["status"] == "finished", job
            assert job["created_at"].endswith("+00:00") and job["finished_at"]
            fetch_outputs(studio, job)
            assert db.terminal_events(job_id) == ["finished"]
            assert len(db.output_rows(job_id)) == job["batch_size"]
    finally:
        db.close()
    history = get(studio, "/api/history", q=marker).json()
    assert history["total"] == 2
    assert any(j["prompt"] == f"{marker} 雪山 ☃" for j in history["jobs"])  # utf8mb4 round trip
    assert get(studio, "/api/history", q=marker, tool="single_image_edit").json()["total"] == 1
