"""The accounts contract of issue 9 as OpenAPI data, for the routes backend/openapi.json lacks.

The fake API serves sign-in, tokens and users before the accounts work has documented them.
Rather than let those answers go unchecked, this module holds them to the contract written
in the issue: request and answer schemas for the new paths, a JSON error for the 401/403 any
protected route may now answer, and `?all=1` on the job list. Wherever the document already
has an operation, status or parameter, the document decides (tests/openapi_contract.py);
this module only fills what is missing, and tests/e2e/test_fake_api_contract.py names
exactly which routes it fills.
"""

from __future__ import annotations

import re

from tests import openapi_contract as documented
from tests.openapi_contract import DOC, schema_problems

ERROR = {"$ref": "#/components/schemas/Error"}
ID = {"type": ["integer", "string"]}
STAMP = {"type": ["string", "null"]}
USER = {  # a user as every account answer shows them (never the password hash)
    "type": "object",
    "required": ["id", "username", "role", "disabled", "created_at"],
    "properties": {
        "id": ID,
        "username": {"type": "string"},
        "role": {"enum": ["admin", "user"]},
        "disabled": {"type": "boolean"},
        "created_at": STAMP,
    },
}
ADMIN_VIEW = USER
SESSION = {
    "type": "object",
    "required": ["user", "csrf_token"],
    "properties": {"user": USER, "csrf_token": {"type": ["string", "null"], "minLength": 16}},
}
TOKEN = {
    "type": "object",
    "required": ["id", "name", "created_at", "last_used_at"],
    "properties": {
        "id": ID,
        "name": {"type": "string"},
        "created_at": STAMP,
        "last_used_at": STAMP,
    },
}
NEW_TOKEN = {
    **TOKEN,
    "required": [*TOKEN["required"], "token"],
    "properties": {**TOKEN["properties"], "token": {"type": "string", "minLength": 20}},
}


def _obj(required: list[str], **props) -> dict:
    return {
        "type": "object",
        "required": required,
        "properties": props,
        "additionalProperties": False,
    }


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _op(responses: dict[str, dict | None], body: dict | None = None) -> dict:
    op = {"responses": {s: (_json(v) if v else {}) for s, v in responses.items()}}
    if body:
        op["requestBody"] = _json(body)
    return op


PASSWORD = {"type": "string", "minLength": 1, "maxLength": 1024}
NEW_PASSWORD = {"type": "string", "minLength": 10, "maxLength": 1024}
NAME = {"type": "string", "minLength": 1, "maxLength": 64}
USERNAME = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,64}$"}
TOKEN_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
ROLE = {"enum": ["admin", "user"]}
E = ERROR
PENDING_PATHS: dict[str, dict[str, dict]] = {
    "/api/auth/login": {
        "post": _op(
            {"200": SESSION, "400": E, "401": E, "429": E},
            _obj(["username", "password"], username=NAME, password=PASSWORD),
        )
    },
    "/api/auth/logout": {
        "post": _op({"204": None, "401": E, "403": E}, _obj([], everywhere={"type": "boolean"}))
    },
    "/api/auth/me": {"get": _op({"200": SESSION, "401": E})},
    "/api/auth/password": {
        "post": _op(
            {"200": _obj(["user"], user=ADMIN_VIEW), "400": E, "401": E, "403": E, "429": E},
            _obj(
                ["current_password", "new_password"],
                current_password=PASSWORD,
                new_password=NEW_PASSWORD,
            ),
        )
    },
    "/api/auth/tokens": {
        "get": _op({"200": _obj(["tokens"], tokens={"type": "array", "items": TOKEN}), "401": E}),
        "post": _op(
            {"201": NEW_TOKEN, "400": E, "401": E, "403": E}, _obj(["name"], name=TOKEN_NAME)
        ),
    },
    "/api/auth/tokens/{token_id}": {"delete": _op({"204": None, "401": E, "403": E, "404": E})},
    "/api/users": {
        "get": _op(
            {
                "200": _obj(["users"], users={"type": "array", "items": ADMIN_VIEW}),
                "401": E,
                "403": E,
            }
        ),
        "post": _op(
            {"201": ADMIN_VIEW, "400": E, "401": E, "403": E, "409": E},
            _obj(
                ["username", "password", "role"],
                username=USERNAME,
                password=NEW_PASSWORD,
                role=ROLE,
            ),
        ),
    },
    "/api/users/{user_id}": {
        "patch": _op(
            {"200": ADMIN_VIEW, "400": E, "401": E, "403": E, "404": E},
            _obj([], role=ROLE, disabled={"type": "boolean"}, password=NEW_PASSWORD),
        ),
        "delete": _op({"204": None, "401": E, "403": E, "404": E, "409": E}),
    },
}
# Any protected route may now answer 401 (signed out) and 403 (CSRF failed, or admins only).
PENDING_STATUSES = {"401", "403"}
PENDING_QUERY = {("get", "/api/jobs"): {"all": {"enum": ["1", "0", "true", "false"]}}}
PUBLIC = {"/livez", "/readyz", "/", "/{path}", "/api/auth/login"}


