"""Cross-site requests in a real Chromium change nothing (issue 9).

The victim is signed in to the live studio at http://127.0.0.1:<port> with a session cookie
(the real login, in this browser context). The attacker's page is served from
http://localhost:<other port>: another site. Each attack is what a hostile page can do
without any help from the studio: an auto-submitted form (url-encoded, multipart, a file
upload), and `fetch` with `credentials: "include"` (a simple request, and a preflighted one).
After each, the victim's state is read back over the API: nothing was cancelled, queued,
uploaded or deleted, and the victim is still signed in.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import sqlalchemy as sa

from studio_core.db.engine import make_engine
from studio_core.db.tables import uploads
from studio_ops.live_stack import LIVE_ADMIN_PASSWORD
from tests.e2e.conftest import STEP_MS

pytestmark = pytest.mark.e2e

UPLOAD_JS = """
const form = document.forms[0];
const file = new File([new Uint8Array(%s)], "face.png", {type: "image/png"});
const dt = new DataTransfer(); dt.items.add(file);
form.elements.file.files = dt.files;
form.submit();
"""


def _attacks(target: str, job_id: str, png: list[int]) -> dict[str, str]:
    """name -> the attacker's page (HTML) that tries it on load."""
    cancel = f"{target}/api/cancel/{job_id}"
    return {
        "form-cancel": f"""<form method=post action="{cancel}"><input name=x value=1></form>
            <script>document.forms[0].submit()</script>""",
        "form-text-plain": f"""<form method=post enctype=text/plain action="{target}/api/generate">
            <input name='{{"workflow":"text_to_image","prompt":"pwned","x":"' value='"}}'>
            </form><script>document.forms[0].submit()</script>""",
        "multipart-generate": f"""<form method=post enctype=multipart/form-data
            action="{target}/api/generate"><input name=workflow value=text_to_image>
            <input name=prompt value=pwned></form><script>document.forms[0].submit()</script>""",
        "multipart-upload": f"""<form method=post enctype=multipart/form-data
            action="{target}/api/uploads"><input type=file name=file></form>
            <script>{UPLOAD_JS % png}</script>""",
        "fetch-simple": f"""<script>
            const body = new FormData(); body.append("workflow", "text_to_image");
            body.append("prompt", "pwned");
            fetch("{target}/api/generate", {{method: "POST", body, credentials: "include",
                mode: "no-cors"}}).finally(() => document.title = "sent");
            fetch("{cancel}", {{method: "POST", credentials: "include", mode: "no-cors"}});
            </script>""",
        "fetch-preflighted": f"""<script>
            fetch("{target}/api/jobs/{job_id}", {{method: "DELETE", credentials: "include",
                headers: {{"X-CSRF-Token": "guess"}}}}).catch(() => {{}})
                .finally(() => document.title = "sent");
            fetch("{target}/api/auth/logout", {{method: "POST", credentials: "include",
                mode: "no-cors", body: '{{"everywhere": true}}'}});
            </script>""",
    }


class _AttackerSite:
    """A tiny web server on localhost (another site than 127.0.0.1) serving one page per path."""

    def __init__(self, pages: dict[str, str]):
        body_of = {f"/{name}": html.encode() for name, html in pages.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = body_of.get(self.path, b"not found")
                self.send_response(200 if self.path in body_of else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _state(live) -> dict:
    jobs = requests.get(
        f"{live.url}/api/jobs", params={"limit": 200}, headers=live.headers, timeout=10
    ).json()
    return {
        "total": jobs["total"],
        "statuses": {j["job_id"]: j["status"] for j in jobs["jobs"]},
        "prompts": sorted(j.get("prompt") or "" for j in jobs["jobs"]),
    }


def _png() -> list[int]:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "PNG")
    return list(out.getvalue())


def test_cross_site_pages_change_nothing(browser, live):
    context = browser.new_context()
    job_id = None
    try:
        login = context.request.post(
            f"{live.url}/api/auth/login",
            data={"username": "admin", "password": LIVE_ADMIN_PASSWORD},
        )
        assert login.ok, login.text()
        assert any(c["name"] for c in context.cookies(live.url))
        # A job that stays queued or running for the whole test (1 s per sampler step): the
        # target of the cancel.
        live.sim_config(step_ms=1000)
        victim = live.generate(workflow="text_to_image", prompt="victim job", params={"steps": 30})
        job_id = victim["job_id"]
        before = _state(live)
        uploads_before = _upload_count(live)

        site = _AttackerSite(_attacks(live.url, job_id, _png()))
        try:
            page = context.new_page()
            answered: list[tuple[str, str, int]] = []
            page.on(
                "response",
                lambda r: (
                    answered.append((r.request.method, r.url, r.status))
                    if r.url.startswith(live.url)
                    else None
                ),
            )
            for name in _attacks(live.url, job_id, []):
                page.goto(f"{site.url}/{name}")
                # Each attack navigates away (form) or fires a request (fetch): wait for the
                # network to settle so the request has been answered before we look.
                page.wait_for_load_state("networkidle")
        finally:
            site.close()

        # The attacks did reach the studio (the test would notice a success), and were refused.
        posts = [(m, u, st) for m, u, st in answered if m == "POST"]
        assert len(posts) >= 5, answered
        assert all(st in {401, 403} for _m, _u, st in posts), posts
        after = _state(live)
        assert after["total"] == before["total"], "a cross-site page queued a job"
        assert "pwned" not in after["prompts"]
        assert live.status(job_id)["status"] in {"queued", "processing"}, "cancelled cross-site"
        assert _upload_count(live) == uploads_before, "a cross-site page uploaded a file"
        me = context.request.get(f"{live.url}/api/auth/me")
        assert me.ok, "a cross-site page signed the victim out"
    finally:
        context.close()
        live.sim_config(step_ms=STEP_MS)
        if job_id:
            requests.post(f"{live.url}/api/cancel/{job_id}", headers=live.headers, timeout=10)


def _upload_count(live) -> int:
    """How many uploads the studio holds (read from the database the live stack uses)."""
    engine = make_engine(live.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(uploads)).scalar_one()
    finally:
        engine.dispose()
