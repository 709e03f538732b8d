"""backend.serving.wsgi_bridge: a WSGI app run in threads for the event loop: small answers come back
whole, large and lazy ones a chunk at a time, every iterable is closed, and an upload and
its download pass through the real server intact."""

from __future__ import annotations

import asyncio
import io

import requests

from backend.serving.wsgi_bridge import WHOLE_BYTES, WSGIBridge, build_environ
from tests.backend.helpers import png_bytes

SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/api/x",
    "query_string": b"a=1&b=%C3%A9",
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", b"999"),  # what the client claimed; the body read says 2
        (b"x-forwarded-for", b"1.2.3.4"),
        (b"x-forwarded-for", b"5.6.7.8"),
    ],
    "client": ("127.0.0.1", 5555),
    "server": ("127.0.0.1", 5000),
    "scheme": "http",
    "http_version": "1.1",
}


class Body:
    """A WSGI iterable that records whether it was closed."""

    def __init__(self, chunks):
        self.chunks, self.closed = chunks, False

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        self.closed = True


def run(app, body=None) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def go():
        bridge = WSGIBridge(app, 2)
        await bridge(SCOPE, body, send)
        bridge.shutdown()

    asyncio.run(go())
    return sent


def test_environ_has_the_read_body_and_joined_headers():
    environ = build_environ(SCOPE, io.BytesIO(b"{}"))
    assert environ["CONTENT_LENGTH"] == "2" and environ["wsgi.input"].read() == b"{}"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["HTTP_X_FORWARDED_FOR"] == "1.2.3.4,5.6.7.8"
    assert environ["QUERY_STRING"] == "a=1&b=%C3%A9" and environ["REMOTE_ADDR"] == "127.0.0.1"
    assert "HTTP_CONTENT_LENGTH" not in environ


def test_small_response_comes_back_whole_and_is_closed():
    body = Body([b"a", b"b"])

    def app(environ, start_response):
        start_response("201 Created", [("Content-Type", "text/plain")])
        return body

    sent = run(app)
    assert sent[0] == {
        "type": "http.response.start",
        "status": 201,
        "headers": [(b"content-type", b"text/plain")],
    }
    assert sent[1:] == [{"type": "http.response.body", "body": b"ab", "more_body": False}]
    assert body.closed


def test_large_lazy_response_is_streamed_and_closed():
    chunk = b"x" * 65536
    count = WHOLE_BYTES // len(chunk) * 3
    body = Body([chunk] * count)

    def app(environ, start_response):
        def lazy():
            start_response("200 OK", [("Content-Length", str(len(chunk) * count))])
            yield from body

        return lazy()

    sent = run(app)
    assert sent[0]["status"] == 200
    assert b"".join(m["body"] for m in sent[1:]) == chunk * count
    assert len(sent) > 3 and sent[-1]["more_body"] is False


def test_upload_and_download_through_the_server(live_server, auth_headers):
    image = png_bytes(640, 480)
    posted = requests.post(
        live_server + "/api/uploads",
        files={"file": ("a.png", image, "image/png")},
        headers=auth_headers,
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    got = requests.get(live_server + posted.json()["url"], headers=auth_headers, timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("image/")
    assert got.content[:8] == b"\x89PNG\r\n\x1a\n" or got.content[:2] == b"\xff\xd8"
