"""Fixtures for the browser tests: one Chromium per session, a live studio, a fake API.

`live` is a whole studio on real processes (studio_ops/live_stack.py) with sampler steps slow enough
(STEP_MS per step) that a person, and a test, can watch the progress bar move.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.e2e.browser import (
    ACTION_MS,
    BOOT_MS,
    CHROMIUM_ARGS,
    DESKTOP,
    FRONTEND,
    PageWatch,
    chromium_path,
    sync_api,
)
from tests.e2e.fake_api import FakeApi

STEP_MS = 200  # 8 steps of text_to_image take ~1.6 s; 30 steps ~6 s (for cancel / reload)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Debian's; Playwright's download is unavailable)."""
    api = sync_api()
    path = chromium_path()
    with api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live(browser, tmp_path_factory):
    """A live studio (Redis, simulator, one worker, backend) shared by the browser tests."""
    from studio_ops.live_stack import start_live_studio

    studio = start_live_studio(
        tmp_path_factory.mktemp("e2e-live"),
        sim_args=("--node-ms", "20", "--step-ms", str(STEP_MS)),
        # Several tests sign in through the page from 127.0.0.1; at the default 5 a minute,
        # running a few of them alone made the 6th a 429. The throttle has tests of its own
        # (tests/backend/test_first_start_and_throttle.py, system row 7, the sign-in page's).
        RATE_LIMIT_LOGIN="120/minute",
    )
    yield studio
    studio.stop()


def _open_pages(browser, origin: str, install=None, headers: dict | None = None):
    contexts: list = []
    watches: list[PageWatch] = []

    def _open(
        hash_: str = "#/dashboard", viewport: dict | None = None, lang: str = "en", scale: float = 1
    ):
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale=lang, device_scale_factor=scale
        )
        context.add_init_script(f"localStorage.setItem('studio.lang', '{lang}')")
        if headers:
            context.set_extra_http_headers(headers)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        watch = PageWatch(origin)
        watch.attach(page)
        watches.append(watch)
        if install:
            install(page)
        page.goto(f"{origin}/{hash_}")
        page.wait_for_selector("body:not(.booting)", timeout=BOOT_MS)
        page.watch = watch  # the test reads requests and dialogs from here
        return page

    return _open, contexts, watches


@pytest.fixture
def open_live(browser, live):
    """open_live(hash, viewport=DESKTOP) -> a page on the live studio; fails on any JS error.

    The page is the admin's through the live stack's API token (a Bearer header on every
    request), so the tests of other features need no login step; the login page has its own.
    """
    _open, contexts, watches = _open_pages(browser, live.url, headers=live.headers)
    yield _open
    for context in contexts:
        context.close()
    for watch in watches:
        watch.check()


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve frontend/ without logging every request to stderr."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
    }

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def static_url():
    """Base URL of a static server for frontend/ (the backend serves the same files at /)."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(FRONTEND))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_api():
    """A fresh fake API with the shipped tools' shapes and no jobs."""
    return FakeApi()


@pytest.fixture
def fake():
    """A fake with a finished, a running and a queued job, and a pending SSE event."""
    api = FakeApi()
    api.add_job(1, n_outputs=2, favorite=True)
    running = api.add_job(2, status="processing", progress=40, started_at="2026-05-01T12:03:00")
    api.add_job(3, status="queued", queue_position=1)
    api.sse_events = [{**running, "progress": 60, "step": {"value": 5, "max": 8}}]
    return api


@pytest.fixture
def open_app(browser, static_url, fake_api):
    """open_app(hash, width=1280, height=800, lang, scale) -> a page on the fake API (scale: the
    screen's device pixel ratio); JS errors fail the test.

    So does any request or answer of the fake that the OpenAPI document does not allow.
    Console errors are not checked here: several of these tests answer 429/5xx on purpose, and
    Chromium logs every failed load to the console.
    """
    _open, contexts, watches = _open_pages(browser, static_url, install=fake_api.install)

    def _open_sized(hash_="#/dashboard", width=1280, height=800, lang="en", scale=1):
        return _open(hash_, viewport={"width": width, "height": height}, lang=lang, scale=scale)

    yield _open_sized
    for context in contexts:
        context.close()
    for watch in watches:
        page_errors = [e for e in watch.errors if e.startswith("pageerror")]
        assert not page_errors, f"JavaScript errors: {page_errors}"
        assert not watch.foreign_requests(), f"requests off-origin: {watch.foreign_requests()}"
    violations = fake_api.violations
    assert not violations, f"the fake API left the OpenAPI document: {violations}"
