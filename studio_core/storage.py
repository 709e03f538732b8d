"""Files under STORAGE_DIR: paths, image checks and re-encoding, outputs and thumbnails.

storage/uploads/<random>.png          re-encoded user uploads (no metadata)
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
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from studio_core.errors import (
    InvalidImage,
    InvalidInput,
    PayloadTooLarge,
    StorageFull,
    UnsupportedMediaType,
)

logger = logging.getLogger(__name__)

# Detected from the first bytes, never from a name or a client-sent type.
_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?((?:;[^;,]*)*?);base64,", re.IGNORECASE)
_KEEP_MODES = {"RGB", "RGBA", "L", "LA"}
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})  # no room on the volume / over quota
MB = 1024 * 1024


class ImageLimits(Protocol):
    """What check_and_reencode needs; `Settings` satisfies it."""

    max_upload_mb: int
    max_image_side: int
    max_image_pixels: int


@dataclass(frozen=True)
class Limits:
    """Explicit image limits (defaults as in SPEC §5)."""

    max_upload_mb: int = 20
    max_image_side: int = 4096
    max_image_pixels: int = 16_000_000


class CheckedImage(NamedTuple):
    """A re-encoded, metadata-free image."""

    data: bytes
    mime: str
    width: int
    height: int


class StoredOutput(NamedTuple):
    """One saved output image, as `JobRepository.finish` records it."""

    idx: int
    filename: str
    thumb_filename: str
    width: int
    height: int
    size_bytes: int


def sniff_format(data: bytes) -> str | None:
    """'PNG', 'JPEG' or 'WEBP' from the magic bytes, else None."""
    for name, magic in _SIGNATURES.items():
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open_checked(data: bytes, limits: ImageLimits) -> Image.Image:
    """Decode within limits; the size check happens on the header, before any pixels load."""
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMediaType("only PNG, JPEG or WebP images are accepted")
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; both must become a clean rejection.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if max(width, height) > limits.max_image_side:
                raise InvalidImage(
                    f"image is {width}x{height}; at most {limits.max_image_side} px a side"
                )
            if width * height > limits.max_image_pixels:
                raise InvalidImage(
                    f"image has {width * height} pixels; at most {limits.max_image_pixels} allowed"
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage("image is too large to decode safely (decompression bomb)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(f"the {fmt} image could not be decoded ({exc})") from None
    return image


def check_and_reencode(data: bytes, limits: ImageLimits) -> CheckedImage:
    """Validate an uploaded image by decoding it and re-encode it as PNG without metadata.

    EXIF orientation is applied first. Raises PayloadTooLarge, UnsupportedMediaType or
    InvalidImage with a message a person can act on.
    """
    if len(data) > limits.max_upload_mb * 1024 * 1024:
        raise PayloadTooLarge(f"image is larger than {limits.max_upload_mb} MB")
    image = _open_checked(data, limits)
    try:
        image = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError, KeyError) as exc:
        raise InvalidImage(f"the image's EXIF data is corrupt ({exc})") from None
    if image.mode not in _KEEP_MODES:
        has_alpha = "A" in image.mode or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    # Rebuilt from raw pixels: no EXIF, GPS, XMP, ICC or text chunks can survive.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG")
    return CheckedImage(out.getvalue(), "image/png", clean.width, clean.height)


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
        relative = f"uploads/{secrets.token_hex(16)}.png"
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
