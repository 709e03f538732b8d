"""ComfyUI's prompt routes: /prompt, /queue, /interrupt, /history, /free."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from aiohttp import web

from comfy_schema.validation import validate_prompt
from comfyui_sim.state import STATE, trouble

logger = logging.getLogger(__name__)


class _NotJson(Exception):
    """The body of a JSON route did not parse (ComfyUI answers 500)."""


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _NotJson from exc


async def get_prompt(request: web.Request) -> web.Response:
    """GET /prompt: the queue size."""
    return web.json_response({"exec_info": request.app[STATE].queue.queue_info()["exec_info"]})


async def post_prompt(request: web.Request) -> web.Response:
    """POST /prompt: validate synchronously, queue on success."""
    sim = request.app[STATE]
    try:
        body = await _json_body(request)
        number = sim.queue.number_for(body)
    except (_NotJson, TypeError, ValueError, AttributeError):
        return trouble()
    if "prompt" not in body:
        error = {
            "type": "no_prompt",
            "message": "No prompt provided",
            "details": "No prompt provided",
            "extra_info": {},
        }
        return web.json_response({"error": error, "node_errors": {}}, status=400)
    prompt = body["prompt"]
    prompt_id = str(body.get("prompt_id", uuid.uuid4()))
    try:
        error, node_errors, outputs = validate_prompt(
            prompt,
            sim.object_info(),
            sim.folders.input_exists,
            body.get("partial_execution_targets"),
        )
    except (TypeError, AttributeError, KeyError) as exc:  # a prompt that is not a dict of nodes
        logger.warning("malformed prompt prompt=%s error=%r", prompt_id, exc)
        return trouble()
    extra_data = body.get("extra_data", {})
    if "client_id" in body:
        extra_data["client_id"] = body["client_id"]
    if error is not None:
        logger.info("prompt rejected prompt=%s type=%s", prompt_id, error["type"])
        return web.json_response({"error": error, "node_errors": node_errors}, status=400)
    sim.queue.put((number, prompt_id, prompt, extra_data, outputs))
    logger.info("prompt queued prompt=%s number=%s outputs=%s", prompt_id, number, outputs)
    return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})


async def get_queue(request: web.Request) -> web.Response:
    """GET /queue: running and pending items."""
    return web.json_response(request.app[STATE].queue.snapshot())


async def post_queue(request: web.Request) -> web.Response:
    """POST /queue: `{"clear": true}` and/or `{"delete": [ids]}`."""
    queue = request.app[STATE].queue
    try:
        body = await _json_body(request)
        if body.get("clear"):
            queue.clear()
        for prompt_id in body.get("delete", []):
            queue.delete(prompt_id)
    except (_NotJson, TypeError, AttributeError):
        return trouble()
    return web.Response(status=200)


async def post_interrupt(request: web.Request) -> web.Response:
    """POST /interrupt: global, or `{"prompt_id"}` which only hits the running prompt."""
    sim = request.app[STATE]
    try:
        body = await _json_body(request)
    except _NotJson:
        body = {}
    target = body.get("prompt_id") if isinstance(body, dict) else None
    if not target:
        logger.info("global interrupt")
        sim.executor.interrupt()
    elif target == sim.queue.running_id():
        logger.info("interrupting prompt=%s", target)
        sim.executor.interrupt()
    else:
        logger.info("prompt %s is not currently running, skipping interrupt", target)
    return web.Response(status=200)


async def get_history(request: web.Request) -> web.Response:
    """GET /history?max_items=&offset=: finished prompts, oldest first."""
    query = request.query
    try:
        max_items = int(query["max_items"]) if "max_items" in query else None
        offset = int(query["offset"]) if "offset" in query else -1
    except ValueError:
        return trouble()
    return web.json_response(request.app[STATE].queue.get_history(max_items, offset))


async def get_history_entry(request: web.Request) -> web.Response:
    """GET /history/{id}: `{}` until finished."""
    return web.json_response(
        request.app[STATE].queue.history_entry(request.match_info["prompt_id"])
    )


async def post_history(request: web.Request) -> web.Response:
    """POST /history: `{"clear": true}` and/or `{"delete": [ids]}`."""
    queue = request.app[STATE].queue
    try:
        body = await _json_body(request)
        if body.get("clear"):
            queue.clear_history()
        for prompt_id in body.get("delete", []):
            queue.delete_history(prompt_id)
    except (_NotJson, TypeError, AttributeError):
        return trouble()
    return web.Response(status=200)


async def post_free(request: web.Request) -> web.Response:
    """POST /free: nothing is loaded in a simulator; accepted like ComfyUI does."""
    try:
        body = await _json_body(request)
    except _NotJson:
        return trouble()
    logger.info("free requested body=%s", body)
    return web.Response(status=200)


ROUTES = [
    ("GET", "/prompt", get_prompt),
    ("POST", "/prompt", post_prompt),
    ("GET", "/queue", get_queue),
    ("POST", "/queue", post_queue),
    ("POST", "/interrupt", post_interrupt),
    ("GET", "/history", get_history),
    ("GET", "/history/{prompt_id}", get_history_entry),
    ("POST", "/history", post_history),
    ("POST", "/free", post_free),
]
