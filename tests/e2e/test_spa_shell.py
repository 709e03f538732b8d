"""The shell around every page, against the fake API: the tab title, job-end notifications, the
engine and demo banners, toasts, zh-TW error texts, the skip link, the drawer's focus, one h1."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.browser import BOOT_MS, PHONE, screenshot
from tests.e2e.fake_accounts import Answer

pytestmark = pytest.mark.e2e

TITLE = "ComfyUI Studio"
DESKTOP_WIDE = {"width": 1440, "height": 900}
PLAIN_USER = 2  # alice in fake_data.default_users

# A Notification that records what the page shows, and a visibilityState the test sets
# (headless Chromium keeps every tab "visible").
NOTIFICATION_STUB = """
window.__notes = [];
window.__asked = 0;
window.Notification = class {
  constructor(title, options = {}) { window.__notes.push({ title, tag: options.tag }); }
  close() {}
  static requestPermission() {
    window.__asked += 1;
    window.Notification.permission = "granted";
    return Promise.resolve("granted");
  }
};
window.Notification.permission = "default";
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get() { return window.__vis || "visible"; } });
Object.defineProperty(Document.prototype, "hidden", {
  configurable: true, get() { return (window.__vis || "visible") === "hidden"; } });
"""


def _goto(page, hash_: str) -> None:
    page.goto(re.sub(r"#.*", hash_, page.url))
    page.wait_for_selector("body:not(.booting)", timeout=BOOT_MS)


def _wait_requests(page, fake_api, path: str, count: int, timeout_s: float = 10.0) -> None:
    """Let the page run until the fake has answered `count` requests for `path`."""
    deadline = time.monotonic() + timeout_s
    while len([r for r in fake_api.requests if r[1] == path]) < count:
        assert time.monotonic() < deadline, f"fewer than {count} requests for {path}"
        page.wait_for_timeout(100)  # lets the page's timers run while we poll


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _show_toasts(page, messages: list[str], kind: str = "info") -> None:
    page.evaluate(
        """async ([messages, kind]) => {
          const m = await import('/js/components/toast.js');
          for (const text of messages) m.toast(text, kind);
        }""",
        [messages, kind],
    )


def test_tab_title_shows_progress_then_resets(open_app, fake_api):
    running = fake_api.add_job(2, status="processing", progress=40)
    fake_api.sse_events = [{**running, "progress": 60, "step": {"value": 5, "max": 8}}]
    page = open_app("#/gallery")
    page.wait_for_function(f"() => document.title === '60% · 1 running — {TITLE}'")
    fake_api.sse_events = [fake_api.add_job(2, status="finished")]
    page.wait_for_function(f"() => document.title === '{TITLE}'", timeout=8000)
    fake_api.add_job(3, status="queued", queue_position=1)
    fake_api.add_job(4, status="queued", queue_position=2)
    _goto(page, "#/queue")  # the next reconnect's resync brings the new jobs
    page.wait_for_function(f"() => document.title === '2 queued — {TITLE}'")


def test_tab_title_in_zh_tw(open_app, fake_api):
    fake_api.add_job(2, status="processing", progress=25)
    page = open_app("#/dashboard", lang="zh-TW")
    page.wait_for_function("() => document.title.startsWith('25% · 1 個進行中 — ')")


def _wait_title(page, running: bool) -> None:
    """The page has seen the job start (the title counts it), or seen every job end."""
    if running:
        page.wait_for_function("() => document.title.includes('running')", timeout=8000)
    else:
        page.wait_for_function(f"() => document.title === '{TITLE}'", timeout=8000)


def test_job_end_notifies_once_only_when_enabled_and_hidden(open_app, fake_api):
    page = open_app("#/settings")
    page.add_init_script(NOTIFICATION_STUB)
    page.reload()
    page.wait_for_selector("body:not(.booting)", timeout=BOOT_MS)
    toggle = page.locator("[data-testid=notify-toggle]")
    assert not toggle.is_checked()  # off by default
    toggle.check()
    page.wait_for_function("() => localStorage.getItem('studio.notify') === 'on'")
    assert page.evaluate("window.__asked") == 1

    # Enabled and hidden: one notification per ended job, finished or failed.
    fake_api.add_job(1, status="processing", progress=50)
    _wait_title(page, running=True)
    page.evaluate("window.__vis = 'hidden'")
    fake_api.add_job(1, status="finished")
    page.wait_for_function("() => window.__notes.length === 1", timeout=8000)
    assert page.evaluate("window.__notes[0]") == {
        "title": "Your image is ready",
        "tag": "studio-job-job0001",
    }
    fake_api.add_job(5, status="processing", progress=10)
    _wait_title(page, running=True)
    fake_api.add_job(5, status="failed", error="boom")
    page.wait_for_function("() => window.__notes.length === 2", timeout=8000)
    assert page.evaluate("window.__notes[1].title") == "A job failed"
    # A cancelled job is the user's own doing: no notification.
    fake_api.add_job(6, status="processing", progress=10)
    _wait_title(page, running=True)
    fake_api.add_job(6, status="cancelled")
    _wait_title(page, running=False)

    # Visible: nothing (the page shows it).
    page.evaluate("window.__vis = 'visible'")
    fake_api.add_job(2, status="processing", progress=50)
    _wait_title(page, running=True)
    fake_api.add_job(2, status="finished")
    _wait_title(page, running=False)

    # Turned off: nothing even when hidden; turning it on again does not ask again.
    toggle.uncheck()
    page.wait_for_function("() => localStorage.getItem('studio.notify') === 'off'")
    fake_api.add_job(3, status="processing", progress=50)
    _wait_title(page, running=True)
    page.evaluate("window.__vis = 'hidden'")
    fake_api.add_job(3, status="finished")
    _wait_title(page, running=False)
    toggle.check()
    page.wait_for_function("() => localStorage.getItem('studio.notify') === 'on'")
    assert page.evaluate("window.__asked") == 1
    # Later resyncs and reconnects re-deliver the ended jobs: still no repeat.
    events = len([r for r in fake_api.requests if r[1] == "/api/events"])
    _wait_requests(page, fake_api, "/api/events", events + 2)
    assert page.evaluate("window.__notes.length") == 2


@pytest.mark.parametrize("route", ["gallery", "queue", "studio/text_to_image", "settings"])
def test_engine_down_banner_on_every_page(open_app, fake_api, route):
    fake_api.session_user = PLAIN_USER  # /api/metrics and /health are not theirs to read
    fake_api.backends_online = False
    fake_api.add_job(2, status="processing", progress=94, user_id=PLAIN_USER)
    page = open_app(f"#/{route}")
    banner = page.locator("[data-testid=engine-banner]")
    banner.wait_for()
    assert "ComfyUI is not reachable; your jobs wait and resume" in banner.inner_text()
    assert page.locator("[data-testid=demo-banner]").is_visible()
    if route in ("queue", "studio/text_to_image"):
        note = page.locator("[data-job-id=job0002] [data-testid=job-engine-note]")
        note.wait_for()
        assert "Waiting for ComfyUI" in note.inner_text()
    assert not [r for r in fake_api.requests if r[1] in ("/api/metrics", "/health")]


def test_engine_banner_in_zh_tw_and_absent_when_up(open_app, fake_api):
    fake_api.demo_mode = False
    fake_api.add_job(2, status="processing", progress=50)
    page = open_app("#/queue")
    page.wait_for_selector("[data-testid=queue-row]")
    _wait_requests(page, fake_api, "/api/engine", 1)
    page.wait_for_function("() => true")  # the answer is drawn before the next task runs
    assert page.locator("[data-testid=engine-banner], [data-testid=demo-banner]").count() == 0
    assert page.locator("[data-testid=job-engine-note]").is_hidden()
    fake_api.backends_online = False
    page = open_app("#/gallery", lang="zh-TW")
    page.wait_for_selector("[data-testid=engine-banner]")
    assert "無法連線到 ComfyUI" in page.inner_text("[data-testid=engine-banner]")


@pytest.mark.parametrize("user", [1, PLAIN_USER])
def test_demo_banner_on_every_page(open_app, fake_api, user):
    fake_api.session_user = user
    page = open_app("#/dashboard")
    routes = ["dashboard", "studio", "gallery", "queue", "settings", "account", "tokens"]
    for route in routes + (["users"] if user == 1 else []):
        _goto(page, f"#/{route}")
        page.wait_for_selector("[data-testid=demo-banner]")
        assert page.locator("[data-testid=demo-banner]").count() == 1, route


def test_at_most_three_toasts_newest_kept(open_app):
    page = open_app("#/gallery")
    _show_toasts(page, [f"message {n}" for n in range(1, 6)])
    toasts = page.locator("[data-testid=toast]")
    assert toasts.count() == 3
    assert [toasts.nth(i).inner_text() for i in range(3)] == ["message 3", "message 4", "message 5"]


def test_error_toast_closed_by_the_next_successful_write(open_app, fake_api):
    limited = {"error": {"code": "rate_limited", "message": "slow down"}}
    fake_api.generate_error = Answer(429, limited, {"Retry-After": "7"})
    page = open_app("#/studio/text_to_image")
    page.fill("[data-testid=prompt-input]", "a lighthouse")
    page.click("[data-testid=generate-button]")
    error = page.locator("[data-testid=toast][data-kind=error]")
    error.wait_for()
    assert "7 s" in error.inner_text()
    fake_api.generate_error = None
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=job-card][data-status=queued]")
    error.wait_for(state="detached")
    assert page.locator("[data-testid=toast][data-kind=success]").count() == 1


@pytest.mark.parametrize("route", ["queue", "studio/text_to_image"])
def test_toasts_never_cover_a_cancel_button(open_app, fake_api, route):
    for n in range(1, 6):
        fake_api.add_job(n, status="processing" if n == 5 else "queued", queue_position=n)
    page = open_app(f"#/{route}", **DESKTOP_WIDE)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=cancel-button]').length >= 5"
    )
    _show_toasts(page, ["A rather long message about something that went wrong " * 2] * 3, "error")
    toasts = page.locator("[data-testid=toast]")
    assert toasts.count() == 3
    boxes = [toasts.nth(i).bounding_box() for i in range(3)]
    cancels = page.locator("[data-testid=cancel-button]")
    seen = 0
    for i in range(cancels.count()):
        box = cancels.nth(i).bounding_box()
        if box is None or box["y"] > DESKTOP_WIDE["height"]:
            continue  # below the fold: scrolled into view, it moves and the toasts do not
        seen += 1
        assert not any(_overlap(box, t) for t in boxes), (route, i, box, boxes)
    assert seen >= 1
    screenshot(page, f"shell-toasts-{route.split('/')[0]}-desktop")


def test_phone_toasts_sit_under_the_top_bar(open_app):
    page = open_app("#/queue", **PHONE)
    _show_toasts(page, ["first", "second", "third"])
    bar = page.locator(".topbar").bounding_box()
    first = page.locator("[data-testid=toast]").first.bounding_box()
    assert first["y"] >= bar["y"] + bar["height"]
    button = page.locator("[data-testid=drawer-button]").bounding_box()
    assert not any(
        _overlap(button, page.locator("[data-testid=toast]").nth(i).bounding_box())
        for i in range(3)
    )
    # With the drawer open its links stay on top (they are what the user is about to tap).
    page.click("[data-testid=drawer-button]")
    page.locator("[data-testid=nav-studio]").wait_for(state="visible")
    page.wait_for_function(
        """() => { const link = document.querySelector('[data-testid=nav-studio]');
          const r = link.getBoundingClientRect();
          return link.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"""
    )


def test_known_error_code_in_zh_tw_and_server_words_in_english(open_app, fake_api):
    unknown = {"error": {"code": "unknown_tool", "message": "unknown tool 'text_to_image'"}}
    fake_api.generate_error = Answer(400, unknown)
    page = open_app("#/studio/text_to_image", lang="zh-TW")
    page.fill("[data-testid=prompt-input]", "燈塔")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=form-error]:not([hidden])")
    assert page.inner_text("[data-testid=form-error]") == "這個工具不存在（或已移除）。"
    # An unknown code keeps the server's words; English keeps them for every code.
    fake_api.generate_error = Answer(400, {"error": {"code": "brand_new", "message": "new rule"}})
    page.click("[data-testid=generate-button]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=form-error]').innerText === 'new rule'"
    )
    fake_api.generate_error = Answer(400, unknown)
    page = open_app("#/studio/text_to_image")
    page.fill("[data-testid=prompt-input]", "a lighthouse")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=form-error]:not([hidden])")
    assert page.inner_text("[data-testid=form-error]") == "unknown tool 'text_to_image'"


def test_toast_error_uses_the_code_in_zh_tw(open_app):
    page = open_app("#/gallery", lang="zh-TW")
    page.evaluate("""async () => {
      const api = await import('/js/lib/api.js');
      const toast = await import('/js/components/toast.js');
      toast.toastError(new api.ApiError(404, 'job_not_found', 'No such job'));
    }""")
    assert page.inner_text("[data-testid=toast]") == "這個任務不存在（或已刪除）。"


@pytest.mark.parametrize(("lang", "text"), [("en", "Skip to content"), ("zh-TW", "跳至主要內容")])
def test_skip_link_is_translated(open_app, lang, text):
    page = open_app("#/gallery", lang=lang)
    assert page.text_content(".skip-link") == text
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.inner_text(".skip-link") == text


def test_zh_tw_hud_is_not_upper_cased(open_app):
    page = open_app("#/dashboard", lang="zh-TW")
    page.wait_for_selector("[data-testid=hud-workers]")
    text = page.inner_text("[data-testid=hud-workers]")
    assert "上線的工作程序" in text and "WORKER" not in text.upper().replace("上線的工作程序", "")
    assert "COMFYUI" not in page.inner_text("[data-testid=hud-backends]")


def test_phone_drawer_takes_focus_traps_it_and_gives_it_back(open_app):
    page = open_app("#/gallery", **PHONE)
    button = page.locator("[data-testid=drawer-button]")
    button.click()
    page.locator("[data-testid=nav-dashboard]").wait_for(state="visible")
    inside = "() => document.getElementById('sidebar').contains(document.activeElement)"
    assert page.evaluate(inside)
    for _ in range(15):  # more Tabs than the drawer has controls
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
    page.focus("[data-testid=drawer-close]")
    page.keyboard.press("Shift+Tab")  # from the first control round to the last
    assert page.evaluate(inside)
    page.keyboard.press("Escape")
    page.locator("[data-testid=nav-dashboard]").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.testid") == "drawer-button"
    assert button.get_attribute("aria-expanded") == "false"


def test_escape_closes_the_tool_picker(open_app):
    page = open_app("#/studio")
    page.wait_for_selector("[data-testid=tool-picker][open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=tool-picker]", state="detached")


PAGES = [
    "dashboard",
    "studio",
    "studio/text_to_image",
    "gallery",
    "queue",
    "settings",
    "account",
    "tokens",
    "users",
]


def test_every_page_has_exactly_one_h1(open_app, fake_api):
    page = open_app("#/dashboard")
    for route in PAGES:
        _goto(page, f"#/{route}")
        page.wait_for_selector(f"[data-testid^=view-{route.split('/')[0]}]")
        assert page.locator("h1").count() == 1, route
        assert page.text_content("h1").strip(), route
    fake_api.sign_out()
    page.reload()
    page.wait_for_selector("[data-testid=view-login]")
    assert page.locator("h1").count() == 1
