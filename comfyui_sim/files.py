"""File routes: POST /upload/image and GET /view, with ComfyUI's naming and path rules."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import mimetypes
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from PIL import Image

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
        post = await request.post()
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
        name, duplicate = await asyncio.to_thread(
            _store, Path(folder), filename, data, str(post.get("overwrite")) in ("true", "1")
        )
        logger.info(
            "upload name=%s subfolder=%s type=%s duplicate=%s", name, subfolder, kind, duplicate
        )
        return web.json_response({"name": name, "subfolder": subfolder, "type": kind})

    return handle


def _store(folder: Path, filename: str, data: bytes, overwrite: bool) -> tuple[str, bool]:
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
    (folder / name).write_bytes(data)
    return name, False


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
