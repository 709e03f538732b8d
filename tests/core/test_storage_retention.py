"""Uploads recorded in SQL, job deletion removing files, and the retention sweep."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from studio_core.db.migrate import upgrade
from studio_core.db.tables import LOCAL_USER_ID, jobs, uploads
from studio_core.db.utc import utcnow
from studio_core.errors import InvalidImage, InvalidInput, NotFound
from studio_core.images import Limits
from studio_core.retention import main as retention_main
from studio_core.retention import retention_sweep
from studio_core.uploads import get_upload, save_upload
from tests.core.helpers import add_user

LOCAL = LOCAL_USER_ID


def png(color="red", size=(16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def age(engine, table, row_id, when):
    """Move a row's timestamps back in time."""
    values = {"created_at": when}
    if table is jobs:
        values["finished_at"] = when
    with engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == row_id).values(**values))


def finished_job(repo, paths, inputs=None, n_outputs=1):
    job, _ = repo.create({"user_id": LOCAL, "tool": "t"}, inputs or {})
    attempt = repo.attempts.claim(job["id"], "w")
    outputs = [paths.write_output(job["id"], n, png("blue"), 64) for n in range(n_outputs)]
    assert repo.attempts.finish(job["id"], attempt, outputs)
    return repo.get(job["id"])


def test_save_upload_stores_a_clean_png_and_a_row(db_engine, paths):
    row = save_upload(db_engine, paths, LOCAL, png(), Limits())
    assert row["path"] == f"uploads/{row['id']}.png" and len(row["id"]) == 32
    assert (paths.root / row["path"]).is_file() and row["mime"] == "image/png"
    assert get_upload(db_engine, row["id"], LOCAL)["sha256"] == row["sha256"]
    stranger = add_user(db_engine, "mallory")
    with pytest.raises(NotFound):
        get_upload(db_engine, row["id"], stranger)
    with pytest.raises(InvalidImage):
        save_upload(db_engine, paths, LOCAL, png()[:40], Limits())
    assert len(list(paths.uploads.iterdir())) == 1


def test_jobs_reference_their_inputs_and_only_the_owners_uploads(db_engine, paths, repo):
    upload = save_upload(db_engine, paths, LOCAL, png(), Limits())
    job = finished_job(repo, paths, {"image": upload["id"]})
    assert job["inputs"] == [{"slot": "image", "upload_id": upload["id"], "path": upload["path"]}]
    assert get_upload(db_engine, upload["id"], None)["used_by_job"] == job["id"]
    other = add_user(db_engine, "oscar")
    with pytest.raises(InvalidInput) as err:
        repo.create({"user_id": other, "tool": "t"}, {"image": upload["id"]})
    assert err.value.field == "images.image"


def test_deleting_a_job_keeps_inputs_a_remix_still_uses(db_engine, paths, repo):
    upload = save_upload(db_engine, paths, LOCAL, png(), Limits())
    first = finished_job(repo, paths, {"image": upload["id"]}, n_outputs=2)
    remix = finished_job(repo, paths, {"image": upload["id"]})
    files = repo.soft_delete(first["id"], LOCAL)
    assert sorted(files) == sorted(
        [f"outputs/{first['id']}_{n}.png" for n in range(2)]
        + [f"outputs/thumbs/{first['id']}_{n}.webp" for n in range(2)]
    )
    assert paths.remove(files) == 4
    assert repo.soft_delete(remix["id"], LOCAL)[-1] == upload["path"]  # last user: goes now
    with pytest.raises(NotFound):
        get_upload(db_engine, upload["id"], LOCAL)


def test_retention_sweep(db_engine, paths, repo):
    now = utcnow()
    old_upload = save_upload(db_engine, paths, LOCAL, png(), Limits())
    new_upload = save_upload(db_engine, paths, LOCAL, png("green"), Limits())
    used_upload = save_upload(db_engine, paths, LOCAL, png("blue"), Limits())
    for upload in (old_upload, used_upload):
        age(db_engine, uploads, upload["id"], now - timedelta(hours=25))
    old_job = finished_job(repo, paths, {"image": used_upload["id"]})
    favourite = finished_job(repo, paths)
    recent = finished_job(repo, paths)
    for job in (old_job, favourite):
        age(db_engine, jobs, job["id"], now - timedelta(days=31))
    repo.set_favorite(favourite["id"], LOCAL, True)
    deleted = finished_job(repo, paths)
    repo.soft_delete(deleted["id"], LOCAL)  # the caller "crashed" before removing its files
    stale = paths.outputs / ".x.png.0000.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    counts = retention_sweep(db_engine, paths, now, upload_hours=24, output_days=30)

    assert counts == {"uploads": 1, "jobs": 1, "files": 1 + 3 + 2 + 1}
    assert not (paths.root / old_upload["path"]).exists()
    assert (paths.root / new_upload["path"]).exists()
    assert not (paths.root / used_upload["path"]).exists()  # went with its expired job
    assert not (paths.outputs / f"{old_job['id']}_0.png").exists()
    assert not (paths.outputs / f"{deleted['id']}_0.png").exists()
    assert not stale.exists()
    assert {j["id"] for j in repo.list(LOCAL)[1]} == {favourite["id"], recent["id"]}
    assert (paths.thumbs / f"{favourite['id']}_0.webp").exists()
    assert repo.events(old_job["id"])[-1]["detail"] == "removed by retention"
    assert retention_sweep(db_engine, paths, now, 24, 30) == {"uploads": 0, "jobs": 0, "files": 0}


def test_retention_cli_runs_against_the_configured_storage(tmp_path, monkeypatch, restore_logging):
    storage = tmp_path / "storage"
    upgrade(f"sqlite:///{storage / 'studio.db'}")
    monkeypatch.chdir(tmp_path)  # no developer .env; LOG_DIR and STORAGE_DIR from env
    monkeypatch.setenv("STORAGE_DIR", str(storage))
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert retention_main([]) == 0
    assert (
        "retention swept uploads=0 jobs=0 files=0"
        in (tmp_path / "logs" / "retention.log").read_text()
    )
