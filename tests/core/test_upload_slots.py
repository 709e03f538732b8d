"""Image checks share a process's UploadSlots: when every slot is taken, an upload waits, then
is a 429 that stores nothing; a freed slot lets it through (issue 9: one user's burst of
photo uploads must not decode on every request thread at once)."""

from __future__ import annotations

import io
from contextlib import ExitStack

import pytest
import sqlalchemy as sa
from PIL import Image

from studio_core.db.tables import LOCAL_USER_ID, uploads
from studio_core.errors import InvalidImage, TooManyRequests
from studio_core.images import Limits
from studio_core.uploads import UploadSlots, save_upload


def _photo() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((256, 192), 40).convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def _stored(engine, paths) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(uploads)).scalar_one()
    return rows, sum(1 for _ in paths.uploads.iterdir())


def test_an_upload_waits_for_a_free_slot_then_is_429_and_stores_nothing(db_engine, paths):
    slots = UploadSlots(max_concurrent=2, wait_s=0.2)
    with ExitStack() as busy:
        for _ in range(2):  # two checks in progress elsewhere in this process
            busy.enter_context(slots.slot())
        with pytest.raises(TooManyRequests) as refused:
            save_upload(db_engine, paths, LOCAL_USER_ID, _photo(), Limits(), slots=slots)
        assert refused.value.retry_after and refused.value.status == 429
        assert _stored(db_engine, paths) == (0, 0)
        busy.close()  # one frees up (both, here): the next upload gets through
    row = save_upload(db_engine, paths, LOCAL_USER_ID, _photo(), Limits(), slots=slots)
    assert row["mime"] == "image/jpeg" and _stored(db_engine, paths) == (1, 1)
    # A failed check gives its slot back too.
    broken = b"\x89PNG\r\n\x1a\nbroken"
    with pytest.raises(InvalidImage):
        save_upload(db_engine, paths, LOCAL_USER_ID, broken, Limits(), slots=slots)
    with ExitStack() as busy:
        for _ in range(2):
            busy.enter_context(slots.slot())  # both free again, or this would wait and raise


def test_when_idle_runs_once_the_last_check_in_progress_ends():
    """The backend returns the decoders' freed memory there (a burst of 48 photos left +240 MB
    held in a backend before, +24 MB after: tests/system/test_issue9_outside_abuse.py)."""
    ran = []
    slots = UploadSlots(max_concurrent=2, wait_s=0.2, when_idle=lambda: ran.append(1))
    with slots.slot():
        with slots.slot():
            pass
        assert ran == []  # one check still in progress
    assert ran == [1]
    with pytest.raises(InvalidImage), slots.slot():
        raise InvalidImage("a check that fails ends too")
    assert ran == [1, 1]
