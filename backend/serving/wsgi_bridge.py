"""Flask behind the event loop: one thread hop per ordinary request.

A request whose body the loop has read (backend.serving.body) runs in the thread pool; the
response comes back whole when it is small (the usual JSON answer), so the loop writes it at
once instead of taking every piece from the thread separately (each hand-over is a wake-up
of the loop and a wait for the GIL: +40% CPU per request with a2wsgi, measured). A larger
or streamed response (images, files) is pulled from the thread a chunk at a time.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

WHOLE_BYTES = 256 * 1024  # responses up to this size come back from the thread in one piece
_DONE = object()


def build_environ(scope: dict, body) -> dict:
    """The PEP 3333 environ of an ASGI HTTP request whose body is `body` (a file or None)."""
    size = 0
    if body is not None:
        body.seek(0, io.SEEK_END)
        size = body.tell()
        body.seek(0)
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(size),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body if body is not None else io.BytesIO(),
        "wsgi.input_terminated": True,  # exactly the body, already de-chunked
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client[0], str(client[1])
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name in ("content-length", "transfer-encoding"):
            continue  # the body is whole: CONTENT_LENGTH above says its size
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class WSGIBridge:
    """Runs a WSGI app on `threads` threads for an ASGI server."""

    def __init__(self, wsgi_app, threads: int):
        self.app = wsgi_app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="flask")

    async def __call__(self, scope: dict, body, send, extra_environ: dict | None = None) -> None:
        """Run the request (`body` a file or None) with `extra_environ` added to its environ."""
        loop = asyncio.get_running_loop()
        environ = build_environ(scope, body)
        environ.update(extra_environ or {})
        status, headers, first, rest = await loop.run_in_executor(self.executor, self._run, environ)
        if rest is None:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": first, "more_body": False})
            return
        iterable, chunks = rest
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": first, "more_body": True})
            while (
                chunk := await loop.run_in_executor(self.executor, next, chunks, _DONE)
            ) is not _DONE:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            if hasattr(iterable, "close"):
                await loop.run_in_executor(self.executor, iterable.close)

    def _run(self, environ: dict):
        """In a thread: the response's status, headers, first bytes and (when it is larger
        than WHOLE_BYTES) the iterable and iterator to pull the rest from."""
        started: list = []

        def start_response(status, headers, exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]

        iterable = self.app(environ, start_response)
        chunks, size, rest = [], 0, None
        try:
            iterator = iter(iterable)
            for chunk in iterator:
                chunks.append(chunk)
                size += len(chunk)
                if size > WHOLE_BYTES:
                    rest = (iterable, iterator)
                    break
        finally:
            if rest is None and hasattr(iterable, "close"):
                iterable.close()
        status, headers = started
        raw_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
        ]
        return int(status.split(" ", 1)[0]), raw_headers, b"".join(chunks), rest

    def shutdown(self) -> None:
        """Stop taking requests (the threads finish what they run)."""
        self.executor.shutdown(wait=False)
