"""Issue 9's experiments re-run from outside, as a stranger would, against a whole studio on
real processes (uvicorn backend, worker, simulator, Redis): plain HTTP, no test client.

Rows: the 10 actions of a stranger, another user's reach, 90 event streams from one address,
the inputs that answered 500, and the session cookie's flags. The abuse rows (slow bodies,
upload bombs, a forged X-Forwarded-For) are in test_issue9_outside_abuse.py.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter

import pytest
import requests
from PIL import Image

from studio_ops.live_stack import start_live_studio
from tests.raw_http import raw_get
from tests.system.helpers import png_bytes
from tests.system.outsider import STARVED_MS, make_user, p99_ms

pytestmark = pytest.mark.slow

# What a stranger must never read: the engine's URL, worker ids, a victim's prompt.
SECRET_PROMPT = "victim-secret-prompt"
# An EXIF block with a corrupt IFD entry (Pillow's TIFF parser raised TypeError on it).
CORRUPT_EXIF = bytes.fromhex(
    "4578696600004d4d002a000000080003010f00020000000443616d000112000300000001000600008825"
    "0004000000010000003200000000005200010002000000024e0000000002000500000003000000500000"
    "0000000000010000000100000002000000010000000300000001"
)


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A studio behind one trusted proxy (as with ngrok), previews on, 400 ms a step."""
    studio = start_live_studio(
        tmp_path_factory.mktemp("outside"),
        sim_args=("--node-ms", "5", "--step-ms", "400", "--preview"),
        TRUSTED_PROXY_COUNT="1",
        RATE_LIMIT_LOGIN="1000/minute",  # this module logs in often; the limiter has its row
    )
    yield studio
    studio.stop()


