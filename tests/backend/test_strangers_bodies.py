"""A request body is read only for a caller the headers identify (or for the login route):
a stranger's POST is answered 401 at once, its body never waited for nor spooled; the server
drops the rest as it comes and the connection stays usable, and one that trickles it is
closed by the head deadline (issue 9: anonymous clients could hold a read for
BODY_IDLE_TIMEOUT_S and make the backend spool MAX_UPLOAD_MB + 1 MB each)."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from backend.serving import asgi
from tests.backend.helpers import bearer, header_lines
from tests.backend.live_asgi import read_response, serve_in_thread, trickler
from tests.raw_http import read_reply

IDLE_S = 3  # BODY_IDLE_TIMEOUT_S of these apps: a stranger's answer comes well before it
HEAD_S = 2  # HEAD_TIMEOUT_S of these apps


def _post_head(url: str, path: str, length: int, headers: dict[str, str]) -> socket.socket:
    """A POST to `path` that promises `length` bytes of JSON and sends one."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=IDLE_S + 5)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{header_lines(headers)}Content-Length: {length}\r\n\r\n{{".encode()
    )
    return sock


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Cookie": "studio_session=not-a-session"},
    ],
    ids=["none", "wrong-token", "wrong-cookie"],
)
def test_a_strangers_body_is_not_read_it_is_401_at_once(make_app, monkeypatch, credentials):
    app = make_app(BODY_IDLE_TIMEOUT_S=IDLE_S, BODY_TIMEOUT_S=IDLE_S * 2, HEAD_TIMEOUT_S=HEAD_S)
    spooled = []
    read_body = asgi.read_body
    monkeypatch.setattr(asgi, "read_body", lambda *a: spooled.append(a) or read_body(*a))
    size = 2 * 1024 * 1024
    with serve_in_thread(app) as url:
        started = time.monotonic()
        sock = _post_head(url, "/api/uploads", size, credentials)  # sends 1 byte of `size`
        reply = read_reply(sock)
        waited = time.monotonic() - started
        # The rest of the body is dropped as it comes; the connection serves the next request.
        sock.sendall(b" " * (size - 1) + b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        after = read_reply(sock)
        sock.close()
    assert reply.status == 401 and reply.json()["error"]["code"] == "unauthorized", reply.body
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert waited < IDLE_S / 2 and spooled == []
    assert after.status == 200


def test_a_stranger_trickling_the_rest_is_closed_by_the_head_deadline(make_app):
    app = make_app(
        BODY_IDLE_TIMEOUT_S=IDLE_S * 10, BODY_TIMEOUT_S=IDLE_S * 10, HEAD_TIMEOUT_S=HEAD_S
    )
    with serve_in_thread(app) as url:
        sock = _post_head(url, "/api/generate", 1000, {})
        assert read_reply(sock).status == 401
        started = time.monotonic()
        sock.settimeout(0.25)
        closed = False
        while not closed and time.monotonic() - started < HEAD_S + 3:
            try:
                sock.sendall(b" ")  # a byte every 0.25 s: never idle, never done
                closed = sock.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
        waited = time.monotonic() - started
        sock.close()
    assert closed and HEAD_S - 0.5 < waited < HEAD_S + 2, waited


def test_identified_callers_and_the_login_route_have_their_bodies_read(make_app):
    app = make_app(BODY_IDLE_TIMEOUT_S=IDLE_S, BODY_TIMEOUT_S=IDLE_S * 2)
    auth = bearer(app)
    with serve_in_thread(app) as url:
        started = time.monotonic()
        for sock in (trickler(url, auth), _post_head(url, "/api/auth/login", 100, {})):
            code, _headers, body = read_response(sock)  # waited for the rest of the body
            sock.close()
            assert code == 408 and body["error"]["code"] == "request_timeout"
            assert time.monotonic() - started > IDLE_S - 0.5
        posted = requests.post(url + "/api/generate", json={"prompt": "a"}, headers=auth, timeout=5)
        assert posted.status_code == 202, posted.text
        wrong = requests.post(
            url + "/api/auth/login", json={"username": "admin", "password": "no"}, timeout=5
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["code"]


def test_when_the_accounts_cannot_be_read_first_the_body_is_read_and_flask_answers(
    make_app, monkeypatch
):
    """A database error in the early check is not the caller's fault: the request goes the
    usual way (Flask's gate identifies again and answers, here with the job accepted)."""
    app = make_app()
    auth = bearer(app)

    def unavailable(*_args):
        raise ConnectionError("database down")

    monkeypatch.setattr(asgi, "identify", unavailable)
    with serve_in_thread(app) as url:
        posted = requests.post(url + "/api/generate", json={"prompt": "a"}, headers=auth, timeout=5)
        anonymous = requests.post(url + "/api/generate", json={"prompt": "a"}, timeout=5)
    assert posted.status_code == 202, posted.text
    assert anonymous.status_code == 401
