"""Browser plumbing for the SPA tests: Debian's Chromium, a page watcher, screenshots.

Playwright's own browser download cannot run here, so the tests drive /usr/bin/chromium.
Without it (or without the playwright package) a developer's run skips the browser tests
with the reason; in CI (CI=true) the same situation is a failure, never a silent skip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers import IN_CI

logger = logging.getLogger(__name__)

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's waits. A whole suite on a 2-core CI machine runs at a load average of 3 or
# more, where a cold page's first boot (every module fetched and parsed) was seen to pass
# 10 s; a real defect still fails, only later.
ACTION_MS = 20_000
BOOT_MS = 30_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: CI must run the browser tests."""
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


def sync_api():
    """The playwright.sync_api module, or skip/fail when it is not installed."""
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("the playwright package is not installed")
    return sync_api


def chromium_path() -> str:
    """Debian's Chromium, or skip/fail when it is missing."""
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@dataclass
class PageWatch:
    """Everything a page did that a test may want to fail on: errors, requests, dialogs."""

    origin: str
    errors: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, url, type
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        """Record page errors, console errors and every request of `page`."""
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        page.on(
            "request",
            lambda req: self.requests.append((req.method, req.url, req.resource_type)),
        )
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        # Only the delete confirmation is expected; anything else (an alert) is recorded and fails.
        if dialog.type == "confirm":
            dialog.accept()
        else:
            dialog.dismiss()

    def foreign_requests(self) -> list[str]:
        """Requests that left the studio's origin (data: and blob: stay in the page)."""
        return [
            url
            for _method, url, _type in self.requests
            if urlsplit(url).scheme not in ("data", "blob") and not _same_origin(url, self.origin)
        ]

    def paths(self, prefix: str) -> list[str]:
        """Paths (with query) of the requests under `prefix`, in order."""
        out = []
        for _method, url, _type in self.requests:
            parts = urlsplit(url)
            if _same_origin(url, self.origin) and parts.path.startswith(prefix):
                out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return out

    def check(self) -> None:
        """Fail on JS errors, console errors, unexpected dialogs or requests to other origins."""
        alerts = [d for d in self.dialogs if not d.startswith("confirm:")]
        assert not self.errors, f"page errors: {self.errors}"
        assert not alerts, f"unexpected dialogs: {alerts}"
        assert not self.foreign_requests(), f"requests off-origin: {self.foreign_requests()}"


def _same_origin(url: str, origin: str) -> bool:
    a, b = urlsplit(url), urlsplit(origin)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def screenshot(page, name: str, full_page: bool = False) -> Path:
    """Save what the viewport shows (or the whole page) as tests/e2e/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    logger.info("screenshot path=%s", path)
    return path
