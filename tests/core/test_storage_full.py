"""A full disk: every storage write raises StorageFull, leaves no temp file and no half pair.

The volume is a real 2 MB tmpfs filled to the last byte, so the errors are the kernel's.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from studio_core.db.tables import uploads
from studio_core.errors import StorageFull
from studio_core.images import CheckedImage, Limits
from studio_core.storage import MB, StoragePaths
from studio_core.uploads import save_upload
from tests.core.helpers import add_user


def _png(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((width, height), 64).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def _leftovers(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.endswith(".tmp"))


def test_write_upload_on_a_full_disk_raises_storage_full_and_leaves_nothing(full_volume):
    image = CheckedImage(_png(), "image/png", 64, 64)
    with pytest.raises(StorageFull) as raised:
        full_volume.write_upload(image)
    assert str(raised.value).startswith(f"storage is full: 0 MB free under {full_volume.root}")
    assert raised.value.status == 507 and raised.value.code == "storage_full"
    assert _leftovers(full_volume.root) == []
    assert list(full_volume.uploads.iterdir()) == []


def test_write_output_on_a_full_disk_raises_storage_full_and_leaves_nothing(full_volume):
    with pytest.raises(StorageFull):
        full_volume.write_output("job1", 0, _png(), 32)
    assert _leftovers(full_volume.root) == []
    assert sorted(p.name for p in full_volume.outputs.rglob("*.*")) == []


def test_output_whose_thumbnail_does_not_fit_is_removed_too(full_volume):
    (full_volume.root / "filler").unlink()
    data = _png(400, 400)  # noise: the PNG is large, its WebP thumbnail smaller
    with open(full_volume.root / "filler", "wb") as filler:
        # Leave room for the PNG plus a few bytes: the thumbnail is the write that fails.
        filler.write(b"\0" * (full_volume.free_bytes() - len(data) - 8192))
    with pytest.raises(StorageFull):
        full_volume.write_output("job1", 0, data, 256)
    assert _leftovers(full_volume.root) == []
    assert sorted(p.name for p in full_volume.outputs.rglob("*.*")) == []


def test_save_upload_on_a_full_disk_records_nothing(full_volume, db_engine):
    user = add_user(db_engine, "ada")
    with pytest.raises(StorageFull):
        save_upload(db_engine, full_volume, user, _png(), Limits())
    assert _leftovers(full_volume.root) == []
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(uploads)).scalar() == 0


def test_check_room_compares_free_space_with_the_floor(tmp_path):
    paths = StoragePaths(tmp_path).ensure()
    free = paths.free_bytes()
    assert free > 0
    paths.check_room(0)
    paths.check_room(1)
    with pytest.raises(StorageFull) as raised:
        paths.check_room(free + 1024 * MB)
    assert f"under {paths.root}" in str(raised.value)
    assert "must stay free" in str(raised.value)


def test_atomic_write_removes_its_temp_file_on_any_error(tmp_path):
    paths = StoragePaths(tmp_path).ensure()
    (paths.thumbs / "job1_0.webp").mkdir()  # the rename onto a directory fails
    with pytest.raises(IsADirectoryError):  # not a full disk: the error is not disguised
        paths.write_output("job1", 0, _png(), 32)
    assert _leftovers(paths.root) == []
    assert not (paths.outputs / "job1_0.png").exists()
