"""Image sizes: the ratio presets of each size class, and custom "<W>x<H>" sizes.

A model renders best near the pixel count it was trained at: SD 1.x at 512x512, SD 2.x (v)
at 768x768, SDXL / SD3 / Flux / Z-Image / Qwen at 1024x1024. Each class keeps the same ratio
ids so a choice carries over when the model changes. Every side is a multiple of 16, the
largest latent step among the core latent nodes (EmptyLatentImage steps by 8,
EmptySD3LatentImage by 16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio_core.errors import InvalidInput

# size class -> ratio id -> (width, height)
SIZE_CLASSES: dict[int, dict[str, tuple[int, int]]] = {
    512: {
        "1:1": (512, 512),
        "2:3": (512, 768),
        "3:2": (768, 512),
        "3:4": (576, 768),
        "4:3": (768, 576),
        "16:9": (768, 432),
        "9:16": (432, 768),
    },
    768: {
        "1:1": (768, 768),
        "2:3": (640, 960),
        "3:2": (960, 640),
        "3:4": (672, 896),
        "4:3": (896, 672),
        "16:9": (1024, 576),
        "9:16": (576, 1024),
    },
    1024: {
        "1:1": (1024, 1024),
        "2:3": (832, 1248),
        "3:2": (1248, 832),
        "3:4": (864, 1152),
        "4:3": (1152, 864),
        "16:9": (1344, 768),
        "9:16": (768, 1344),
    },
}
# "<W>x<H>" with plain ASCII digits; the length cap keeps int() cheap on hostile input
_LITERAL = re.compile(r"([0-9]{1,6})x([0-9]{1,6})", re.ASCII)


@dataclass(frozen=True)
class CustomSize:
    """What a parameter accepts as a custom size: sides a multiple of `step` in [min, max]."""

    step: int = 8
    min: int = 64
    max: int = 2048


def size_literal(width: int, height: int) -> str:
    """The stored form of a size: "512x768"."""
    return f"{width}x{height}"


def parse_size(value: object) -> tuple[int, int] | None:
    """(width, height) of a "<W>x<H>" literal, or None when `value` is not one."""
    if not isinstance(value, str):
        return None
    match = _LITERAL.fullmatch(value.strip())
    return (int(match[1]), int(match[2])) if match else None


def class_size(ratio_id: str, size_class: int | None) -> tuple[int, int] | None:
    """The size of a ratio in a size class, or None (unknown class or ratio)."""
    return SIZE_CLASSES.get(size_class or 0, {}).get(ratio_id)


def is_class_size(width: int, height: int) -> bool:
    """Whether a size is one of the class tables' presets."""
    return any((width, height) in table.values() for table in SIZE_CLASSES.values())


def check_custom_size(
    value: str, custom: CustomSize, field: str, max_pixels: int | None = None
) -> tuple[int, int]:
    """(width, height) of a valid custom size, else InvalidInput naming `field` and the rule."""
    size = parse_size(value)
    if size is None:
        raise InvalidInput(f"'{field}' must be a preset or a size like 512x768", field=field)
    for side in size:
        if not custom.min <= side <= custom.max:
            raise InvalidInput(
                f"'{field}' sides must be between {custom.min} and {custom.max} pixels",
                field=field,
            )
        if side % custom.step:
            raise InvalidInput(
                f"'{field}' sides must be multiples of {custom.step} (got {value})", field=field
            )
    check_pixels(size, field, max_pixels)
    return size


def check_pixels(size: tuple[int, int], field: str, max_pixels: int | None) -> None:
    """Refuse a size over the pixel cap (the MAX_PIXELS setting); None: no cap."""
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise InvalidInput(
            f"'{field}' {width}x{height} is {width * height} pixels, at most {max_pixels}",
            field=field,
        )
