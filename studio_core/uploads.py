"""User uploads: check the image (studio_core.images), store it under a random name, record it."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from studio_core.db.engine import write_transaction
from studio_core.db.tables import uploads
from studio_core.db.utc import utcnow
from studio_core.errors import NotFound
from studio_core.images import ImageLimits, check_image
from studio_core.storage import StoragePaths

logger = logging.getLogger(__name__)

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")  # what a request may name an upload by


def save_upload(
    engine: Engine,
    paths: StoragePaths,
    user_id: int,
    data: bytes,
    limits: ImageLimits,
    min_free_bytes: int = 0,
) -> dict[str, Any]:
    """Validate and store an uploaded image (as sent when clean); returns its `uploads` row.

    Raises StorageFull (less than min_free_bytes free, or the disk filled up while writing),
    PayloadTooLarge, UnsupportedMediaType or InvalidImage before anything is kept.
    """
    paths.check_room(min_free_bytes)
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
