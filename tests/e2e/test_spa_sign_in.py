"""The SPA's sign-in in a real Chromium against the fake API: the sign-in page (errors,
throttling, zh-TW, phone and desktop), back to the route, logout, a session that ends
mid-form, a refused event stream, and the CSRF token on every write."""

from __future__ import annotations

import pytest

from tests.e2e.browser import PHONE, screenshot
from tests.e2e.flows import fill_sign_in, open_account_menu

pytestmark = pytest.mark.e2e


def _sign_in(page, username="admin", password="admin-password-1"):
    fill_sign_in(page, username, password)


def test_signed_out_page_shows_sign_in_and_a_wrong_password_inline(open_app, fake_api):
    fake_api.session_user = None
    page = open_app("#/gallery")
    page.wait_for_selector("[data-testid=view-login]")
    assert page.url.endswith("#/login")
    assert page.locator("#sidebar").count() == 0
    assert page.get_attribute("[data-testid=login-username]", "autocomplete") == "username"
    assert page.get_attribute("[data-testid=login-password]", "autocomplete") == "current-password"
    _sign_in(page, password="not-it")
    error = page.locator("[data-testid=login-error]")
    error.wait_for()
    assert error.inner_text() == "Wrong user name or password."
    assert page.input_value("[data-testid=login-password]") == ""
    assert fake_api.session_user is None
    assert not [r for r in fake_api.requests if r[1] == "/api/jobs"]  # nothing leaked before


def test_throttled_sign_in_says_when_to_try_again(open_app, fake_api):
    fake_api.session_user = None
    fake_api.login_retry_after = 42
    page = open_app("#/login")
    _sign_in(page)
    page.wait_for_selector("[data-testid=login-error]")
    assert page.inner_text("[data-testid=login-error]") == "Too many attempts. Try again in 42 s."
    submit = page.locator("[data-testid=login-submit]")
    assert submit.is_disabled() and submit.inner_text() in (
        "Try again in 42 s",
        "Try again in 41 s",
    )


def test_the_sign_in_button_counts_the_wait_down_then_works_again(open_app, fake_api):
    fake_api.session_user = None
    fake_api.login_retry_after = 2
    page = open_app("#/login")
    _sign_in(page)
    submit = page.locator("[data-testid=login-submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=login-submit]').textContent === 'Try again in 1 s'"
    )
    assert submit.is_disabled()  # a click cannot send a try the server would refuse
    fake_api.login_retry_after = None
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=login-submit]').disabled", timeout=5000
    )
    assert submit.inner_text() == "Sign in"
    _sign_in(page)
    page.wait_for_selector("[data-testid=account-name]")
    logins = [r for r in fake_api.requests if r[1] == "/api/auth/login"]
    assert len(logins) == 2  # one refused, one after the wait


def test_sign_in_goes_back_to_where_the_user_was(open_app, fake_api):
    fake_api.session_user = None
    page = open_app("#/studio/sketch_to_image")
    page.wait_for_selector("[data-testid=view-login]")
    _sign_in(page)
    page.wait_for_selector("[data-testid=view-studio][data-tool=sketch_to_image]")
    assert page.url.endswith("#/studio/sketch_to_image")
    assert page.inner_text("[data-testid=account-name]") == "admin"
    assert fake_api.session_user == 1


@pytest.mark.parametrize("everywhere", [False, True])
def test_logout_goes_to_the_sign_in_page(open_app, fake_api, everywhere):
    page = open_app("#/gallery")
    page.wait_for_selector("[data-testid=view-gallery]")
    open_account_menu(page)
    button = "logout-everywhere-button" if everywhere else "logout-button"
    with page.expect_request("**/api/auth/logout") as sent:
        page.click(f"[data-testid={button}]")
    assert sent.value.post_data_json == ({"everywhere": True} if everywhere else {})
    page.wait_for_selector("[data-testid=view-login]")
    assert fake_api.session_user is None
    assert page.locator("#sidebar").count() == 0
    page.goto(page.url.replace("#/login", "#/queue"))
    page.wait_for_selector("[data-testid=view-login]")
    assert page.input_value("[data-testid=login-username]") == ""  # a logout is not an expiry