def awaiting_document() -> set[tuple[str, str]]:
    """(METHOD, template) of the pending routes the document does not have yet."""
    return {
        (method.upper(), template)
        for template, ops in PENDING_PATHS.items()
        for method in ops
        if method not in DOC["paths"].get(template, {})
    }


def _pending(method: str, path: str) -> tuple[str, dict, dict] | None:
    for template, ops in PENDING_PATHS.items():
        pattern = re.sub(r"\\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
        found = re.fullmatch(pattern, path)
        if found and (method.upper(), template) in awaiting_document():
            return template, ops.get(method.lower(), {}), found.groupdict()
    return None


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The template `method path` reaches, documented first, then pending."""
    pending = _pending(method, path)
    if pending:
        return pending[0], pending[2]
    return documented.match_path(path)


def request_problems(method: str, path: str, query: dict[str, str], body) -> list[str]:
    """Why a request leaves the contract: the document where it speaks, else the issue's."""
    where = f"{method} {path}"
    pending = _pending(method, path)
    if pending is None:
        template = (documented.match_path(path) or ("", {}))[0]
        extra = PENDING_QUERY.get((method.lower(), template), {})
        op = documented.operation(method, path) or {}
        known = {p["name"] for p in op.get("parameters", [])}
        added = {k: v for k, v in query.items() if k in extra and k not in known}
        problems = documented.request_problems(
            method, path, {k: v for k, v in query.items() if k not in added}, body
        )
        for name, value in added.items():
            problems += [
                f"{where} ?{name}={value} {p}" for p in schema_problems(extra[name], value)
            ]
        return problems
    problems = [f"{where}: undocumented query parameter {name}" for name in query]
    content = pending[1].get("requestBody", {}).get("content", {})
    if content and body is not None:
        problems += [
            f"{where} body {p}"
            for p in schema_problems(content["application/json"]["schema"], body)
        ]
    return problems


def response_problems(method: str, path: str, status: int, media: str | None, body) -> list[str]:
    """Why an answer leaves the contract: the document where it speaks, else the issue's."""
    where = f"{method} {path}"
    pending = _pending(method, path)
    if pending is None:
        op = documented.operation(method, path) or {}
        template = (documented.match_path(path) or ("", {}))[0]
        if str(status) in PENDING_STATUSES and str(status) not in op.get("responses", {}):
            if template in PUBLIC:
                return [f"{where} is public and answered {status}"]
            return [f"{where} {status} {p}" for p in schema_problems(ERROR, body)]
        return documented.response_problems(method, path, status, media, body)
    responses = pending[1].get("responses", {})
    if str(status) not in responses:
        return [f"{where} answered {status}, the contract has {list(responses)}"]
    content = responses[str(status)].get("content", {})
    if not content:
        return [] if body is None else [f"{where} {status} has a body, the contract has none"]
    if media != "application/json":
        return [f"{where} {status} answered {media or 'no body'}, the contract has JSON"]
    return [
        f"{where} {status} {p}"
        for p in schema_problems(content["application/json"]["schema"], body)
    ]
