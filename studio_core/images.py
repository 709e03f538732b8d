"""Uploaded images: decoded once within limits, kept as sent when clean, else re-encoded.

What is stored (SPEC §5, issue 9):
- The header's size is checked before any pixel is decoded; then the image is decoded fully
  (a truncated or corrupt file is refused) and never copied: no conversion a format does not
  need, no tobytes()/frombytes() round trip. A 2 KB 1-bit PNG of 4096x3900 costs its 2 MB of
  bits, not three 48 MB RGB copies.
- Clean PNG/JPEG/WebP files are kept byte for byte (a photo is not stored 15x larger as a
  PNG). Clean means: it decodes, one frame, nothing after its end marker, and no metadata
  beyond how to decode it (no EXIF - so no GPS and no orientation to apply -, XMP, ICC,
  comments or text chunks).
- Anything else is re-encoded without metadata, EXIF orientation applied to the pixels: a
  JPEG as a JPEG (quality 95), a PNG or WebP as a PNG (lossless).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, Protocol

from PIL import Image, UnidentifiedImageError

from studio_core.errors import InvalidImage, PayloadTooLarge, UnsupportedMediaType

# Detected from the first bytes, never from a name or a client-sent type.
_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}
MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
# image.info keys that only say how to decode or display the pixels.
_HARMLESS_INFO = {
    "PNG": {"dpi", "aspect", "gamma", "srgb", "chromaticity", "transparency"},
    "JPEG": {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "adobe",
             "adobe_transform", "progressive", "progression"},
    "WEBP": {"loop", "background", "timestamp", "duration"},  # one frame: see _is_clean
}  # fmt: skip
_HARMLESS_APP = {("APP0", b"JFIF\x00"), ("APP14", b"Adobe")}  # JPEG segments
_PNG_END = b"IEND\xaeB`\x82"
_PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}
# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose,
# which would also re-serialise, and re-parse, the EXIF we drop anyway).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What Pillow's EXIF (TIFF) parser raises on corrupt data, warnings included.
_EXIF_ERRORS = (
    OSError, ValueError, SyntaxError, KeyError, IndexError, TypeError, struct.error, UserWarning
)  # fmt: skip


class ImageLimits(Protocol):
    """What check_image needs; `Settings` satisfies it."""

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
    """An image fit to store: its bytes, type and size, without metadata."""

    data: bytes
    mime: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """'PNG', 'JPEG' or 'WEBP' from the magic bytes, else None."""
    for name, magic in _SIGNATURES.items():
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def check_image(data: bytes, limits: ImageLimits) -> CheckedImage:
    """Validate an uploaded image by decoding it; the sent bytes if clean, else re-encoded.

    Raises PayloadTooLarge, UnsupportedMediaType or InvalidImage with a message a person can
    act on (a corrupt EXIF block included).
    """
    if len(data) > limits.max_upload_mb * 1024 * 1024:
        raise PayloadTooLarge(f"image is larger than {limits.max_upload_mb} MB")
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMediaType("only PNG, JPEG or WebP images are accepted")
    image = _decode(data, fmt, limits)
    orientation = _orientation(image)
    if orientation == 1 and _is_clean(image, fmt, data):
        return CheckedImage(data, MIME[fmt], image.width, image.height)
    return _reencode(image, fmt, orientation)


def _decode(data: bytes, fmt: str, limits: ImageLimits) -> Image.Image:
    """Decode within limits; the size check happens on the header, before any pixels load."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; both must become a clean rejection.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening a JPEG already reads its EXIF: "Corrupt EXIF data" is a UserWarning.
            warnings.simplefilter("error", UserWarning)
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
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, UserWarning) as exc:
        raise InvalidImage(f"the {fmt} image could not be decoded ({exc})") from None
    return image


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 when there is none); InvalidImage when the EXIF is corrupt."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # "Corrupt EXIF data" is only a warning
            exif = image.getexif()
            exif.tobytes()  # parses every sub-IFD (GPS, Exif...), as a corrupt one must fail here
            value = exif.get(0x0112, 1)
    except _EXIF_ERRORS as exc:
        raise InvalidImage(f"the image's EXIF data is corrupt ({exc})") from None
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _is_clean(image: Image.Image, fmt: str, data: bytes) -> bool:
    """One frame, nothing after the end marker, no metadata beyond decoding hints."""
    if getattr(image, "n_frames", 1) != 1 or set(image.info) - _HARMLESS_INFO[fmt]:
        return False
    if fmt == "PNG":
        return data.endswith(_PNG_END)
    if fmt == "JPEG":
        apps = {(marker, payload[:5]) for marker, payload in getattr(image, "applist", [])}
        return apps <= _HARMLESS_APP and data.endswith(b"\xff\xd9")
    return int.from_bytes(data[4:8], "little") + 8 == len(data)  # the RIFF size is the file


def _reencode(image: Image.Image, fmt: str, orientation: int) -> CheckedImage:
    """The pixels without metadata, upright; a JPEG stays a JPEG, the rest becomes a PNG."""
    if orientation != 1:
        image = image.transpose(_TRANSPOSE[orientation])  # a new image; the decoded one goes
    target = "JPEG" if fmt == "JPEG" else "PNG"
    allowed = {"L", "RGB"} if target == "JPEG" else _PNG_MODES
    if image.mode not in allowed:
        has_alpha = target == "PNG" and ("A" in image.mode or "transparency" in image.info)
        image = image.convert("RGBA" if has_alpha else "RGB")
    # No metadata survives: the encoders take EXIF, ICC, comments and text from info.
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    out = io.BytesIO()
    if target == "JPEG":
        image.save(out, format="JPEG", quality=95)
    else:
        image.save(out, format="PNG", compress_level=6)
    return CheckedImage(out.getvalue(), MIME[target], image.width, image.height)


def upright_size(data: bytes | BinaryIO) -> tuple[int, int] | None:
    """(width, height) an image will be stored with (EXIF rotation applied), read from its
    header without decoding pixels; None when it cannot be read (check_image then says why).
    A file is read from where it stands and put back there."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    start = source.tell()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            with Image.open(source) as image:
                width, height = image.size
                rotated = _orientation(image) in (5, 6, 7, 8)
    except (UnidentifiedImageError, InvalidImage, *_EXIF_ERRORS):
        return None
    finally:
        source.seek(start)
    return (height, width) if rotated else (width, height)


def has_alpha(path: str | os.PathLike) -> bool:
    """Whether a stored image carries transparency (an alpha band or a tRNS colour), as
    ComfyUI's /upload/mask reads it after converting to RGBA; only the header is read."""
    with Image.open(path) as image:
        return "A" in image.getbands() or "transparency" in image.info
