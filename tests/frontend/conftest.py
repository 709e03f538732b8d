"""Fixtures for the SPA checks: frontend/ on a static server, a real Chromium, a fake API."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.frontend.fake_api import FakeApi

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Debian's; Playwright's download is unavailable)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fake_api():
    """A fresh fake API with the five tools and no jobs."""
    return FakeApi()


@pytest.fixture
def open_app(browser, static_url, fake_api):
    """open_app(hash, width=1280, height=800) -> a page showing the SPA; JS errors fail the test."""
    contexts = []
    errors: list[str] = []

    def _open(hash_: str = "#/dashboard", width: int = 1280, height: int = 800, lang: str = "en"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)
        context.add_init_script(f"localStorage.setItem('studio.lang', '{lang}')")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        fake_api.install(page)
        page.goto(f"{static_url}/{hash_}")
        page.wait_for_selector("body:not(.booting)")
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
