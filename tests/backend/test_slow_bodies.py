"""Request bodies are read on the event loop: trickling clients hold no Flask thread, meet a
408 after the read timeout, and a body over the limit is refused before it is read."""

from __future__ import annotations

import json
import time

import requests

from tests.backend.helpers import bearer
from tests.backend.live_asgi import read_response, serve_in_thread, trickler


def test_hundred_trickling_bodies_leave_others_served_then_get_408(make_app):
    app = make_app(BODY_IDLE_TIMEOUT_S=2, BODY_TIMEOUT_S=3)
    auth = bearer(app)
    with serve_in_thread(app, threads=4) as url:  # 100 tricklers, 4 Flask threads
        slow = [trickler(url, auth) for _ in range(100)]
        started = time.perf_counter()
        posted = requests.post(
            url + "/api/generate", json={"prompt": "meanwhile"}, headers=auth, timeout=5
        )
        assert posted.status_code == 202, posted.text
        status = requests.get(
            f"{url}/api/status/{posted.json()['job_id']}", headers=auth, timeout=5
        )
        assert status.status_code == 200
        assert requests.get(url + "/livez", timeout=5).status_code == 200
        assert time.perf_counter() - started < 1.5  # before any trickler was cut off
        for sock in slow:
            code, headers, body = read_response(sock)
            assert code == 408 and body["error"]["code"] == "request_timeout"
            assert headers["connection"] == "close" and headers["x-content-type-options"]
            sock.close()


def test_total_timeout_cuts_a_body_that_keeps_trickling(make_app):
    app = make_app(BODY_IDLE_TIMEOUT_S=2, BODY_TIMEOUT_S=2)
    with serve_in_thread(app) as url:
        sock = trickler(url, bearer(app))
        started = time.perf_counter()
        sock.settimeout(0.3)
        # A byte every 0.3 s never trips the idle timeout; the total one ends it.
        while True:
            try:
                sock.sendall(b" ")
                if sock.recv(1):
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        assert 1.8 < time.perf_counter() - started < 4
        sock.close()


def test_body_over_the_limit_is_413_before_it_is_read(make_app):
    app = make_app(MAX_UPLOAD_MB=1)
    limit = app.config["MAX_CONTENT_LENGTH"]
    auth = bearer(app)
    with serve_in_thread(app) as url:
        sock = trickler(url, auth, length=limit + 1)  # announces too much, sends one byte
        code, _headers, body = read_response(sock)
        sock.close()
        assert code == 413 and body["error"]["code"] == "payload_too_large"
        chunked = requests.post(
            url + "/api/uploads",
            data=iter([b"x" * 65536] * (limit // 65536 + 2)),  # no Content-Length
            headers=auth,
            timeout=10,
        )
        assert chunked.status_code == 413


def test_chunked_body_reaches_flask_whole(live_server, auth_headers):
    body = json.dumps({"prompt": "chunked " * 200}).encode()
    pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
    resp = requests.post(
        live_server + "/api/generate",
        data=iter(pieces),
        headers={"Content-Type": "application/json", **auth_headers},
        timeout=5,
    )
    assert resp.status_code == 202, resp.text
