"""The OpenAPI document as a test oracle: which operation a request reaches, and whether a
request or an answer fits what the document promises.

The real API's response tests and the browser tests' fake API both check against it, so
the fake cannot drift from the contract the backend is held to.
"""

from __future__ import annotations

import re
from functools import cache

from jsonschema import Draft202012Validator

from backend.openapi import openapi_document

DOC = openapi_document()
SPA_FALLBACK = "/{path}"  # the web app's catch-all matches any path; it is never an API route


@cache
def _path_pattern(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)))


def match_path(path: str) -> tuple[str, dict[str, str]] | None:
    """The documented template that `path` (no query) matches, with its path parameters."""
    for template in DOC["paths"]:
        found = _path_pattern(template).fullmatch(path)
        if found and template != SPA_FALLBACK:
            return template, found.groupdict()
    return None


def operation(method: str, path: str) -> dict | None:
    """The operation object for `method path`, or None when the document has no such route."""
    matched = match_path(path.split("?")[0])
    return DOC["paths"][matched[0]].get(method.lower()) if matched else None


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        section, name = re.fullmatch(r"#/components/(\w+)/(\w+)", node["$ref"]).groups()
        node = DOC["components"][section][name]
    return node


def schema_problems(schema: dict, value) -> list[str]:
    """Why `value` does not fit `schema` (which may reference the document's components)."""
    validator = Draft202012Validator({**schema, "components": DOC["components"]})
    found = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in found[:5]]


def response_problems(method: str, path: str, status: int, media: str | None, body) -> list[str]:
    """Why an answer does not fit the document: route, status, media type, JSON schema."""
    where = f"{method} {path}"
    op = operation(method, path)
    if op is None:
        return [f"{where} is not documented"]
    documented = op["responses"]
    if str(status) not in documented:
        return [f"{where} answered {status}, documented {list(documented)}"]
    content = _resolve(documented[str(status)]).get("content", {})
    media = (media or "").split(";")[0].strip()
    if content and media not in content:
        return [f"{where} {status} answered {media or 'no body'}, documented {list(content)}"]
    if media != "application/json":
        return []
    return [f"{where} {status} {p}" for p in schema_problems(content[media]["schema"], body)]


def _query_value(schema: dict, text: str):
    """A query string value as its schema's type (the document types limit/offset as integers)."""
    if schema.get("type") == "integer" and re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def request_problems(method: str, path: str, query: dict[str, str], body) -> list[str]:
    """Why a request does not fit the document: route, query parameters, JSON body."""
    where = f"{method} {path}"
    op = operation(method, path)
    if op is None:
        return [f"{where} is not documented"]
    params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}
    problems = [f"{where}: undocumented query parameter {name}" for name in query.keys() - params]
    for name in query.keys() & params:
        value = _query_value(params[name], query[name])
        problems += [
            f"{where} ?{name}={query[name]} {p}" for p in schema_problems(params[name], value)
        ]
    content = op.get("requestBody", {}).get("content", {})
    if isinstance(body, dict) and "application/json" in content:
        schema = content["application/json"]["schema"]
        problems += [f"{where} body {p}" for p in schema_problems(schema, body)]
    return problems
