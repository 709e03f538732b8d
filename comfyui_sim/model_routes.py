"""ComfyUI's model routes: /models, /models/{folder}, /embeddings and /view_metadata/{folder}.

Every answer comes from the files under models/ (see model_files), as ComfyUI's come from
its folders.
"""

from __future__ import annotations

import os

from aiohttp import web

from comfy_schema.object_info import MODEL_FOLDERS
from comfyui_sim.state import STATE, SimState


def _folders(sim: SimState) -> list[str]:
    return [*MODEL_FOLDERS, *(f for f in sim.config.models if f not in MODEL_FOLDERS)]


async def models(request: web.Request) -> web.Response:
    """GET /models: the model folder keys."""
    return web.json_response(_folders(request.app[STATE]))


async def models_in_folder(request: web.Request) -> web.Response:
    """GET /models/{folder}: its files, subfolders included; unknown folder -> 404."""
    sim = request.app[STATE]
    folder = request.match_info["folder"]
    if folder not in _folders(sim):
        return web.Response(status=404)
    return web.json_response(sim.model_files.list(folder))


async def embeddings(request: web.Request) -> web.Response:
    """GET /embeddings: embedding names without extension."""
    files = request.app[STATE].model_files.list("embeddings")
    return web.json_response([os.path.splitext(f)[0] for f in files])


async def view_metadata(request: web.Request) -> web.Response:
    """GET /view_metadata/{folder}?filename=F: the file's safetensors `__metadata__`.

    404 with an empty body for an unknown folder, no or a non-.safetensors filename, a file
    not in the folder, a header over 1 MiB or no `__metadata__`, as ComfyUI answers.
    """
    sim = request.app[STATE]
    folder = request.match_info["folder"]
    filename = request.query.get("filename")
    if filename is None or folder not in _folders(sim):
        return web.Response(status=404)
    metadata = sim.model_files.metadata(folder, filename)
    if metadata is None:
        return web.Response(status=404)
    return web.json_response(metadata)


ROUTES = [
    ("GET", "/models", models),
    ("GET", "/models/{folder}", models_in_folder),
    ("GET", "/embeddings", embeddings),
    ("GET", "/view_metadata/{folder}", view_metadata),
]
