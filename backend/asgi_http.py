"""Small ASGI response helpers for what the server answers itself, outside Flask.

Every such response carries the same security headers Flask adds (backend.security) and the
one JSON error shape `{"error": {"code", "message"}}` (backend.errors).
"""

from __future__ import annotations

import json

from werkzeug.datastructures import Headers

from backend.security import STATIC_HEADERS

_STATIC = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in STATIC_HEADERS.items()]


def header(scope: dict, name: bytes) -> str | None:
    """A request header's value (repeated headers joined with ", "), or None."""
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name]
    return ", ".join(values) if values else None


def scope_headers(scope: dict) -> Headers:
    """The request's headers as Werkzeug Headers (what backend.auth.identify reads)."""
    return Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])


def response_headers(content_type: bytes, extra: list[tuple[bytes, bytes]] = ()) -> list:
    """The security headers, the content type and `extra`."""
    return [(b"content-type", content_type), *_STATIC, *extra]


async def send_json_error(
    send,
    status: int,
    code: str,
    message: str,
    retry_after: int | None = None,
    close: bool = False,
) -> None:
    """Answer `{"error": {"code", "message"}}`; `close` ends the connection after it."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    extra = [(b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        extra.append((b"retry-after", str(int(retry_after)).encode()))
    if close:
        extra.append((b"connection", b"close"))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": response_headers(b"application/json", extra),
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
