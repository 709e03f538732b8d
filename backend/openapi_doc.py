"""The OpenAPI 3.1 description of every route (served at /api/openapi.json).

A test compares it with `app.url_map`, so a route added without documentation fails CI.
"""

from __future__ import annotations

from backend.openapi_schemas import (
    ERRORS,
    JOB_ID,
    LIST_PARAMS,
    SCHEMAS,
    errors,
    json_content,
    ok,
    op,
    path_param,
    probe,
    query,
    ref,
)


def _paths() -> dict:
    job_list = ok("A page of my jobs with the real total", ref("JobList"))
    image = {
        "200": {
            "description": "The image",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/webp": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
    return {
        "/api/generate": {
            "post": op(
                "Queue a job (header Idempotency-Key: same key, same job)",
                {
                    **ok(
                        "Queued",
                        {
                            "type": "object",
                            "properties": {
                                "job_id": {"type": "string"},
                                "status": {"type": "string"},
                                "seed": {"type": ["integer", "null"]},
                                "job": ref("Job"),
                            },
                        },
                        code="202",
                    ),
                    **errors("400", "413", "415", "507"),
                },
                params=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 128},
                    }
                ],
                body={
                    "required": True,
                    "content": {
                        **json_content(ref("Generate")),
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "description": "The same fields as form fields (params and images as JSON strings) and one "
                                "file part per slot id",
                                "additionalProperties": True,
                            }
                        },
                    },
                },
            )
        },
        "/api/status/{job_id}": {
            "get": op(
                "A job with live progress",
                {**ok("The job", ref("Job")), **errors("404")},
                params=[JOB_ID],
            )
        },
        "/api/cancel/{job_id}": {
            "post": op(
                "Cancel a job (idempotent)",
                {
                    **ok(
                        "Cancelled",
                        {
                            "type": "object",
                            "properties": {
                                "job_id": {"type": "string"},
                                "status": {"type": "string"},
                            },
                        },
                    ),
                    **errors("404", "409"),
                },
                params=[JOB_ID],
            )
        },
        "/api/jobs": {"get": op("My jobs", {**job_list, **errors("400")}, params=LIST_PARAMS)},
        "/api/history": {
            "get": op(
                "My jobs (the original studio's name)",
                {**job_list, **errors("400")},
                params=LIST_PARAMS,
            )
        },
        "/api/jobs/{job_id}": {
            "get": op("One job", {**ok("The job", ref("Job")), **errors("404")}, params=[JOB_ID]),
            "delete": op(
                "Delete a finished job and its files",
                {"204": {"description": "Deleted"}, **errors("404", "409")},
                params=[JOB_ID],
            ),
        },
        "/api/jobs/{job_id}/favorite": {
            "post": op(
                "Mark or unmark a favourite",
                {**ok("The job", ref("Job")), **errors("400", "404", "415")},
                params=[JOB_ID],
                body={
                    "required": True,
                    "content": json_content(
                        {"type": "object", "properties": {"favorite": {"type": "boolean"}}}
                    ),
                },
            )
        },
        "/api/jobs/{job_id}/preview": {
            "get": op(
                "Latest live preview frame of a running job",
                {
                    "200": {
                        "description": "The frame",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **errors("404"),
                },
                params=[JOB_ID],
            )
        },
        "/api/uploads": {
            "post": op(
                "Upload an image (PNG, JPEG or WebP)",
                {
                    **ok("Stored (re-encoded, metadata removed)", ref("Upload"), code="201"),
                    **errors("400", "413", "415", "507"),
                },
                tag="uploads",
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                },
            )
        },
        "/api/uploads/{upload_id}": {
            "get": op(
                "One of my uploads",
                {
                    "200": {
                        "description": "PNG",
                        "content": {"image/png": {"schema": {"type": "string"}}},
                    },
                    **errors("404"),
                },
                params=[path_param("upload_id", "The upload's id")],
                tag="uploads",
            )
        },
        "/api/tools": {
            "get": op(
                "The tool catalog with availability",
                {
                    **ok("Tools", {"type": "object", "properties": {"tools": {"type": "array"}}}),
                    **errors("400"),
                },
                params=[
                    query("lang", {"enum": ["en", "zh-TW"]}, "Plain-string labels in this language")
                ],
                tag="catalog",
            )
        },
        "/api/models": {
            "get": op(
                "Model files of the online engines",
                {
                    **ok(
                        "Models",
                        {
                            "type": "object",
                            "properties": {
                                "models": {"type": "array"},
                                "unet_models": {"type": "array"},
                                "by_folder": {"type": "object"},
                            },
                        },
                    ),
                    **errors(),
                },
                tag="catalog",
            )
        },
        "/api/metrics": {
            "get": op(
                "Queue, workers, backends and job counts",
                {**ok("Metrics"), **errors()},
                tag="system",
            )
        },
        "/api/events": {
            "get": op(
                "Server-Sent Events: `event: job` for every change of my jobs",
                {**ok("An endless event stream", media="text/event-stream"), **errors()},
                tag="system",
            )
        },
        "/api/openapi.json": {"get": op("This document", ok("OpenAPI 3.1"), tag="system")},
        "/health": {
            "get": op(
                "Readiness, a live worker and an engine that answers now (200 healthy, 503 not)",
                probe("Healthy", "Unhealthy", "Health"),
                tag="system",
            )
        },
        "/livez": {"get": op("The process is up", ok("Up"), tag="system")},
        "/readyz": {
            "get": op(
                "The database takes writes, Redis answers, storage is above its floor",
                probe("Ready", "Not ready", "Readiness"),
                tag="system",
            )
        },
        "/metrics": {
            "get": op("Prometheus text format", ok("Metrics", media="text/plain"), tag="system")
        },
        "/outputs/{name}": {
            "get": op(
                "An output image `<job>_<n>.png` (owner only)",
                {**image, **errors("404")},
                params=[path_param("name", "`<job_id>_<n>.png`")],
                tag="outputs",
            )
        },
        "/outputs/thumbs/{name}": {
            "get": op(
                "A thumbnail `<job>_<n>.webp` (owner only)",
                {**image, **errors("404")},
                params=[path_param("name", "`<job_id>_<n>.webp`")],
                tag="outputs",
            )
        },
        "/": {"get": op("The web app", ok("index.html", media="text/html"), tag="app")},
        "/{path}": {
            "get": op(
                "A file of the web app, or the app for an app route",
                {
                    **ok("The file or index.html", media="text/html"),
                    "404": {"$ref": "#/components/responses/E404"},
                },
                params=[path_param("path", "Any path outside /api/")],
                tag="app",
            )
        },
    }


def openapi_document() -> dict:
    """The OpenAPI 3.1 document."""
    responses = {
        f"E{code}": {
            "description": text,
            "content": json_content(ref("Error")),
            **(
                {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                if code in ("429", "503")
                else {}
            ),
        }
        for code, text in ERRORS.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ComfyUI Studio API",
            "version": "1.0.0",
            "description": 'Errors are always `{"error": {"code", "message"}}`.',
        },
        "paths": _paths(),
        "components": {"schemas": SCHEMAS, "responses": responses},
    }
