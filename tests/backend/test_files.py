"""Uploads (checked, re-encoded, owner only) and outputs (owner only, no path tricks)."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from PIL import Image

from studio_core.db.tables import jobs
from studio_core.uploads import UploadSlots
from tests.backend.helpers import (
    USER_PASSWORD,
    finish_job,
    login_client,
    make_user,
    png_bytes,
    publish_engine,
    services,
    submit,
    token_client,
)


def _upload(client, data: bytes, name: str = "x.png"):
    return client.post(
        "/api/uploads", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_upload_accepts_png_jpeg_webp_and_keeps_clean_files_as_sent(client, fmt):
    sent = png_bytes(40, 30, fmt=fmt)
    resp = _upload(client, sent)
    assert resp.status_code == 201
    body = resp.get_json()
    mime = f"image/{fmt.lower()}"
    assert body["width"] == 40 and body["height"] == 30 and body["mime"] == mime
    assert body["url"] == f"/api/uploads/{body['upload_id']}"
    image = client.get(body["url"])
    assert image.status_code == 200 and image.data == sent and image.mimetype == mime
    assert image.headers["Cache-Control"].startswith("private")


def test_upload_strips_exif(client):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (1.0, 2.0, 3.0)}  # GPSInfo
    original = png_bytes(fmt="JPEG", exif=exif.tobytes())
    assert b"SpyCam" in original
    body = _upload(client, original).get_json()
    data = client.get(body["url"]).data
    assert b"SpyCam" not in data and not Image.open(io.BytesIO(data)).getexif()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")  # tiny file, 400 MP
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (_gif(), 415, "unsupported_media_type"),
        (b"hello, I am text", 415, "unsupported_media_type"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, 400, "invalid_image"),
        (_bomb(), 400, "invalid_image"),
    ],
    ids=["gif", "text", "truncated", "bomb"],
)
def test_upload_rejects_bad_images(client, app, data, status, code):
    resp = _upload(client, data)
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert list(services(app).paths.uploads.iterdir()) == []


def test_upload_needs_multipart_and_a_file_part(client):
    assert client.post("/api/uploads", json={"file": "x"}).status_code == 415
    resp = client.post("/api/uploads", data={"other": "x"}, content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "file"


def test_oversized_request_is_413_json(make_app):
    client = token_client(make_app(MAX_UPLOAD_MB=1))
    resp = _upload(client, b"\x89PNG\r\n\x1a\n" + b"0" * (3 * 1024 * 1024))
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "payload_too_large"


def test_upload_of_another_user_is_404(user_client, app):
    client = user_client["a"]  # a plain user: the admin reaches everyone's uploads
    body = _upload(client, png_bytes()).get_json()
    with services(app).db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (username, password_hash, role, disabled, "
                "created_at) VALUES ('mallory', 'x', 'user', 0, '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "UPDATE uploads SET user_id = (SELECT id FROM users WHERE username = 'mallory')"
            )
        )
    assert client.get(body["url"]).status_code == 404
    assert client.get("/api/uploads/../../studio.db").status_code == 404


def test_outputs_are_served_to_the_owner(user_client, app):
    client = user_client["a"]  # a plain user: the admin reaches everyone's outputs
    job_id = submit(client).get_json()["job_id"]
    finish_job(app, job_id)
    full = client.get(f"/outputs/{job_id}_0.png")
    assert full.status_code == 200 and full.mimetype == "image/png"
    thumb = client.get(f"/outputs/thumbs/{job_id}_0.webp")
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    assert client.get(f"/outputs/{job_id}_1.png").status_code == 404  # not an output of it
    # Another user's job: its files exist but are not mine.
    with services(app).db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (username, password_hash, role, disabled, "
                "created_at) VALUES ('eve', 'x', 'user', 0, '2026-01-01')"
            )
        )
        eve = conn.execute(sa.text("SELECT id FROM users WHERE username='eve'")).scalar_one()
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(user_id=eve))
    resp = client.get(f"/outputs/{job_id}_0.png")
    assert resp.status_code == 404 and resp.is_json


@pytest.mark.parametrize(
    "path",
    [
        "/outputs/../studio.db",
        "/outputs/..%2fstudio.db",
        "/outputs/%2e%2e/%2e%2e/etc/passwd",
        "/outputs/thumbs/../../studio.db",
        "/outputs/x_0.png/../../studio.db",
        "/outputs/C:%5cwindows%5cwin.ini",
        "/outputs/thumbs/x_0.png",
        "/outputs/x_0.webp",
    ],
)
def test_output_path_tricks_are_404(client, app, path):
    resp = client.get(path)
    assert resp.status_code == 404 and resp.is_json
    assert b"SQLite" not in resp.data and b"root:" not in resp.data


def test_uploads_count_against_the_generate_limit_not_the_reads(make_app):
    """Decoding an image costs work: uploads and generates draw on one RATE_LIMIT_GENERATE
    bucket per user (issue 9), and neither on the reads' limit, nor the reads on theirs."""
    app = make_app(
        RATE_LIMIT_READS="2/minute", RATE_LIMIT_GENERATE="3/minute", RATE_LIMIT_IMPORTS="1/minute"
    )
    make_user(app, "alice")
    client = login_client(app, "alice", USER_PASSWORD)  # the bucket is the user's
    client.environ_base["HTTP_X_CSRF_TOKEN"] = client.csrf
    assert _upload(client, png_bytes()).status_code == 201
    assert submit(client).status_code == 202
    assert _upload(client, png_bytes()).status_code == 201  # the third of three
    for refused in (_upload(client, png_bytes()), submit(client)):
        assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/jobs").status_code == 200  # reads keep their own bucket
    assert client.get("/api/jobs").status_code == 200  # ... untouched by the five writes
    other = token_client(app, make_user(app, "bob")["id"])
    assert _upload(other, png_bytes()).status_code == 201  # another user, another bucket


