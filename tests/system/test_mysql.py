"""The main happy path on MariaDB/MySQL: a live studio whose DATABASE_URL is a database we made."""

from __future__ import annotations

import os
import secrets
import uuid

import pytest
import requests
from sqlalchemy.engine import make_url

from studio_core.db.engine import make_engine
from tests.system.support import (
    TERMINAL,
    StudioDb,
    fetch_outputs,
    get,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.mysql


@pytest.fixture
def mysql_url():
    """A dedicated database on STUDIO_TEST_MYSQL_URL's server, dropped afterwards."""
    base = os.environ.get("STUDIO_TEST_MYSQL_URL")
    if not base:
        pytest.skip("STUDIO_TEST_MYSQL_URL not set")
    url = make_url(base)
    name = f"studio_sys_{secrets.token_hex(6)}"
    server = make_engine(url.set(database=""))
    with server.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        server.dispose()


def test_happy_path_on_mariadb(make_studio, mysql_url):
    studio = make_studio("mysql", DATABASE_URL=mysql_url)
    assert studio.env["DATABASE_URL"].startswith("mysql")
    marker = uuid.uuid4().hex[:8]
    image = upload(studio, png_bytes())
    key = f"mysql-{marker}"
    first = requests.post(
        studio.url + "/api/generate",
        json={"prompt": f"{marker} 雪山 ☃", "batch_size": 2},
        headers={"Idempotency-Key": key},
        timeout=10,
    )
    again = requests.post(
        studio.url + "/api/generate",
        json={"prompt": f"{marker} 雪山 ☃", "batch_size": 2},
        headers={"Idempotency-Key": key},
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
