"""Building blocks of the OpenAPI document: schemas, shared responses, small helpers."""

from __future__ import annotations

from typing import Any

REF = "#/components/schemas/"
ERRORS = {
    "400": "Bad input (unknown tool or parameter, wrong type, out of range, bad JSON or image)",
    "404": "Not found (or not yours)",
    "405": "Method not allowed",
    "409": "Conflict with the job's state",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "429": "Rate limited (see Retry-After)",
    "503": "Redis or the database is unavailable (see Retry-After)",
    "507": "Storage is full (less than STORAGE_MIN_FREE_MB free, or the disk filled up)",
}


def json_content(schema: dict) -> dict:
    """A JSON content map for a schema."""
    return {"application/json": {"schema": schema}}


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": REF + name}


def ok(description: str, schema: dict | None = None, media: str | None = None, code="200"):
    """A success response with a JSON schema or a non-JSON media type."""
    if media:
        return {
            code: {"description": description, "content": {media: {"schema": {"type": "string"}}}}
        }
    return {
        code: {"description": description, "content": json_content(schema or {"type": "object"})}
    }


def errors(*codes: str) -> dict:
    """References to the shared error responses (429 and 503 always)."""
    return {c: {"$ref": f"#/components/responses/E{c}"} for c in ("429", "503", *codes)}


def probe(ok_text: str, failing_text: str, schema: str) -> dict:
    """A probe's answers: 200 when everything is ok, 503 with the same body otherwise."""
    return {
        **ok(ok_text, ref(schema)),
        "503": {
            "description": failing_text,
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": json_content(ref(schema)),
        },
    }


def path_param(name: str, description: str) -> dict:
    """A required string path parameter."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def query(name: str, schema: dict, description: str) -> dict:
    """An optional query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def op(
    summary: str,
    responses: dict,
    *,
    params: list | None = None,
    body: dict | None = None,
    tag: str = "jobs",
) -> dict:
    """One operation object."""
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = body
    return operation


JOB_ID = path_param("job_id", "The job's id")
LIST_PARAMS = [
    query(
        "status",
        {"enum": ["queued", "processing", "finished", "failed", "cancelled"]},
        "Only jobs in this state",
    ),
    query("tool", {"type": "string"}, "Only jobs of this tool"),
    query("q", {"type": "string", "maxLength": 200}, "Case-insensitive prompt search"),
    query("favorite", {"enum": ["1", "0", "true", "false"]}, "Only (non-)favourites"),
    query("active", {"enum": ["1", "0", "true", "false"]}, "Only queued/processing jobs"),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size"),
    query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Jobs to skip"),
]
GENERATE_PROPS = {
    "workflow": {"type": "string", "description": "Tool id (default text_to_image)"},
    "prompt": {"type": "string", "maxLength": 2000},
    "negative_prompt": {"type": "string"},
    "seed": {
        "type": "integer",
        "minimum": -1,
        "description": "-1: random (the real seed is returned)",
    },
    "model": {"type": ["string", "null"]},
    "aspect_ratio": {"type": "string"},
    "batch_size": {"type": "integer", "minimum": 1},
    "images": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "slot id -> upload id or data:image/...;base64 URL",
    },
    "params": {"type": "object", "description": "The tool's parameters (see GET /api/tools)"},
}
_UP_DOWN = {"enum": ["ok", "down"]}
READINESS_COMPONENTS = {
    "database": {**_UP_DOWN, "description": "a write transaction can start within seconds"},
    "redis": _UP_DOWN,
    "storage": {
        "enum": ["ok", "full", "down"],
        "description": "full: less than STORAGE_MIN_FREE_MB free under STORAGE_DIR",
    },
}
SCHEMAS = {
    "Readiness": {
        "type": "object",
        "required": ["status", "components"],
        "properties": {
            "status": _UP_DOWN,
            "components": {
                "type": "object",
                "required": list(READINESS_COMPONENTS),
                "properties": READINESS_COMPONENTS,
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "components", "demo_mode"],
        "properties": {
            "status": {
                "enum": ["ok", "degraded", "down"],
                "description": "down: the database or Redis is; degraded: anything else is",
            },
            "components": {
                "type": "object",
                "required": [*READINESS_COMPONENTS, "workers", "comfyui"],
                "properties": {
                    **READINESS_COMPONENTS,
                    "workers": {"enum": ["ok", "down", "unknown"]},
                    "comfyui": {
                        **_UP_DOWN,
                        "description": "ok: an engine answered GET /system_stats just now",
                    },
                },
            },
            "demo_mode": {"type": "boolean"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    },
    "Job": {
        "type": "object",
        "required": ["job_id", "tool", "status", "progress", "images", "outputs", "created_at"],
        "properties": {
            "job_id": {"type": "string"},
            "tool": {"type": "string"},
            "status": {"enum": ["queued", "processing", "finished", "failed", "cancelled"]},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "seq": {
                "type": "integer",
                "description": "version of this snapshot; the higher one is the newer state",
            },
            "queue_position": {"type": ["integer", "null"], "description": "1 = next to run"},
            "current_node": {"type": ["string", "null"]},
            "step": {"type": ["object", "null"]},
            "preview_url": {"type": ["string", "null"]},
            "prompt": {"type": "string"},
            "negative_prompt": {"type": ["string", "null"]},
            "seed": {"type": ["integer", "null"]},
            "model": {"type": ["string", "null"]},
            "aspect_ratio": {"type": ["string", "null"]},
            "batch_size": {"type": ["integer", "null"]},
            "params": {"type": "object"},
            "inputs": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"upload_id": {"type": "string"}, "url": {"type": "string"}},
                },
            },
            "images": {"type": "array", "items": {"type": "string"}},
            "image_url": {"type": ["string", "null"]},
            "outputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string"},
                        "thumb_url": {"type": "string"},
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                    },
                },
            },
            "error": {"type": ["string", "null"]},
            "favorite": {"type": "boolean"},
            "attempts": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "JobList": {
        "type": "object",
        "required": ["total", "limit", "offset", "jobs"],
        "properties": {
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "jobs": {"type": "array", "items": ref("Job")},
        },
    },
    "Generate": {"type": "object", "properties": GENERATE_PROPS, "additionalProperties": False},
    "Upload": {
        "type": "object",
        "properties": {
            "upload_id": {"type": "string"},
            "url": {"type": "string"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "mime": {"type": "string"},
        },
    },
}