def test_uploads_wait_for_a_free_decode_slot_then_are_json_429(app, client):
    """Both ways in (an upload, a multipart generate with a file) check their image in one of
    the process's UploadSlots; with all of them taken the request is a 429 with Retry-After."""
    publish_engine(app)
    s = services(app)
    s.upload_slots = UploadSlots(max_concurrent=1, wait_s=0.2)
    photo = png_bytes(fmt="JPEG")
    with s.upload_slots.slot():  # another request is decoding an image
        answers = [
            _upload(client, photo, "p.jpg"),
            client.post(
                "/api/generate",
                data={"workflow": "single_image_edit", "prompt": "a",
                      "input": (io.BytesIO(photo), "p.jpg")},
                content_type="multipart/form-data",
            ),
        ]  # fmt: skip
        for resp in answers:
            assert resp.status_code == 429, resp.get_data(as_text=True)
            assert resp.get_json()["error"]["code"] == "rate_limited"
            assert int(resp.headers["Retry-After"]) >= 1
    assert _upload(client, photo, "p.jpg").status_code == 201
    assert client.get("/api/jobs").get_json()["total"] == 0  # the refused generate queued nothing


class _RecordingSlots(UploadSlots):
    """UploadSlots that note when a slot is taken, in one list with the file reads."""

    def __init__(self, events: list[str]):
        super().__init__(max_concurrent=1, wait_s=0.2)
        self.events = events

    def slot(self):
        self.events.append("slot")
        return super().slot()


def test_both_ways_in_read_the_file_only_once_a_slot_is_held(app, client, monkeypatch):
    """A request waiting for its turn holds no copy of its image (issue 9): the upload and the
    multipart generate (with a mask, whose size check reads the part's header) read the part
    after the slot is taken, once."""
    from werkzeug.datastructures import FileStorage

    from tests.backend.test_masks import mask_png, upload

    publish_engine(app)
    mask = upload(client, mask_png())
    events: list[str] = []

    def read(self, size=-1):
        if size is None or size < 0:  # the whole part (Pillow reads a header in pieces)
            events.append("read")
        return self.stream.read(size)

    # FileStorage hands read() to its stream through __getattr__; a class attribute comes first.
    monkeypatch.setattr(FileStorage, "read", read, raising=False)
    services(app).upload_slots = _RecordingSlots(events)
    photo = png_bytes(64, 48)
    assert _upload(client, photo).status_code == 201
    form = {"workflow": "single_image_edit", "prompt": "a", "masks": json.dumps({"input": mask}),
            "input": (io.BytesIO(photo), "p.png")}  # fmt: skip
    resp = client.post("/api/generate", data=form, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    assert events == ["slot", "read", "slot", "read"]
