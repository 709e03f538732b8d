"""The SPA's roles in a real Chromium against the fake API: my password, a plain user
without admin parts, the admin's users, tokens and "everyone" queue, and bidi control
characters kept off the page."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import PHONE, screenshot
from tests.e2e.flows import PAGE_TEXT, open_account_menu

pytestmark = pytest.mark.e2e

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def test_change_own_password_from_the_account_menu(open_app, fake_api):
    fake_api.session_user = 2
    page = open_app("#/dashboard")
    open_account_menu(page)
    page.click("[data-testid=nav-account]")
    page.wait_for_selector("[data-testid=view-account]")
    assert page.get_attribute("[data-testid=pw-new]", "autocomplete") == "new-password"
    page.fill("[data-testid=pw-current]", "not-my-password")
    page.fill("[data-testid=pw-new]", "alice-password-2")
    page.fill("[data-testid=pw-confirm]", "alice-password-3")
    page.click("[data-testid=password-submit]")
    assert page.inner_text("[data-testid=password-error]") == "The two new passwords differ."
    page.fill("[data-testid=pw-confirm]", "alice-password-2")
    page.click("[data-testid=password-submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=password-error]').innerText"
        " === 'The current password is wrong.'"
    )
    assert fake_api.session_user == 2  # a wrong current password does not end the session
    page.fill("[data-testid=pw-current]", "alice-password-1")
    page.click("[data-testid=password-submit]")
    page.wait_for_function("() => document.querySelector('[data-testid=pw-new]').value === ''")
    assert fake_api.users[2]["password"] == "alice-password-2"


def test_a_plain_user_sees_no_admin_parts(open_app, fake_api):
    fake_api.session_user = 2
    fake_api.add_job(4, status="queued", queue_position=1, user_id=2)
    page = open_app("#/dashboard")
    page.wait_for_selector("[data-testid=recent-empty]")
    assert page.inner_text("[data-testid=account-name]") == "alice"
    assert page.locator("[data-testid=nav-users]").count() == 0
    assert page.locator("[data-testid=hud-server]").count() == 0
    screenshot(page, "accounts-plain-dashboard-1280")
    page.goto(page.url.replace("#/dashboard", "#/queue"))
    page.wait_for_selector("[data-testid=queue-row][data-job-id=job0004]")
    assert page.locator("[data-testid=queue-everyone]").count() == 0
    page.goto(page.url.replace("#/queue", "#/users"))
    page.wait_for_selector("[data-testid=view-dashboard]")
    paths = {r[1] for r in fake_api.requests}
    assert not paths & {"/api/metrics", "/health", "/api/users"}
    assert not [r for r in fake_api.requests if r[2].get("all")]


def test_admin_creates_a_user_and_a_token_shown_once(open_app, fake_api):
    page = open_app("#/users")
    page.wait_for_selector("[data-testid=user-row][data-username=alice]")
    page.fill("[data-testid=new-username]", "bob")
    page.fill("[data-testid=new-password]", "bob-password-1")
    page.select_option("[data-testid=new-role]", "user")
    page.click("[data-testid=user-create]")
    page.wait_for_selector("[data-testid=user-row][data-username=bob]")
    assert any(u["username"] == "bob" and u["role"] == "user" for u in fake_api.users.values())
    page.locator("[data-username=alice] [data-testid=user-toggle]").click()
    page.wait_for_selector("[data-testid=user-row][data-username=alice][data-disabled=true]")
    page.locator("[data-username=bob] [data-testid=user-delete]").click()  # confirm accepted
    page.wait_for_function("() => !document.querySelector('[data-username=bob]')")
    assert not any(u["username"] == "bob" for u in fake_api.users.values())
    screenshot(page, "accounts-users-1440", full_page=True)

    page.goto(page.url.replace("#/users", "#/tokens"))
    page.fill("[data-testid=token-name]", "laptop script")
    page.click("[data-testid=token-create]")
    page.wait_for_selector("[data-testid=token-secret-box]")
    secret = next(iter(fake_api.tokens.values()))["secret"]
    assert page.input_value("[data-testid=token-secret]") == secret
    assert "won't see it again" in page.inner_text("[data-testid=token-secret-box]")
    assert page.locator("[data-testid=token-copy]").is_visible()
    page.wait_for_selector("[data-testid=token-row]")
    assert "never used" in page.inner_text("[data-testid=token-row]")
    screenshot(page, "accounts-token-created-1440")
    page.goto(page.url.replace("#/tokens", "#/settings"))
    page.goto(page.url.replace("#/settings", "#/tokens"))
    page.wait_for_selector("[data-testid=token-row]")
    assert secret not in page.evaluate(PAGE_TEXT)  # shown once, never again
    page.locator("[data-testid=token-revoke]").click()
    page.wait_for_selector("[data-testid=token-empty]")
    assert fake_api.tokens == {}


def test_admin_resets_a_password_and_changes_a_role_on_a_phone(open_app, fake_api):
    page = open_app("#/users", width=PHONE["width"], height=PHONE["height"])
    row = page.locator("[data-testid=user-row][data-username=alice]")
    row.locator("[data-testid=user-reset]").click()
    field = row.locator("[data-testid=user-reset-password]")
    assert field.get_attribute("type") == "password"
    field.fill("short")
    row.locator("[data-testid=user-reset-save]").click()
    assert "at least 10" in row.locator("[data-testid=user-reset-error]").inner_text()
    field.fill("alice-new-password")
    row.locator("[data-testid=user-reset-save]").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=toast]')]"
        ".some((n) => n.innerText.includes('Password of alice reset'))"
    )
    assert fake_api.users[2]["password"] == "alice-new-password"
    page.locator("[data-username=alice] [data-testid=user-role]").select_option("admin")
    page.wait_for_function(
        "() => document.querySelector('[data-username=alice] [data-testid=user-role]')"
        ".value === 'admin' && document.querySelectorAll('[data-testid=toast]').length >= 2"
    )
    assert fake_api.users[2]["role"] == "admin"
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    screenshot(page, "accounts-users-390", full_page=True)
    page.goto(page.url.replace("#/users", "#/tokens"))
    page.fill("[data-testid=token-name]", "phone")
    page.click("[data-testid=token-create]")
    page.wait_for_selector("[data-testid=token-row]")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    screenshot(page, "accounts-tokens-390", full_page=True)


def test_admin_queue_shows_everyone_with_owner_names(open_app, fake_api):
    fake_api.add_job(5, status="queued", queue_position=1)
    fake_api.add_job(6, status="processing", progress=30, user_id=2)
    page = open_app("#/queue")
    page.wait_for_selector("[data-testid=queue-row][data-job-id=job0005]")
    assert page.locator("[data-testid=queue-row]").count() == 1
    page.click("[data-testid=queue-everyone]")
    page.wait_for_selector("[data-testid=queue-row][data-job-id=job0006]")
    assert page.get_attribute("[data-testid=queue-everyone]", "aria-pressed") == "true"
    assert page.inner_text("[data-job-id=job0006] [data-testid=job-owner]") == "alice"
    assert page.inner_text("[data-job-id=job0005] [data-testid=job-owner]") == "admin"
    screenshot(page, "accounts-queue-everyone-1280")
    page.click("[data-testid=queue-everyone]")
    page.wait_for_function("() => !document.querySelector('[data-job-id=job0006]')")


def test_bidi_controls_never_reach_the_page(open_app, fake_api):
    evil = "safe \u202eexe.gnp\u202c \u2066x\u2069 \u202a\u202b\u202d\u2067\u2068"
    fake_api.users[1]["username"] = "ad\u202emin"
    fake_api.add_job(1, prompt=evil, error=None)
    running = fake_api.add_job(2, status="processing", progress=10, prompt="p")
    fake_api.sse_events = [{**running, "prompt": evil, "current_node": "K\u2067S"}]
    fake_api.add_job(3, status="failed", prompt=evil, error="bad \u202efile\u202c")
    page = open_app("#/gallery")
    page.wait_for_selector("[data-testid=gallery-item]")
    assert not BIDI.search(page.evaluate(PAGE_TEXT))
    assert "safe exe.gnp x" in page.inner_text("[data-job-id=job0001]")
    page.goto(page.url.replace("#/gallery", "#/studio/text_to_image"))
    page.wait_for_selector("[data-testid=job-card][data-job-id=job0002]")
    page.wait_for_function(
        "() => document.querySelector('[data-job-id=job0002] .job-prompt').innerText.startsWith('safe')"
    )
    assert not BIDI.search(page.evaluate(PAGE_TEXT))
    assert page.inner_text("[data-testid=account-name]") == "admin"


def test_html_helpers_strip_bidi_controls(open_app):
    page = open_app()
    out = page.evaluate("""async () => {
      const m = await import('/js/lib/html.js');
      const api = await import('/js/lib/api.js');
      const text = 'a\\u202Eb\\u202Ac\\u202Bd\\u202Ce\\u202Df\\u2066g\\u2067h\\u2068i\\u2069j\\u200Fk';
      const node = document.createElement('p');
      m.setText(node, text);
      return [m.stripBidi(text), m.html`<p title="${text}">${text}</p>`.text, node.textContent,
              api.parseJson(JSON.stringify({n: [text]})).n[0]];
    }""")
    # U+200F (a mark, not an override) stays: right-to-left text keeps working.
    assert (
        out
        == ["abcdefghij\u200fk", '<p title="abcdefghij\u200fk">abcdefghij\u200fk</p>']
        + ["abcdefghij\u200fk"] * 2
    )
