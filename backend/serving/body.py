"""Request bodies read on the event loop before a WSGI thread sees the request.

A client that trickles its body costs a coroutine, not one of the Flask threads, and is cut
off with a 408 after BODY_IDLE_TIMEOUT_S without a byte or BODY_TIMEOUT_S in all. Bodies
over the app's MAX_CONTENT_LENGTH are refused (413) as soon as that is known. Small bodies
stay in memory, larger ones spill to a temporary file (as waitress did), so 100 slow uploads
do not hold 100 x 20 MB of RAM.
"""

from __future__ import annotations

import asyncio
import tempfile
import time

SPILL_BYTES = 1024 * 1024  # bodies above this go to a temporary file


class BodyRefused(Exception):
    """The body cannot be accepted: answered as a JSON error, then the connection closes."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


def has_body(scope: dict) -> bool:
    """Whether the request says a body follows (HTTP/1.1: Content-Length or chunked)."""
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"])


def declared_length(scope: dict) -> int | None:
    """The Content-Length header as a number, None when absent or not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(
    receive, declared: int | None, limit: int | None, idle_s: float, total_s: float
) -> tempfile.SpooledTemporaryFile | None:
    """The whole body (at position 0), None when empty; raises BodyRefused or ClientGone."""
    too_large = BodyRefused(
        413, "payload_too_large", f"The request body is larger than {limit} bytes."
    )
    if limit is not None and declared is not None and declared > limit:
        raise too_large
    deadline = time.monotonic() + total_s
    body, size = None, 0
    while True:
        wait = min(idle_s, deadline - time.monotonic())
        try:
            if wait <= 0:
                raise TimeoutError
            message = await asyncio.wait_for(receive(), wait)
        except TimeoutError:
            if body is not None:
                body.close()
            raise BodyRefused(
                408, "request_timeout", "The request body arrived too slowly; send it again."
            ) from None
        if message["type"] == "http.disconnect":
            if body is not None:
                body.close()
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if limit is not None and size > limit:
                if body is not None:
                    body.close()
                raise too_large
            if body is None:
                body = tempfile.SpooledTemporaryFile(max_size=SPILL_BYTES)  # noqa: SIM115 - caller closes
            body.write(chunk)
        if not message.get("more_body", False):
            break
    if body is not None:
        body.seek(0)
    return body
