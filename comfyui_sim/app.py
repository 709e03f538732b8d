"""The aiohttp application: ComfyUI's routes (also under /api), /ws, and the /sim control routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

from aiohttp import web

from comfyui_sim import api, model_routes
from comfyui_sim.config import SimConfig
from comfyui_sim.files import mask_upload_handler, upload_handler, view_handler
from comfyui_sim.state import STATE, SimState, trouble
from comfyui_sim.ws import SERVER_FEATURES, ws_handler

logger = logging.getLogger(__name__)

COMFYUI_VERSION = "0.3.64"
MAX_UPLOAD_SIZE = SERVER_FEATURES["max_upload_size"]


def create_app(config: SimConfig) -> web.Application:
    """Build the simulator app; the executor and the WS publisher start with the app."""
    app = web.Application(client_max_size=MAX_UPLOAD_SIZE)
    sim = SimState(config)
    app[STATE] = sim
    routes = [
        *api.ROUTES,
        ("GET", "/system_stats", system_stats),
        ("GET", "/object_info", object_info),
        ("GET", "/object_info/{node_class}", object_info_class),
        *model_routes.ROUTES,
        ("GET", "/features", features),
        ("GET", "/settings", _constant({})),
        ("GET", "/users", _constant({"storage": "server", "migrated": True})),
        ("GET", "/extensions", _constant([])),
        ("GET", "/view", view_handler(sim.folders, lambda: sim.config.faults.slow_view_ms)),
        ("POST", "/upload/image", upload_handler(sim.folders, trouble)),
        ("POST", "/upload/mask", mask_upload_handler(sim.folders, trouble)),
        ("GET", "/ws", ws_handler(sim.hub, sim.queue.queue_info, sim.executor.current_node)),
    ]
    for method, path, handler in routes:
        for prefix in ("", "/api"):
            app.router.add_route(method, prefix + path, handler)
    app.router.add_get("/sim/config", get_sim_config)
    app.router.add_post("/sim/config", post_sim_config)
    app.router.add_post("/sim/reset", post_sim_reset)
    app.cleanup_ctx.append(_background)
    return app


def _constant(value: object):
    """A GET handler answering fixed JSON (front-end routes a client may probe)."""

    async def handle(_request: web.Request) -> web.Response:
        return web.json_response(value)

    return handle


async def _background(app: web.Application):
    """Run the WS publisher and the executor for the app's lifetime."""
    sim = app[STATE]
    sim.hub.start()
    executor_task = asyncio.get_running_loop().create_task(sim.executor.run_forever())
    yield
    executor_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await executor_task
    await sim.hub.stop()


def _memory() -> tuple[int, int]:
    """(total, available) RAM in bytes, 0 where the platform cannot tell."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        values = {}
        for line in meminfo.read_text().splitlines():
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) * 1024
        return values.get("MemTotal", 0), values.get("MemAvailable", 0)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), 0
    except (ValueError, OSError, AttributeError):
        return 0, 0


async def system_stats(request: web.Request) -> web.Response:
    """GET /system_stats: ComfyUI's shape, plus `system.simulator: true`."""
    total, free = _memory()
    system = {
        "os": os.name,
        "ram_total": total,
        "ram_free": free,
        "comfyui_version": COMFYUI_VERSION,
        "required_frontend_version": "1.27.10",
        "installed_templates_version": "0.1.95",
        "required_templates_version": "0.1.95",
        "python_version": sys.version,
        "pytorch_version": "none (simulator)",
        "embedded_python": False,
        "argv": sys.argv,
        "simulator": True,
    }
    device = {
        "name": "cpu",
        "type": "cpu",
        "index": None,
        "vram_total": total,
        "vram_free": free,
        "torch_vram_total": total,
        "torch_vram_free": free,
    }
    return web.json_response({"system": system, "devices": [device]})


async def object_info(request: web.Request) -> web.Response:
    """GET /object_info: every node schema, file lists filled."""
    return web.json_response(request.app[STATE].object_info())


async def object_info_class(request: web.Request) -> web.Response:
    """GET /object_info/{class}: `{class: schema}`, `{}` when unknown."""
    name = request.match_info["node_class"]
    info = request.app[STATE].object_info()
    return web.json_response({name: info[name]} if name in info else {})


async def features(request: web.Request) -> web.Response:
    """GET /features: the server feature flags."""
    return web.json_response(SERVER_FEATURES)


async def get_sim_config(request: web.Request) -> web.Response:
    """GET /sim/config: timings, models, preview and faults now in force."""
    return web.json_response(request.app[STATE].config.to_json())


async def post_sim_config(request: web.Request) -> web.Response:
    """POST /sim/config: a partial patch; 400 with a message for unknown keys or bad types."""
    sim = request.app[STATE]
    try:
        patch = await request.json()
        sim.patch_config(patch)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        return web.json_response({"error": str(exc)}, status=400)
    logger.info("sim config changed keys=%s", sorted(patch))
    return web.json_response(sim.config.to_json())


async def post_sim_reset(request: web.Request) -> web.Response:
    """POST /sim/reset: timings, models (their files too), preview and faults back to the CLI values."""
    sim = request.app[STATE]
    sim.reset_config()
    logger.info("sim config reset")
    return web.json_response(sim.config.to_json())
