"""User uploads: check the image (studio_core.images), store it under a random name, record it.

Checking decodes the whole image: up to ~2x its RGB size for a photo that is turned and
re-encoded (a 4096x3900 JPEG: ~100 MB) and a core for a fraction of a second. UploadSlots
lets MAX_CONCURRENT_CHECKS run at once in a process; without it one user's burst of uploads
ran on every request thread at once (32 photos: +1.8 GB in one backend). An upload that
waits SLOT_WAIT_S for a slot is a 429 with Retry-After and stores nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from studio_core.db.engine import write_transaction
from studio_core.db.tables import uploads
from studio_core.db.utc import utcnow
from studio_core.errors import NotFound, TooManyRequests
from studio_core.images import ImageLimits, check_image
from studio_core.storage import StoragePaths

logger = logging.getLogger(__name__)

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")  # what a request may name an upload by
MAX_CONCURRENT_CHECKS = 2  # one per core of the target machine
SLOT_WAIT_S = 10.0  # a few photos ahead of it; longer means a burst: 429


class Readable(Protocol):
    """An uploaded file not read yet (werkzeug's FileStorage, a file object)."""

    def read(self) -> bytes: ...


class UploadSlots:
    """At most `max_concurrent` image checks at once in this process (see the docstring)."""

    def __init__(
        self,
        max_concurrent: int = MAX_CONCURRENT_CHECKS,
        wait_s: float = SLOT_WAIT_S,
        when_idle: Callable[[], object] | None = None,
    ):
        """`when_idle` runs each time the last check in progress ends (the backend gives the
        decoders' freed memory back to the system there: studio_core.memory)."""
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self.wait_s = wait_s
        self._when_idle = when_idle
        self._lock = threading.Lock()
        self._busy = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot; TooManyRequests when none frees up within `wait_s`."""
        if not self._slots.acquire(timeout=self.wait_s):
            raise TooManyRequests(
                "too many images are being checked at once; send it again in a moment",
                retry_after=2,
            )
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                idle = self._busy == 0
            self._slots.release()
            if idle and self._when_idle is not None:
                self._when_idle()


def save_upload(
    engine: Engine,
    paths: StoragePaths,
    user_id: int,
    data: bytes | Readable,
    limits: ImageLimits,
    min_free_bytes: int = 0,
    slots: UploadSlots | None = None,
) -> dict[str, Any]:
    """Validate and store an uploaded image (as sent when clean); returns its `uploads` row.

    `data` may be a file not read yet: it is read once a slot is held, so requests waiting
    for one hold no copy of their image in memory. Raises StorageFull (less than
    min_free_bytes free, or the disk filled up while writing), PayloadTooLarge,
    UnsupportedMediaType or InvalidImage before anything is kept, and TooManyRequests when
    `slots` has none free in time (None: no bound, for tools and tests).
    """
    paths.check_room(min_free_bytes)
    with slots.slot() if slots is not None else nullcontext():
        if not isinstance(data, bytes):
            data = data.read()
        image = check_image(data, limits)
    del data  # the caller's copy may go; only the checked bytes are kept from here
    relative = paths.write_upload(image)
    row = {
        "id": relative.rsplit("/", 1)[1].split(".", 1)[0],
        "user_id": user_id,
        "path": relative,
        "mime": image.mime,
        "width": image.width,
        "height": image.height,
        "size_bytes": len(image.data),
        "sha256": hashlib.sha256(image.data).hexdigest(),
        "created_at": utcnow(),
        "used_by_job": None,
    }
    try:
        with write_transaction(engine) as conn:
            conn.execute(sa.insert(uploads).values(**row))
    except Exception:
        paths.remove([relative])  # no row, no file: do not leave an orphan behind
        raise
    logger.info(
        "upload stored upload=%s user=%s size=%sx%s mime=%s bytes=%s",
        row["id"],
        user_id,
        image.width,
        image.height,
        image.mime,
        row["size_bytes"],
    )
    return row


def get_upload(engine: Engine, upload_id: str, user_id: int | None) -> dict[str, Any]:
    """The upload row if it exists and belongs to user_id (None: any owner); else NotFound."""
    query = sa.select(uploads).where(uploads.c.id == upload_id)
    if user_id is not None:
        query = query.where(uploads.c.user_id == user_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"upload {upload_id} not found")
    return dict(row._mapping)
