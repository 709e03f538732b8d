"""The OpenAPI 3.1 description of every route (served at /api/openapi.json).

A test compares it with `app.url_map`, so a route added without documentation fails CI.
"""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"
_ERRORS = {
    "400": "Bad input (unknown tool or parameter, wrong type, out of range, bad JSON or image)",
    "404": "Not found (or not yours)",
    "405": "Method not allowed",
    "409": "Conflict with the job's state",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "429": "Rate limited (see Retry-After)",
    "503": "Redis or the database is unavailable (see Retry-After)",
}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _ok(description: str, schema: dict | None = None, media: str | None = None, code="200"):
    if media:
        return {code: {"description": description, "content": {media: {"schema": {"type": "string"}}}}}
    return {code: {"description": description, "content": _json(schema or {"type": "object"})}}


def _errors(*codes: str) -> dict:
    return {c: {"$ref": f"#/components/responses/E{c}"} for c in ("429", "503", *codes)}


def _path_param(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _op(summary: str, responses: dict, *, params: list | None = None, body: dict | None = None,
        tag: str = "jobs") -> dict:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = body
    return op


_JOB_ID = _path_param("job_id", "The job's id")
_LIST_PARAMS = [
    _query("status", {"enum": ["queued", "processing", "finished", "failed", "cancelled"]},
           "Only jobs in this state"),
    _query("tool", {"type": "string"}, "Only jobs of this tool"),
    _query("q", {"type": "string", "maxLength": 200}, "Case-insensitive prompt search"),
    _query("favorite", {"enum": ["1", "0", "true", "false"]}, "Only (non-)favourites"),
    _query("active", {"enum": ["1", "0", "true", "false"]}, "Only queued/processing jobs"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size"),
    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Jobs to skip"),
]
_GENERATE_PROPS = {
    "workflow": {"type": "string", "description": "Tool id (default text_to_image)"},
    "prompt": {"type": "string", "maxLength": 2000},
    "negative_prompt": {"type": "string"},
    "seed": {"type": "integer", "minimum": -1, "description": "-1: random (the real seed is returned)"},
    "model": {"type": ["string", "null"]},
    "aspect_ratio": {"type": "string"},
    "batch_size": {"type": "integer", "minimum": 1},
    "images": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "slot id -> upload id or data:image/...;base64 URL"},
    "params": {"type": "object", "description": "The tool's parameters (see GET /api/tools)"},
}
_SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}},
    },
    "Job": {
        "type": "object",
        "required": ["job_id", "tool", "status", "progress", "images", "outputs", "created_at"],
        "properties": {
            "job_id": {"type": "string"}, "tool": {"type": "string"},
            "status": {"enum": ["queued", "processing", "finished", "failed", "cancelled"]},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "queue_position": {"type": ["integer", "null"], "description": "1 = next to run"},
            "current_node": {"type": ["string", "null"]},
            "step": {"type": ["object", "null"]}, "preview_url": {"type": ["string", "null"]},
            "prompt": {"type": "string"}, "negative_prompt": {"type": ["string", "null"]},
            "seed": {"type": ["integer", "null"]}, "model": {"type": ["string", "null"]},
            "aspect_ratio": {"type": ["string", "null"]}, "batch_size": {"type": ["integer", "null"]},
            "params": {"type": "object"},
            "inputs": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "upload_id": {"type": "string"}, "url": {"type": "string"}}}},
            "images": {"type": "array", "items": {"type": "string"}},
            "image_url": {"type": ["string", "null"]},
            "outputs": {"type": "array", "items": {"type": "object", "properties": {
                "url": {"type": "string"}, "thumb_url": {"type": "string"},
                "width": {"type": "integer"}, "height": {"type": "integer"}}}},
            "error": {"type": ["string", "null"]}, "favorite": {"type": "boolean"},
            "attempts": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "JobList": {"type": "object", "required": ["total", "limit", "offset", "jobs"], "properties": {
        "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "jobs": {"type": "array", "items": _ref("Job")}}},
    "Generate": {"type": "object", "properties": _GENERATE_PROPS, "additionalProperties": False},
    "Upload": {"type": "object", "properties": {
        "upload_id": {"type": "string"}, "url": {"type": "string"}, "width": {"type": "integer"},
        "height": {"type": "integer"}, "mime": {"type": "string"}}},
}


def _paths() -> dict:
    job_list = _ok("A page of my jobs with the real total", _ref("JobList"))
    image = {"200": {"description": "The image", "content": {
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}}}}}
    return {
        "/api/generate": {"post": _op(
            "Queue a job (header Idempotency-Key: same key, same job)",
            {**_ok("Queued", {"type": "object", "properties": {
                "job_id": {"type": "string"}, "status": {"type": "string"},
                "seed": {"type": ["integer", "null"]}, "job": _ref("Job")}}, code="202"),
             **_errors("400", "413", "415")},
            params=[{"name": "Idempotency-Key", "in": "header", "required": False,
                     "schema": {"type": "string", "maxLength": 128}}],
            body={"required": True, "content": {
                **_json(_ref("Generate")),
                "multipart/form-data": {"schema": {"type": "object", "description":
                    "The same fields as form fields (params and images as JSON strings) and one "
                    "file part per slot id", "additionalProperties": True}}}})},
        "/api/status/{job_id}": {"get": _op("A job with live progress", {
            **_ok("The job", _ref("Job")), **_errors("404")}, params=[_JOB_ID])},
        "/api/cancel/{job_id}": {"post": _op("Cancel a job (idempotent)", {
            **_ok("Cancelled", {"type": "object", "properties": {
                "job_id": {"type": "string"}, "status": {"type": "string"}}}),
            **_errors("404", "409")}, params=[_JOB_ID])},
        "/api/jobs": {"get": _op("My jobs", {**job_list, **_errors("400")}, params=_LIST_PARAMS)},
        "/api/history": {"get": _op("My jobs (the original studio's name)",
                                    {**job_list, **_errors("400")}, params=_LIST_PARAMS)},
        "/api/jobs/{job_id}": {
            "get": _op("One job", {**_ok("The job", _ref("Job")), **_errors("404")},
                       params=[_JOB_ID]),
            "delete": _op("Delete a finished job and its files",
                          {"204": {"description": "Deleted"}, **_errors("404", "409")},
                          params=[_JOB_ID]),
        },
        "/api/jobs/{job_id}/favorite": {"post": _op("Mark or unmark a favourite", {
            **_ok("The job", _ref("Job")), **_errors("400", "404", "415")}, params=[_JOB_ID],
            body={"required": True, "content": _json({"type": "object", "properties": {
                "favorite": {"type": "boolean"}}})})},
        "/api/jobs/{job_id}/preview": {"get": _op("Latest live preview frame of a running job", {
            "200": {"description": "The frame", "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
            **_errors("404")}, params=[_JOB_ID])},
        "/api/uploads": {"post": _op("Upload an image (PNG, JPEG or WebP)", {
            **_ok("Stored (re-encoded, metadata removed)", _ref("Upload"), code="201"),
            **_errors("400", "413", "415")}, tag="uploads",
            body={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}})},
        "/api/uploads/{upload_id}": {"get": _op("One of my uploads", {
            "200": {"description": "PNG", "content": {"image/png": {"schema": {"type": "string"}}}},
            **_errors("404")}, params=[_path_param("upload_id", "The upload's id")],
            tag="uploads")},
        "/api/tools": {"get": _op("The tool catalog with availability", {
            **_ok("Tools", {"type": "object", "properties": {"tools": {"type": "array"}}}),
            **_errors("400")}, params=[_query("lang", {"enum": ["en", "zh-TW"]},
                                              "Plain-string labels in this language")],
            tag="catalog")},
        "/api/models": {"get": _op("Model files of the online engines", {
            **_ok("Models", {"type": "object", "properties": {
                "models": {"type": "array"}, "unet_models": {"type": "array"},
                "by_folder": {"type": "object"}}}), **_errors()}, tag="catalog")},
        "/api/metrics": {"get": _op("Queue, workers, backends and job counts", {
            **_ok("Metrics"), **_errors()}, tag="system")},
        "/api/events": {"get": _op("Server-Sent Events: `event: job` for every change of my jobs", {
            **_ok("An endless event stream", media="text/event-stream"), **_errors()},
            tag="system")},
        "/api/openapi.json": {"get": _op("This document", _ok("OpenAPI 3.1"), tag="system")},
        "/health": {"get": _op("Component health (200 healthy, 503 not)", {
            **_ok("Healthy"), "503": {"description": "Unhealthy", "content": _json({"type": "object"})}},
            tag="system")},
        "/livez": {"get": _op("The process is up", _ok("Up"), tag="system")},
        "/readyz": {"get": _op("Database and Redis answer", {
            **_ok("Ready"), "503": {"description": "Not ready", "content": _json({"type": "object"})}},
            tag="system")},
        "/metrics": {"get": _op("Prometheus text format", _ok("Metrics", media="text/plain"),
                                tag="system")},
        "/outputs/{name}": {"get": _op("An output image `<job>_<n>.png` (owner only)", {
            **image, **_errors("404")}, params=[_path_param("name", "`<job_id>_<n>.png`")],
            tag="outputs")},
        "/outputs/thumbs/{name}": {"get": _op("A thumbnail `<job>_<n>.webp` (owner only)", {
            **image, **_errors("404")}, params=[_path_param("name", "`<job_id>_<n>.webp`")],
            tag="outputs")},
        "/": {"get": _op("The web app", _ok("index.html", media="text/html"), tag="app")},
        "/{path}": {"get": _op("A file of the web app, or the app for an app route", {
            **_ok("The file or index.html", media="text/html"), "404": {"$ref": "#/components/responses/E404"}},
            params=[_path_param("path", "Any path outside /api/")], tag="app")},
    }


def openapi_document() -> dict:
    """The OpenAPI 3.1 document."""
    responses = {
        f"E{code}": {"description": text, "content": _json(_ref("Error")),
                     **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                        if code in ("429", "503") else {})}
        for code, text in _ERRORS.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "ComfyUI Studio API", "version": "1.0.0",
                 "description": "Errors are always `{\"error\": {\"code\", \"message\"}}`."},
        "paths": _paths(),
        "components": {"schemas": _SCHEMAS, "responses": responses},
    }
