"""File routes: POST /upload/image, POST /upload/mask and GET /view, with ComfyUI's naming
and path rules."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import mimetypes
import os
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from comfyui_sim.folders import Folders

logger = logging.getLogger(__name__)

_FORCE_DOWNLOAD = {
    "text/html",
    "text/html-sandboxed",
    "application/xhtml+xml",
    "text/javascript",
    "text/css",
}


def upload_handler(folders: Folders, trouble: Callable[[], web.Response]) -> Callable:
    """POST /upload/image: multipart `image` + optional `overwrite`, `subfolder`, `type`."""

    async def handle(request: web.Request) -> web.Response:
        return await _upload(await request.post(), folders, trouble)

    return handle


def mask_upload_handler(folders: Folders, trouble: Callable[[], web.Response]) -> Callable:
    """POST /upload/mask: as /upload/image, but what is written is the image named by the
    `original_ref` JSON ({filename, subfolder, type}) with the uploaded mask's alpha.

    As ComfyUI (server.py upload_mask), the original is only read when a file is about to be
    written: a missing or broken `original_ref` is then a 500, a mask of another size too
    (PIL's putalpha), while a bad or absent original writes nothing and still answers 200.
    """

    async def handle(request: web.Request) -> web.Response:
        post = await request.post()
        return await _upload(
            post, folders, trouble, partial(_compose_mask, folders, post.get("original_ref"))
        )

    return handle


async def _upload(
    post: Any,
    folders: Folders,
    trouble: Callable[[], web.Response],
    write: Callable[[Path, bytes], None] | None = None,
) -> web.Response:
    """ComfyUI's image_upload: checks, naming, duplicate detection, then `write` (or copy)."""
    image = post.get("image")
    if not isinstance(image, web.FileField) or not image.filename:
        return web.Response(status=400)
    kind = str(post.get("type") or "input")
    base = folders.by_type(kind)
    if base is None:
        return trouble()  # ComfyUI fails on os.path.join(None, ...) here
    subfolder = str(post.get("subfolder", ""))
    folder = os.path.join(base, os.path.normpath(subfolder))
    filename = image.filename
    path = os.path.abspath(os.path.join(folder, filename))
    if os.path.commonpath((str(base), path)) != str(base):
        return web.Response(status=400)
    data = image.file.read()
    overwrite = str(post.get("overwrite")) in ("true", "1")
    try:
        name, duplicate = await asyncio.to_thread(
            _store, Path(folder), filename, data, overwrite, write
        )
    except _COMPOSE_ERRORS as exc:
        logger.warning("upload failed name=%s error=%r", filename, exc)
        return trouble()
    logger.info(
        "upload name=%s subfolder=%s type=%s duplicate=%s mask=%s",
        name,
        subfolder,
        kind,
        duplicate,
        write is not None,
    )
    return web.json_response({"name": name, "subfolder": subfolder, "type": kind})


def _store(
    folder: Path,
    filename: str,
    data: bytes,
    overwrite: bool,
    write: Callable[[Path, bytes], None] | None = None,
) -> tuple[str, bool]:
    """Write the upload; identical bytes under a taken name reuse it, others get ` (N)`."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, ext = os.path.splitext(filename)
    name = filename
    if not overwrite:
        digest = hashlib.sha256(data).hexdigest()
        counter = 1
        while (folder / name).exists():
            if hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest:
                return name, True
            name = f"{stem} ({counter}){ext}"
            counter += 1
    if write is None:
        (folder / name).write_bytes(data)
    else:
        write(folder / name, data)
    return name, False


# What ComfyUI's mask composition raises on a bad original_ref or mask (each a 500 there).
_COMPOSE_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, OSError)


def _compose_mask(folders: Folders, original_ref: Any, target: Path, mask: bytes) -> None:
    """Write the original's RGB with the mask's alpha to `target` (PNG text chunks kept)."""
    ref = json.loads(original_ref)  # absent: TypeError, as in ComfyUI
    filename, base = folders.annotated_path(ref["filename"], default=None)
    if filename[0] == "/" or ".." in filename:
        return  # ComfyUI returns a 400 from inside its save function: nothing is written
    if base is None:
        kind = ref.get("type", "output")
        base = folders.by_type(kind) if kind else None
    if base is None:
        return
    directory = str(base)
    if ref.get("subfolder", "") != "":
        full = os.path.join(directory, ref["subfolder"])
        if os.path.commonpath((os.path.abspath(full), directory)) != directory:
            return
        directory = full
    source = os.path.join(directory, filename)
    if not os.path.isfile(source):
        return
    with Image.open(source) as original:
        metadata = PngInfo()
        for key, value in getattr(original, "text", {}).items():
            metadata.add_text(key, value)
        composed = original.convert("RGBA")
    with Image.open(io.BytesIO(mask)) as painted:
        composed.putalpha(painted.convert("RGBA").getchannel("A"))  # another size: ValueError
    composed.save(target, compress_level=4, pnginfo=metadata)


def view_handler(
    folders: Folders, slow_view_ms: Callable[[], int]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /view?filename=&subfolder=&type=[&preview=fmt;quality][&channel=rgb|a]."""

    async def handle(request: web.Request) -> web.StreamResponse:
        delay = slow_view_ms()
        if delay:
            await asyncio.sleep(delay / 1000)
        query = request.query
        if "filename" not in query:
            return web.Response(status=404)
        filename, base = folders.annotated_path(query["filename"], default=None)
        if not filename or filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        if base is None:
            base = folders.by_type(query.get("type", "output"))
        if base is None:
            return web.Response(status=400)
        directory = str(base)
        if "subfolder" in query:
            full = os.path.join(directory, query["subfolder"])
            if os.path.commonpath((os.path.abspath(full), directory)) != directory:
                return web.Response(status=403)
            directory = full
        filename = os.path.basename(filename)
        path = os.path.join(directory, filename)
        if not os.path.isfile(path):
            return web.Response(status=404)
        disposition = {"Content-Disposition": f'filename="{filename}"'}
        channel = query.get("channel", "")
        if "preview" in query:
            body, fmt = await asyncio.to_thread(_preview, path, query["preview"], channel)
            return web.Response(body=body, content_type=f"image/{fmt}", headers=disposition)
        if channel in ("rgb", "a"):
            body = await asyncio.to_thread(_channel_png, path, channel)
            return web.Response(body=body, content_type="image/png", headers=disposition)
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if content_type in _FORCE_DOWNLOAD:
            content_type = "application/octet-stream"
        return web.FileResponse(path, headers={**disposition, "Content-Type": content_type})

    return handle


def _preview(path: str, spec: str, channel: str) -> tuple[bytes, str]:
    """`preview=webp;50` / `jpeg;90`: re-encoded; anything else (or an alpha channel) is webp."""
    parts = spec.split(";")
    fmt = parts[0] if parts[0] in ("webp", "jpeg") and "a" not in channel else "webp"
    quality = int(parts[-1]) if parts[-1].isdigit() else 90
    with Image.open(path) as img:
        out = img.convert("RGB") if fmt == "jpeg" or channel == "rgb" else img.copy()
    buffer = io.BytesIO()
    out.save(buffer, format=fmt, quality=quality)
    return buffer.getvalue(), fmt


def _channel_png(path: str, channel: str) -> bytes:
    """`channel=rgb`: the colour planes; `channel=a`: the alpha plane on a transparent image."""
    with Image.open(path) as img:
        if channel == "rgb":
            out = Image.merge("RGB", img.split()[:3]) if img.mode == "RGBA" else img.convert("RGB")
        else:
            alpha = img.getchannel("A") if img.mode == "RGBA" else Image.new("L", img.size, 255)
            out = Image.new("RGBA", alpha.size)
            out.putalpha(alpha)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG")
    return buffer.getvalue()
