"""Pixel values and their rendering: cheap, deterministic pictures derived from a fingerprint.

An IMAGE / LATENT / MASK flowing through the simulated graph is a `Pixels` value: its size,
batch, a fingerprint of everything upstream (prompt text, seed, size, models...) and,
when it comes from LoadImage, the real input pixels. Pixels are only drawn when a node
saves or previews them.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

_CANVAS = 256  # patterns are drawn small and scaled up: 1024x1024 costs ~10 ms


@dataclass(frozen=True)
class Pixels:
    """A symbolic image, latent or mask batch."""

    kind: str
    width: int
    height: int
    batch: int
    fingerprint: str
    # Loaded input pictures shown through the pattern; `mix` is the pattern's weight.
    sources: tuple[Image.Image, ...] = field(default=(), compare=False, repr=False)
    mix: float = 1.0
    fill: int | None = None  # EmptyImage's solid RGB colour
    # Inpainting: SetLatentNoiseMask's mask (L, white = the sampler may repaint) and, once
    # sampled, the pictures kept where it is black (the latent that went in).
    noise_mask: Image.Image | None = field(default=None, compare=False, repr=False)
    kept: tuple[Image.Image, ...] = field(default=(), compare=False, repr=False)

    def derive(self, fingerprint: str, **changes: Any) -> Pixels:
        """The same pixels after an operation identified by `fingerprint`."""
        return replace(self, fingerprint=fingerprint, **changes)


def render(pixels: Pixels, index: int) -> Image.Image:
    """Draw batch item `index` as an RGB image of the value's size."""
    size = (max(1, pixels.width), max(1, pixels.height))
    picture = _picture(pixels, index, size)
    if pixels.kept and pixels.noise_mask is not None:
        # A masked sampler repaints only under the mask; elsewhere its input shows through.
        kept = _fit(pixels.kept[index % len(pixels.kept)], size)
        picture = Image.composite(picture, kept, _fit(pixels.noise_mask, size, "L"))
    return picture


def _picture(pixels: Pixels, index: int, size: tuple[int, int]) -> Image.Image:
    if pixels.fill is not None:
        rgb = ((pixels.fill >> 16) & 0xFF, (pixels.fill >> 8) & 0xFF, pixels.fill & 0xFF)
        return Image.new("RGB", size, rgb)
    pattern = _pattern(pixels.fingerprint, index).resize(size, Image.Resampling.BILINEAR)
    if not pixels.sources:
        return pattern
    source = _fit(pixels.sources[index % len(pixels.sources)], size)
    return Image.blend(source, pattern, pixels.mix) if pixels.mix > 0 else source


def _fit(image: Image.Image, size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    image = image.convert(mode)
    return image if image.size == size else image.resize(size, Image.Resampling.BILINEAR)


def _pattern(fingerprint: str, index: int) -> Image.Image:
    digest = hashlib.sha256(f"{fingerprint}:{index}".encode()).digest()
    # A rotated two-colour gradient, cropped so no corner is left unfilled.
    gradient = Image.linear_gradient("L").resize((2 * _CANVAS, 2 * _CANVAS))
    gradient = gradient.rotate(digest[0] * 360 / 256, resample=Image.Resampling.BILINEAR)
    quarter = _CANVAS // 2
    mask = gradient.crop((quarter, quarter, quarter + _CANVAS, quarter + _CANVAS))
    canvas = Image.composite(
        Image.new("RGB", (_CANVAS, _CANVAS), tuple(digest[1:4])),
        Image.new("RGB", (_CANVAS, _CANVAS), tuple(digest[4:7])),
        mask,
    )
    draw = ImageDraw.Draw(canvas)
    for k in range(6):
        x, y, r, c = digest[7 + 4 * k : 11 + 4 * k]
        radius = 8 + r % 48
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(c, x ^ y, 255 - c))
    return canvas


def encode_png(
    image: Image.Image, text: dict[str, Any] | None = None, compress_level: int = 4
) -> bytes:
    """PNG bytes with ComfyUI-style tEXt chunks (each value JSON-encoded)."""
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, json.dumps(value))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, compress_level=compress_level)
    return buffer.getvalue()


def preview_jpeg(pixels: Pixels, step: int, steps: int, max_size: int = 512) -> bytes:
    """A sampler-step preview: the final picture emerging from grey as steps advance."""
    scale = min(1.0, max_size / max(pixels.width, pixels.height, 1))
    small = replace(
        pixels, width=max(1, int(pixels.width * scale)), height=max(1, int(pixels.height * scale))
    )
    picture = render(small, 0)
    grey = Image.new("RGB", picture.size, (128, 128, 128))
    buffer = io.BytesIO()
    Image.blend(grey, picture, step / max(steps, 1)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
