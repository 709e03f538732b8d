"""Fixtures for the importer tests: the graphs in graphs/, the shipped node schemas, and
ComfyUI-made images (PNG with a `prompt` text chunk, WebP with an EXIF `prompt:`) built the
way ComfyUI's SaveImage and SaveAnimatedWEBP write them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from comfy_schema.object_info import load_object_info

GRAPHS = Path(__file__).resolve().parent / "graphs"


def graph(name: str) -> dict:
    """A fixture graph from graphs/<name>.json (a fresh copy)."""
    return json.loads((GRAPHS / f"{name}.json").read_text(encoding="utf-8"))


def graph_bytes(name: str) -> bytes:
    """The raw file of graphs/<name>.json."""
    return (GRAPHS / f"{name}.json").read_bytes()


def png_with(texts: dict[str, str], size: tuple[int, int] = (8, 8)) -> bytes:
    """A PNG carrying `texts` as tEXt chunks (ComfyUI's SaveImage: "prompt" and "workflow")."""
    info = PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def webp_with(tags: dict[int, str]) -> bytes:
    """A WebP whose EXIF holds `tags` (ComfyUI: 0x0110 "prompt:<json>", 0x010f "workflow:...")."""
    image = Image.new("RGB", (8, 8), (30, 30, 200))
    exif = image.getexif()
    for tag, value in tags.items():
        exif[tag] = value
    out = io.BytesIO()
    image.save(out, format="WEBP", exif=exif, lossless=True)
    return out.getvalue()


@pytest.fixture(scope="session")
def object_info():
    """The shipped copy of ComfyUI's node schemas (file lists empty)."""
    return load_object_info()
