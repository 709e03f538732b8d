"""`/api/events` served natively by the real server: frames, headers, who may open a stream
and whose events it carries, the per-user cap across processes sharing Redis, slots freed by
disconnect, by shutdown and by lease expiry after a crash, one pub/sub connection per process,
and /livez answering while many streams are open."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import requests

from backend.security import STATIC_HEADERS
from studio_core.redis_client import connect_redis
from studio_ops.processes import ROOT, free_port
from tests.backend.helpers import (
    base_config,
    bearer,
    header_lines,
    live_login,
    make_user,
    services,
)
from tests.backend.live_asgi import serve_in_thread
from tests.helpers import wait_until


def open_stream(url: str, headers: dict[str, str]) -> socket.socket:
    """A raw stream with these credentials (as many as a test needs, none of requests' pools);
    returns after the `retry:` frame, i.e. once the server holds the stream's slot and
    subscription."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    request = f"GET /api/events HTTP/1.1\r\nHost: {host}\r\n{header_lines(headers)}\r\n"
    sock.sendall(request.encode())
    head = b""
    while b"retry: 2000" not in head:
        chunk = sock.recv(4096)
        assert chunk, f"stream closed before its first frame: {head!r}"
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    """What a raw stream sends up to and including `marker`."""
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"stream closed before {marker!r}: {data[-200:]!r}"
        data += chunk
    return data


def stream_status(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    """Status and JSON body of a stream request that is refused (or 200 and {})."""
    with requests.get(url + "/api/events", headers=headers, stream=True, timeout=5) as resp:
        if resp.status_code == 200:
            return 200, {}
        return resp.status_code, resp.json()


def test_stream_headers_and_first_frame(live_server, auth_headers):
    url = f"{live_server}/api/events"
    with requests.get(url, headers=auth_headers, stream=True, timeout=5) as resp:
        assert resp.status_code == 200
        for name, value in STATIC_HEADERS.items():
            assert resp.headers[name] == value, name
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["X-Accel-Buffering"] == "no"
        lines = resp.iter_lines(decode_unicode=True)
        assert [next(lines), next(lines), next(lines)] == ["retry: 2000", "", ": ping"]


def test_the_cap_is_per_user(app, user_headers, auth_headers):
    """User A's 9th stream is refused while user B (and the admin) still get theirs."""
    held = []
    with serve_in_thread(app) as url:
        held += [open_stream(url, user_headers["a"]) for _ in range(8)]  # STREAMS_PER_USER
        status, body = stream_status(url, user_headers["a"])
        assert status == 429 and body["error"]["code"] == "too_many_streams"
        assert "8" in body["error"]["message"]
        held += [open_stream(url, user_headers["b"]), open_stream(url, auth_headers)]
        for sock in held:
            sock.close()


def test_cap_holds_across_two_processes_and_disconnect_frees_a_slot(make_app):
    first, second = make_app(STREAMS_PER_USER=2), make_app(STREAMS_PER_USER=2)  # one database
    alice = bearer(first, make_user(first, "alice")["id"])
    bob = bearer(first, make_user(first, "bob")["id"])
    with serve_in_thread(first) as url_a, serve_in_thread(second) as url_b:
        held = [open_stream(url_a, alice), open_stream(url_b, alice)]
        for url in (url_a, url_b):
            status, body = stream_status(url, alice)
            assert status == 429
            assert body["error"]["code"] == "too_many_streams"
            assert "2" in body["error"]["message"]
            assert stream_status(url, bob)[0] == 200  # another user's slots are their own
        held.pop().close()  # the client goes away: its slot comes back
        wait_until(lambda: stream_status(url_a, alice)[0] == 200, 5, "a freed slot")
        for sock in held:
            sock.close()


def test_an_admins_stream_carries_every_users_events_a_users_only_their_own(
    app, users, user_headers, auth_headers
):
    events = services(app).events
    with serve_in_thread(app) as url:
        admin = open_stream(url, auth_headers)
        alice = open_stream(url, user_headers["a"])
        bob = open_stream(url, user_headers["b"])
        # One Redis connection delivers in publish order: each end marker comes after the jobs.
        events.publish_job(users["a"]["id"], {"job_id": "job-of-a", "status": "queued"})
        events.publish_job(users["b"]["id"], {"job_id": "job-of-b", "status": "queued"})
        events.publish_job(users["a"]["id"], {"job_id": "end-of-a", "status": "queued"})
        events.publish_job(users["b"]["id"], {"job_id": "end-of-b", "status": "queued"})
        seen_by_admin = read_until(admin, b'"end-of-b"')
        assert b'"job-of-a"' in seen_by_admin and b'"job-of-b"' in seen_by_admin
        seen_by_alice = read_until(alice, b'"end-of-a"')
        assert b'"job-of-a"' in seen_by_alice and b"job-of-b" not in seen_by_alice
        seen_by_bob = read_until(bob, b'"end-of-b"')
        assert b'"job-of-b"' in seen_by_bob and b"of-a" not in seen_by_bob
        for sock in (admin, alice, bob):
            sock.close()


def test_refused_stream_is_counted_and_json(make_app):
    app = make_app(STREAMS_PER_USER=1)
    auth = bearer(app)
    with serve_in_thread(app) as url:
        sock = open_stream(url, auth)
        resp = requests.get(url + "/api/events", headers=auth, timeout=5)
        assert resp.status_code == 429 and resp.headers["Content-Type"] == "application/json"
        assert resp.headers["Retry-After"]
        assert resp.headers["Content-Security-Policy"] == STATIC_HEADERS["Content-Security-Policy"]
        sock.close()
        metrics = requests.get(url + "/metrics", headers=auth, timeout=5).text
    assert 'studio_http_requests_total{endpoint="events.events",method="GET",status="429"} 1.0' in (
        metrics
    )


def test_redis_down_at_open_is_503_json(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with serve_in_thread(app) as url:
        resp = requests.get(url + "/api/events", headers=bearer(app), timeout=10)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.json()["error"]["code"] == "redis_unavailable"


def test_anonymous_stream_is_401_json_and_holds_nothing(live_server, redis_client):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Cookie": "studio_session=x"}):
        resp = requests.get(live_server + "/api/events", headers=headers, timeout=5)
        assert resp.status_code == 401 and resp.headers["Content-Type"] == "application/json"
        assert resp.json()["error"]["code"] == "unauthorized"
    assert not redis_client.keys("studio:streams:*")
    assert not [c for c in redis_client.client_list() if int(c["sub"]) > 0]


def _subscribe_calls(redis_client) -> int:
    return redis_client.info("commandstats").get("cmdstat_subscribe", {}).get("calls", 0)


def test_head_answers_without_a_subscription(live_server, auth_headers, redis_client):
    """HEAD reaches the Flask route; a subscription there would never be read, nor closed."""
    before = _subscribe_calls(redis_client)
    resp = requests.head(live_server + "/api/events", headers=auth_headers, timeout=5)
    assert resp.status_code == 200 and resp.content == b""
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    assert resp.headers["Cache-Control"] == "no-cache"
    assert requests.head(live_server + "/api/events", timeout=5).status_code == 401
    assert _subscribe_calls(redis_client) == before
    assert not redis_client.keys("studio:streams:*")


def test_one_pubsub_connection_serves_every_stream_and_livez_answers(make_app, redis_client):
    app = make_app(STREAMS_PER_USER=100)
    auth = bearer(app)
    with serve_in_thread(app, threads=2) as url:
        streams = [open_stream(url, auth) for _ in range(60)]  # 30 x the Flask threads
        started = time.perf_counter()
        assert requests.get(url + "/livez", timeout=5).status_code == 200
        assert time.perf_counter() - started < 1.0
        assert len([c for c in redis_client.client_list() if int(c["sub"]) > 0]) == 1
        # One publish reaches every stream.
        services(app).events.publish_job(1, {"job_id": "fan-out", "status": "queued"})
        for sock in streams:
            data = b""
            while b"fan-out" not in data:
                data += sock.recv(65536)
            assert b'event: job\ndata: {"job_id": "fan-out"' in data
        for sock in streams:
            sock.close()
        wait_until(lambda: not redis_client.zcard("studio:streams:user:1"), 5, "slots released")


def test_shutdown_ends_open_streams(app):
    with serve_in_thread(app) as url:
        resp = requests.get(url + "/api/events", headers=bearer(app), stream=True, timeout=5)
        lines = resp.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 2000"
    started = time.perf_counter()
    list(lines)  # the server ended the response: iteration stops, no error
    assert time.perf_counter() - started < 5
    resp.close()


# A backend process of its own, killed without any cleanup (as a crash or power loss).
_SERVE = """
import json, sys, uvicorn
from backend import create_app
from backend.serving.asgi import StudioASGI
config = json.loads(sys.argv[1])
port = int(config.pop("PORT_"))
uvicorn.run(StudioASGI(create_app(config)), host="127.0.0.1", port=port, log_config=None)
"""


def _start_process(config: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, json.dumps({**config, "PORT_": port})], cwd=ROOT, env=env
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(url + "/livez", timeout=1).ok
        except requests.RequestException:
            return False

    wait_until(up, 30, "the backend process")
    return proc, url


def test_a_crashed_process_frees_its_slots_when_the_leases_run_out(make_app, tmp_path, redis_url):
    config = base_config(tmp_path, redis_url, STREAMS_PER_USER=2, SSE_PING_S=0.3)
    other = make_app(STREAMS_PER_USER=2, SSE_PING_S=0.3)  # the same database: one studio
    auth = bearer(other)
    proc, url = _start_process(config)
    try:
        held = [open_stream(url, auth), open_stream(url, auth)]
        proc.kill()  # no release: its two leases stay in Redis until they run out
        proc.wait(timeout=10)
        for sock in held:
            sock.close()
        with serve_in_thread(other) as url_b:
            assert stream_status(url_b, auth)[0] == 429
            started = time.monotonic()
            wait_until(lambda: stream_status(url_b, auth)[0] == 200, 10, "expired leases")
            assert time.monotonic() - started < 3 * 0.3 + 1 + 1  # one lease, plus slack
    finally:
        proc.kill()


def test_a_stopped_process_ends_its_streams_and_releases_them(tmp_path, redis_url):
    proc, url = _start_process(base_config(tmp_path, redis_url))
    try:
        session = live_login(url)  # a session cookie authenticates the stream too
        resp = session.get(url + "/api/events", stream=True, timeout=5)
        lines = resp.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 2000"
        proc.send_signal(signal.SIGTERM)
        started = time.perf_counter()
        list(lines)  # ends cleanly (this server has no graceful timeout: it would wait forever)
        assert time.perf_counter() - started < 5
        # uvicorn re-raises the signal once it has shut down, as the default handler would.
        assert proc.wait(timeout=5) in (0, -signal.SIGTERM)
    finally:
        proc.kill()
    redis = connect_redis(redis_url)
    assert redis.zcard("studio:streams:user:1") == 0
    redis.close()


def test_a_client_that_stops_reading_is_cut_off_and_frees_its_slot(app, redis_client):
    with serve_in_thread(app) as url:
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
        sock.connect((host, int(port)))
        auth = header_lines(bearer(app))
        sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode())
        wait_until(lambda: redis_client.zcard("studio:streams:user:1"), 5, "stream open")
        # Never read: frames pile up in the server's buffers, then in the stream's queue.
        job = {"job_id": "big", "prompt": "x" * 8000}
        for _ in range(1000):
            services(app).events.publish_job(1, job)
        wait_until(lambda: not redis_client.zcard("studio:streams:user:1"), 10, "slot freed")
        assert requests.get(url + "/livez", timeout=5).status_code == 200
        sock.close()


def test_lost_pubsub_connection_ends_streams_and_the_next_one_reconnects(app, redis_client):
    auth = bearer(app)
    with serve_in_thread(app) as url:
        resp = requests.get(url + "/api/events", headers=auth, stream=True, timeout=5)
        lines = resp.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 2000"
        assert redis_client.client_kill_filter(_type="pubsub") == 1
        list(lines)  # the stream ends: its client will reconnect and re-read state
        resp.close()
        with requests.get(url + "/api/events", headers=auth, stream=True, timeout=5) as again:
            frames = again.iter_lines(decode_unicode=True)
            assert next(frames) == "retry: 2000"
            services(app).events.publish_job(1, {"job_id": "after", "status": "queued"})
            assert any(line.startswith('data: {"job_id": "after"') for line in frames)