def _wait(fetch, ok, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = fetch()
        if ok(resp):
            return resp
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting: {resp.status_code} {resp.text[:300]}")


def _submit(session, studio, **body) -> str:
    resp = session.post(studio.url + "/api/generate", json=body, timeout=10)
    assert resp.status_code == 202, resp.text
    return resp.json()["job_id"]


def _victim(studio):
    """A user with an uploaded face, a finished face swap and a running job with a preview."""
    victim, _token = make_user(studio, "victim")
    face = victim.post(
        studio.url + "/api/uploads", files={"file": ("face.png", png_bytes(), "image/png")}
    )
    assert face.status_code == 201, face.text
    upload_id = face.json()["upload_id"]
    body = {"prompt": SECRET_PROMPT, "images": {"face": upload_id, "body": upload_id}}
    done = _submit(victim, studio, workflow="face_swap", **body, params={"steps": 2})
    status = f"{studio.url}/api/status/{done}"
    job = _wait(lambda: victim.get(status), lambda r: r.json()["status"] == "finished").json()
    run = _submit(victim, studio, prompt=SECRET_PROMPT, params={"steps": 30})
    preview = f"{studio.url}/api/jobs/{run}/preview"
    _wait(lambda: victim.get(preview), lambda r: r.status_code == 200)
    return victim, upload_id, job, run


def _stranger_actions(upload_id: str, job: dict, run: str) -> dict[str, list[tuple]]:
    done, out = job["job_id"], job["outputs"][0]
    files = {"file": ("x.png", png_bytes(), "image/png")}
    return {
        "list all jobs with prompts": [
            ("GET", "/api/jobs?all=1", {}),
            ("GET", "/api/history", {}),
            ("GET", f"/api/status/{done}", {}),
        ],
        "download the victim's upload": [("GET", f"/api/uploads/{upload_id}", {})],
        "download results and thumbs": [("GET", out["url"], {}), ("GET", out["thumb_url"], {})],
        "cancel their running job": [("POST", f"/api/cancel/{run}", {})],
        "delete their job and files": [("DELETE", f"/api/jobs/{done}", {})],
        "submit jobs": [
            ("POST", "/api/generate", {"json": {"prompt": "stranger"}}),
            ("POST", "/api/generate", {"files": {"prompt": (None, "stranger")}}),
        ],
        "upload": [("POST", "/api/uploads", {"files": files})],
        "read metrics and health": [
            ("GET", "/api/metrics", {}),
            ("GET", "/metrics", {}),
            ("GET", "/health", {}),
        ],
        "subscribe to live events": [("GET", "/api/events", {"stream": True})],
        "read the preview frame": [("GET", f"/api/jobs/{run}/preview", {})],
    }


def test_a_stranger_is_refused_ten_of_ten_and_another_user_sees_404s(outside):
    studio = outside
    victim, upload_id, job, run = _victim(studio)
    done = job["job_id"]
    secrets = [studio.sim.url, SECRET_PROMPT, '"w1"', "backends", "workers", "engine"]
    before = requests.get(studio.url + "/api/jobs?all=1", headers=studio.headers).json()

    allowed = {}
    for action, calls in _stranger_actions(upload_id, job, run).items():
        for method, path, kwargs in calls:
            with requests.request(method, studio.url + path, timeout=10, **kwargs) as resp:
                body = resp.text if resp.status_code == 401 else "(not read)"
                leaked = [s for s in secrets if s.lower() in body.lower()]
                is_json = resp.headers.get("Content-Type", "").startswith("application/json")
                if resp.status_code != 401 or not is_json or leaked:
                    allowed[action] = f"{method} {path}: {resp.status_code} {leaked}"
                else:
                    assert resp.json()["error"]["code"] == "unauthorized", body
    print(f"\nrow 1: stranger refused {10 - len(allowed)} of 10 actions")
    assert not allowed, f"a stranger got through: {allowed}"

    # The victim's state is as it was.
    assert victim.get(f"{studio.url}/api/status/{run}").json()["status"] == "processing"
    assert victim.get(f"{studio.url}/api/status/{done}").json()["status"] == "finished"
    for url in (job["outputs"][0]["url"], job["outputs"][0]["thumb_url"]):
        assert victim.get(studio.url + url).status_code == 200, url
    assert victim.get(f"{studio.url}/api/uploads/{upload_id}").status_code == 200
    after = requests.get(studio.url + "/api/jobs?all=1", headers=studio.headers).json()
    assert after["total"] == before["total"], "a stranger's submission was queued"

    # Another user: every one of the victim's objects is a 404, never a 403.
    other, _ = make_user(studio, "other")
    out = job["outputs"][0]
    reach = [
        ("GET", f"/api/status/{done}", {}),
        ("GET", f"/api/jobs/{done}", {}),
        ("POST", f"/api/cancel/{run}", {}),
        ("DELETE", f"/api/jobs/{done}", {}),
        ("POST", f"/api/jobs/{done}/favorite", {"json": {"favorite": True}}),
        ("GET", out["url"], {}),
        ("GET", out["thumb_url"], {}),
        ("GET", f"/api/uploads/{upload_id}", {}),
        ("GET", f"/api/jobs/{run}/preview", {}),
    ]
    answers = {p: other.request(m, studio.url + p, timeout=10, **kw) for m, p, kw in reach}
    wrong = {p: r.status_code for p, r in answers.items() if r.status_code != 404}
    assert not wrong, f"user B reached user A's objects: {wrong}"
    assert all(r.json()["error"]["code"] for r in answers.values())
    assert other.get(studio.url + "/api/jobs").json()["total"] == 0
    assert other.get(studio.url + "/api/jobs?all=1").status_code == 400

    # The admin sees them all.
    admin = studio.headers
    everyone = {j["job_id"] for j in after["jobs"]}
    assert {done, run} <= everyone
    for path in (f"/api/status/{done}", out["url"], f"/api/uploads/{upload_id}"):
        assert requests.get(studio.url + path, headers=admin).status_code == 200, path
    assert requests.get(f"{studio.url}/api/jobs/{run}/preview", headers=admin).status_code == 200
    assert victim.post(f"{studio.url}/api/cancel/{run}").status_code == 200


def _open_streams(studio, headers: dict, count: int) -> list:
    return [raw_get(studio.url, "/api/events", headers) for _ in range(count)]


def _close(replies) -> None:
    for reply in replies:
        reply.sock.close()


def test_ninety_streams_from_one_address_leave_the_backend_answering(outside):
    studio = outside
    session, token = make_user(studio, "streamer")
    mine = {"Authorization": f"Bearer {token}"}
    job_id = _submit(session, studio, prompt="s", params={"steps": 1})
    status_url = f"{studio.url}/api/status/{job_id}"

    as_user = _open_streams(studio, mine, 90)
    anonymous = _open_streams(studio, {}, 90)
    try:
        user_codes = Counter(r.status for r in as_user)
        anon_codes = Counter(r.status for r in anonymous)
        print(f"\nrow 2: 90 streams as one user {dict(user_codes)}, anonymous {dict(anon_codes)}")
        assert user_codes == {200: 8, 429: 82}, user_codes
        assert anon_codes == {401: 90}, anon_codes
        assert all(r.headers["content-type"].startswith("text/event-stream") for r in as_user[:8])
        refused = [r.json()["error"]["code"] for r in as_user[8:]]
        assert set(refused) == {"too_many_streams"}
        assert {r.json()["error"]["code"] for r in anonymous} == {"unauthorized"}

        with requests.Session() as probe:
            livez = p99_ms(lambda: probe.get(studio.url + "/livez", timeout=5))
            status = p99_ms(lambda: probe.get(status_url, headers=mine, timeout=5))
        print(
            f"row 2: with 8 open + 172 refused: /livez p99 {livez:.1f} ms, status {status:.1f} ms"
        )
        # Served, not starved: on main before issue 9 these probes got no answer at all (every
        # thread held by a stream). The latency target itself (p99 < 50 ms with 1,000 streams)
        # is measured side by side in bench/event_streams.py, not asserted on a shared CPU.
        assert livez < STARVED_MS, f"/livez p99 {livez:.1f} ms with streams open"
        assert status < STARVED_MS, f"/api/status p99 {status:.1f} ms with streams open"
    finally:
        _close(as_user + anonymous)

    def reopen():
        again = _open_streams(studio, mine, 8)
        _close(again)
        return Counter(r.status for r in again)

    deadline = time.monotonic() + 10
    while (codes := reopen()) != {200: 8} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert codes == {200: 8}, f"slots not freed after the streams closed: {codes}"


def _jpeg_with_corrupt_exif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(out, format="JPEG", exif=CORRUPT_EXIF)
    return out.getvalue()


def _post_json(text: bytes) -> tuple:
    return (
        "POST",
        "/api/generate",
        {"data": text, "headers": {"Content-Type": "application/json"}},
    )


INPUTS_THAT_WERE_500 = {
    "seed superscript two": _post_json(json.dumps({"prompt": "a", "seed": "²"}).encode()),
    "seed double minus": _post_json(b'{"prompt": "a", "seed": "--5"}'),
    "offset past bigint": ("GET", "/api/jobs?offset=9223372036854775808", {}),
    "json 10000 deep": _post_json(b"[" * 10000 + b"]" * 10000),
    "lone surrogate": _post_json(b'{"prompt": "a \\ud800 b"}'),
    "jpeg corrupt exif": (
        "POST",
        "/api/uploads",
        {"files": {"file": ("c.jpg", _jpeg_with_corrupt_exif(), "image/jpeg")}},
    ),
    "params null": _post_json(b'{"prompt": "a", "params": null}'),
    "repeated limit, bad second": ("GET", "/api/jobs?limit=5&limit=x", {}),
}


def test_inputs_that_answered_500_are_json_400s(outside):
    studio = outside
    answers = {}
    for case, (method, path, kwargs) in INPUTS_THAT_WERE_500.items():
        headers = {**studio.headers, **kwargs.pop("headers", {})}
        resp = requests.request(method, studio.url + path, headers=headers, timeout=10, **kwargs)
        kwargs["headers"] = headers  # the table stays reusable
        is_json = resp.headers.get("Content-Type", "").startswith("application/json")
        answers[case] = (resp.status_code, resp.json()["error"]["code"] if is_json else resp.text)
    print(f"\nrow 5: {answers}")
    wrong = {
        c: a
        for c, a in answers.items()
        if a[0] != 400 or a[1] not in {"invalid_input", "invalid_image"}
    }
    assert not wrong, f"not a JSON 400: {wrong}"

    options = requests.options(studio.url + "/api/generate", headers=studio.headers, timeout=10)
    allowed = {m.strip() for m in options.headers.get("Allow", "").split(",")}
    assert options.status_code in {200, 204}, options.status_code
    assert allowed == {"POST", "OPTIONS"}, f"OPTIONS /api/generate lists {allowed}"


def _cookie_flags(resp) -> set[str]:
    cookie = resp.headers["Set-Cookie"]
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_session_cookie_flags_and_secure_behind_the_proxy(outside):
    studio = outside
    body = {"username": "admin", "password": studio.env["STUDIO_ADMIN_PASSWORD"]}
    plain = requests.post(studio.url + "/api/auth/login", json=body, timeout=10)
    assert plain.status_code == 200, plain.text
    flags = _cookie_flags(plain)
    assert {"httponly", "samesite=lax", "path=/"} <= flags, flags
    assert "secure" not in flags, "Secure on plain http would lose the session"
    # Through the (trusted, loopback) proxy over https, as ngrok forwards it.
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    https = requests.post(studio.url + "/api/auth/login", json=body, headers=proxied, timeout=10)
    assert https.status_code == 200, https.text
    assert {"httponly", "samesite=lax", "path=/", "secure"} <= _cookie_flags(https)
    print(f"\nrow 7: cookie flags {sorted(_cookie_flags(https))}")
