"""Accounts on a live studio in a real Chromium: sign in through the page, generate, log out;
a second user's gallery is empty; the admin's "everyone" queue shows the other user's job."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.flows import card, generate, wait_status

pytestmark = pytest.mark.e2e


def _new_user(live, live_http) -> tuple[str, str]:
    name, password = f"u{uuid.uuid4().hex[:10]}", "a-user-password-9"
    made = live_http.post(
        f"{live.url}/api/users",
        json={"username": name, "password": password, "role": "user"},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    return name, password


def _sign_in(page, name: str, password: str, ok: bool = True) -> None:
    page.wait_for_selector("[data-testid=view-login]")
    page.fill("[data-testid=login-username]", name)
    page.fill("[data-testid=login-password]", password)
    page.click("[data-testid=login-submit]")
    if ok:
        page.wait_for_selector("[data-testid=view-login]", state="detached")
    else:
        page.wait_for_selector("[data-testid=login-error]")


def _expected_401s(page) -> None:
    # A signed-out page asks /api/auth/me first, and a wrong password is a 401: Chromium logs
    # each as a console error. Only those may be there.
    errors = page.watch.errors
    errors[:] = [e for e in errors if "status of 401" not in e]


def test_sign_in_generate_log_out_and_isolation(open_live, live, live_http):
    first, first_password = _new_user(live, live_http)
    second, second_password = _new_user(live, live_http)

    page = open_live("#/studio/text_to_image", signed_out=True)
    _sign_in(page, "admin", "wrong password!", ok=False)  # stays on the page, says why
    assert page.inner_text("[data-testid=login-error]") == "Wrong user name or password."
    _sign_in(page, first, first_password)
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    assert page.inner_text("[data-testid=account-name]") == first
    assert page.locator("[data-testid=nav-users]").count() == 0
    job_id = generate(page, "a paper boat, accounts e2e", steps=30)  # ~6 s: still running below

    admin = open_live("#/queue")
    admin.click("[data-testid=queue-everyone]")
    admin.wait_for_selector(f"{card(job_id)} [data-testid=job-owner]")
    assert admin.inner_text(f"{card(job_id)} [data-testid=job-owner]") == first

    wait_status(page, job_id, "finished")
    page.click("[data-testid=account-button]")
    page.click("[data-testid=logout-button]")
    page.wait_for_selector("[data-testid=view-login]")
    assert live_http.get(f"{live.url}/api/status/{job_id}", timeout=5).ok  # the admin's view

    page.goto(page.url.replace("#/login", "#/gallery"))
    _sign_in(page, second, second_password)
    page.wait_for_selector("[data-testid=view-gallery]")
    page.wait_for_function(
        "() => document.querySelector('.gallery-state').innerText.includes('Nothing here yet')"
    )
    assert page.locator("[data-testid=gallery-item]").count() == 0
    _expected_401s(page)
