"""Accounts on a live studio in a real Chromium: sign in through the page, generate, log out;
a second user's gallery is empty; the admin's "everyone" queue shows both users' jobs.

The admin's page is open_live's (the live stack's admin token on every request); the users'
pages start signed out, as a person's browser does, and sign in through the sign-in page.
"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import STEP_MS, _open_pages
from tests.e2e.flows import generate, queue_row, wait_status

pytestmark = pytest.mark.e2e


@pytest.fixture
def open_signed_out(browser, live):
    """A page on the live studio with no credentials at all; fails on any JS error except
    the 401s a signed-out page is answered with."""
    _open, contexts, watches = _open_pages(browser, live.url)
    yield _open
    for context in contexts:
        context.close()
    for watch in watches:
        # /api/auth/me before signing in, and a wrong password, are 401s by design; Chromium
        # logs each as a console error.
        watch.errors[:] = [e for e in watch.errors if "status of 401" not in e]
        watch.check()


def _sign_in(page, name: str, password: str, ok: bool = True) -> None:
    page.wait_for_selector("[data-testid=view-login]")
    page.fill("[data-testid=login-username]", name)
    page.fill("[data-testid=login-password]", password)
    page.click("[data-testid=login-submit]")
    if ok:
        page.wait_for_selector("[data-testid=view-login]", state="detached")
    else:
        page.wait_for_selector("[data-testid=login-error]")


def test_sign_in_generate_log_out_and_isolation(open_live, open_signed_out, live, request):
    first, first_password = live.new_user()
    second, second_password = live.new_user()

    page = open_signed_out("#/studio/text_to_image")
    _sign_in(page, "admin", "wrong password!", ok=False)  # stays on the page, says why
    assert page.inner_text("[data-testid=login-error]") == "Wrong user name or password."
    _sign_in(page, first, first_password)
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    assert page.inner_text("[data-testid=account-name]") == first
    assert page.locator("[data-testid=nav-users]").count() == 0
    live.sim_config(step_ms=1000)  # both jobs stay active while the admin looks
    request.addfinalizer(lambda: live.sim_config(step_ms=STEP_MS))
    job_id = generate(page, "a paper boat, accounts e2e", steps=12)  # ~12 s: running below

    # The second user, in a browser of their own meanwhile: an empty gallery (the first
    # user's job is not theirs), then a job of their own, queued behind the first.
    other = open_signed_out("#/gallery")
    _sign_in(other, second, second_password)
    other.wait_for_selector("[data-testid=view-gallery]")
    other.wait_for_function(
        "() => document.querySelector('.gallery-state').innerText.includes('Nothing here yet')"
    )
    assert other.locator("[data-testid=gallery-item]").count() == 0
    other.goto(other.url.replace("#/gallery", "#/studio/text_to_image"))
    other.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    other_job = generate(other, "a second user's kite, accounts e2e", steps=4)

    admin = open_live("#/queue")
    admin.click("[data-testid=queue-everyone]")
    for job, owner in ((job_id, first), (other_job, second)):
        admin.wait_for_selector(f"{queue_row(job)} [data-testid=job-owner]")
        assert admin.inner_text(f"{queue_row(job)} [data-testid=job-owner]") == owner

    wait_status(page, job_id, "finished", timeout=60000)
    wait_status(other, other_job, "finished", timeout=60000)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert requests.get(f"{live.url}/api/auth/me", cookies=cookies, timeout=5).ok
    page.click("[data-testid=account-button]")
    page.click("[data-testid=logout-button]")
    page.wait_for_selector("[data-testid=view-login]")
    gone = requests.get(f"{live.url}/api/auth/me", cookies=cookies, timeout=5)
    assert gone.status_code == 401  # the session ended on the server, not just in the page

    # The second user's gallery now: their own result only, never the first's. (No second
    # sign-in on the first page: the live studio allows 5 logins a minute from 127.0.0.1, and
    # the live tests after this one log in too.)
    other.goto(other.url.split("#")[0] + "#/gallery")
    other.wait_for_selector(f"[data-testid=gallery-item][data-job-id='{other_job}']")
    assert other.locator("[data-testid=gallery-item]").count() == 1