def test_session_expiry_mid_form_signs_in_and_keeps_the_form(open_app, fake_api):
    page = open_app("#/studio/text_to_image")
    page.fill("[data-testid=prompt-input]", "a red kite over dunes")
    page.fill("[data-testid=seed-input]", "77")
    page.press("[data-testid=seed-input]", "Tab")
    fake_api.sign_out()
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=view-login]")
    assert page.locator("[data-testid=login-expired]").is_visible()
    assert page.input_value("[data-testid=login-username]") == "admin"
    page.fill("[data-testid=login-password]", "admin-password-1")
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    assert page.input_value("[data-testid=prompt-input]") == "a red kite over dunes"
    assert page.input_value("[data-testid=seed-input]") == "77"
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=job-card][data-status=queued]")
    assert fake_api.generate_bodies[-1]["prompt"] == "a red kite over dunes"


def test_a_refused_event_stream_goes_to_sign_in_without_spinning(open_app, fake_api):
    page = open_app("#/queue")
    page.wait_for_function("() => document.querySelector('[data-connection]').innerText !== ''")
    fake_api.sign_out()  # the stream reconnects (retry: 2000) and is refused with a 401
    page.wait_for_selector("[data-testid=view-login]", timeout=8000)
    streams = len([r for r in fake_api.requests if r[1] == "/api/events"])
    page.wait_for_timeout(2500)
    assert len([r for r in fake_api.requests if r[1] == "/api/events"]) == streams


def test_event_stream_back_off_grows_and_is_capped(open_app):
    page = open_app("#/dashboard")
    waits = page.evaluate("""async () => {
      const events = await import('/js/lib/events.js');
      return [1, 2, 3, 4, 5, 8, 20].map((runs) => events.backoff(runs));
    }""")
    for runs, (low, high) in zip(
        [1, 2, 3, 4, 5, 8, 20],
        [(1600, 2400), (3200, 4800), (6400, 9600), (12800, 19200), (25600, 38400)]
        + [(48000, 72000)] * 2,
        strict=True,
    ):
        assert low <= waits.pop(0) <= high, runs


def test_writes_carry_the_csrf_token_and_a_stale_one_is_refreshed_once(open_app, fake_api):
    fake_api.add_job(7, status="queued", queue_position=1)
    fake_api.add_job(8, status="queued", queue_position=2)
    page = open_app("#/queue")
    page.locator("[data-job-id=job0007] [data-testid=cancel-button]").click()
    page.wait_for_function("() => !document.querySelector('[data-job-id=job0007]')")
    assert fake_api.writes == [("POST", "/api/cancel/job0007", fake_api.csrf_token)]
    assert fake_api.csrf_refused == []
    fake_api.rotate_csrf()  # the page's token is now stale: 403 csrf_failed, /me, one retry
    page.locator("[data-job-id=job0008] [data-testid=cancel-button]").click()
    page.wait_for_function("() => !document.querySelector('[data-job-id=job0008]')")
    assert fake_api.csrf_refused == ["POST /api/cancel/job0008"]
    assert fake_api.writes[-1] == ("POST", "/api/cancel/job0008", fake_api.csrf_token)


def test_sign_in_page_in_traditional_chinese(open_app, fake_api):
    fake_api.session_user = None
    page = open_app("#/login", lang="zh-TW")
    page.wait_for_selector("[data-testid=view-login]")
    assert page.inner_text("h1") == "登入"
    assert page.inner_text("label[for=login-username]") == "使用者名稱"
    assert page.inner_text("label[for=login-password]") == "密碼"
    _sign_in(page, password="wrong")
    page.wait_for_selector("[data-testid=login-error]")
    assert page.inner_text("[data-testid=login-error]") == "使用者名稱或密碼錯誤。"
    page.select_option("[data-testid=login-language]", "en")
    page.wait_for_function("() => document.querySelector('h1').innerText === 'Sign in'")


@pytest.mark.parametrize("size", [PHONE, {"width": 1440, "height": 900}])
def test_sign_in_page_fits_phone_and_desktop(open_app, fake_api, size):
    fake_api.session_user = None
    page = open_app("#/login", width=size["width"], height=size["height"])
    page.wait_for_selector("[data-testid=view-login]")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    box = page.locator("[data-testid=login-form]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    assert box["y"] + box["height"] <= size["height"]  # the whole form without scrolling
    submit = page.locator("[data-testid=login-submit]").bounding_box()
    assert submit["height"] >= 44
    _sign_in(page, password="nope")
    page.wait_for_selector("[data-testid=login-error]")
    screenshot(page, f"accounts-login-{size['width']}")
    _sign_in(page)
    page.wait_for_selector("[data-testid=view-dashboard]")
    if size is PHONE:
        open_account_menu(page)
        page.wait_for_selector("[data-testid=logout-button]")
    screenshot(page, f"accounts-dashboard-{size['width']}")
