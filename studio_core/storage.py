"""Files under STORAGE_DIR: paths, data URLs, uploads, outputs and thumbnails.

storage/uploads/<random>.<png|jpg|webp> checked user uploads (studio_core.images)
storage/outputs/<job_id>_<n>.png      every image of a batch
storage/outputs/thumbs/<job_id>_<n>.webp
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import logging
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from PIL import Image, UnidentifiedImageError

from studio_core.errors import (
    InvalidImage,
    InvalidInput,
    PayloadTooLarge,
    StorageFull,
    UnsupportedMediaType,
)
from studio_core.images import EXTENSIONS, CheckedImage

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?((?:;[^;,]*)*?);base64,", re.IGNORECASE)
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})  # no room on the volume / over quota
MB = 1024 * 1024


class StoredOutput(NamedTuple):
    """One saved output image, as `JobRepository.finish` records it."""

    idx: int
    filename: str
    thumb_filename: str
    width: int
    height: int
    size_bytes: int


def decode_data_url(value: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a `data:image/...;base64,` URL; InvalidImage / PayloadTooLarge on errors."""
    if not isinstance(value, str):
        raise InvalidInput("image must be an upload id or a data URL")
    match = _DATA_URL.match(value)
    if not match:
        raise InvalidImage("image must be a base64 data URL (data:image/png;base64,...)")
    if match.group(1) is None:
        raise UnsupportedMediaType("data URL must have an image/* media type")
    payload = value[match.end() :]
    if max_bytes is not None and len(payload) * 3 // 4 > max_bytes + 3:
        raise PayloadTooLarge(f"image is larger than {max_bytes // (1024 * 1024)} MB")
    try:
        return base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImage("image data URL is not valid base64") from None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file + rename so readers never see a half-written image."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not fill up further with our leftovers
        raise


class StoragePaths:
    """The storage directory layout; every file path the studio writes comes from here."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.uploads = self.root / "uploads"
        self.outputs = self.root / "outputs"
        self.thumbs = self.outputs / "thumbs"

    def ensure(self) -> StoragePaths:
        """Create the directories if missing; returns self."""
        for directory in (self.uploads, self.outputs, self.thumbs):
            directory.mkdir(parents=True, exist_ok=True)
        return self

    def free_bytes(self) -> int:
        """Free space on the volume that holds the storage root (one statvfs)."""
        return shutil.disk_usage(self.root).free

    def check_room(self, min_free_bytes: int) -> None:
        """Raise StorageFull when less than min_free_bytes are free (STORAGE_MIN_FREE_MB).

        A floor of 0 turns the check off without a statvfs.
        """
        if min_free_bytes <= 0:
            return
        free = self.free_bytes()
        if free < min_free_bytes:
            raise StorageFull(
                f"{self._full_message(free)}; at least {min_free_bytes // MB} MB must stay free"
            )

    def _full_message(self, free: int) -> str:
        return f"storage is full: {free // MB} MB free under {self.root}"

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn "no space left" (or over quota) from any write into StorageFull."""
        try:
            yield
        except OSError as exc:
            if exc.errno not in _FULL_ERRNOS:
                raise
            try:
                free = self.free_bytes()
            except OSError:
                free = 0
            raise StorageFull(self._full_message(free)) from exc

    def resolve(self, relative: str) -> Path:
        """Absolute path of a storage-relative name; ValueError if it escapes the root."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"path escapes storage: {relative!r}")
        return path

    @staticmethod
    def output_names(job_id: str, n: int) -> tuple[str, str]:
        """(`<job_id>_<n>.png`, `<job_id>_<n>.webp`) for output n of a job."""
        if not _SAFE_ID.match(job_id) or n < 0:
            raise ValueError(f"unsafe output name: {job_id!r} {n!r}")
        return f"{job_id}_{n}.png", f"{job_id}_{n}.webp"

    def write_upload(self, image: CheckedImage) -> str:
        """Store a checked image under a random name; returns its storage-relative path."""
        relative = f"uploads/{secrets.token_hex(16)}.{EXTENSIONS[image.mime]}"
        with self._writing():
            self.uploads.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.root / relative, image.data)
        return relative

    def write_output(self, job_id: str, n: int, png_bytes: bytes, thumb_px: int) -> StoredOutput:
        """Save output n as PNG plus a WebP thumbnail (longest side thumb_px).

        Raises StorageFull when the volume has no room; then neither file is left behind.
        """
        filename, thumb_filename = self.output_names(job_id, n)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(png_bytes))
                image.load()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as exc:
            raise InvalidImage(f"engine returned an unreadable image ({exc})") from None
        if image.format != "PNG":
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            png_bytes = buffer.getvalue()
        thumb = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        thumb.thumbnail((thumb_px, thumb_px))
        buffer = io.BytesIO()
        thumb.save(buffer, format="WEBP", quality=80, method=4)
        with self._writing():
            self.thumbs.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.outputs / filename, png_bytes)
            try:
                _atomic_write(self.thumbs / thumb_filename, buffer.getvalue())
            except BaseException:
                (self.outputs / filename).unlink(missing_ok=True)  # no output without its thumb
                raise
        return StoredOutput(n, filename, thumb_filename, image.width, image.height, len(png_bytes))

    def remove(self, relatives: Iterable[str]) -> int:
        """Delete storage-relative files (missing ones are fine); returns how many went."""
        removed = 0
        for relative in relatives:
            try:
                self.resolve(relative).unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except ValueError:
                logger.error("refusing to delete outside storage path=%s", relative)
        return removed
