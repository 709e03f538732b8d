"""The SPA on a live studio: generate, live progress over SSE, upload, cancel, reload, phone."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.browser import PHONE, screenshot
from tests.e2e.flows import (
    RECORD_PROGRESS,
    card,
    click_generate,
    generate,
    png_file,
    progress_seen,
    upload_by_chooser,
    wait_progress,
    wait_status,
)

pytestmark = pytest.mark.e2e

XSS_PROMPT = "<img src=x onerror=alert(1)>"


def test_text_to_image_progress_arrives_over_sse_and_result_shows(open_live, live):
    page = open_live("#/studio/text_to_image")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    page.wait_for_function(
        "() => document.querySelector('[data-connection]').textContent.trim() !== ''"
    )
    page.evaluate(RECORD_PROGRESS)
    before = len(page.watch.requests)

    job_id = generate(page, "a lighthouse at dusk, e2e progress")
    wait_progress(page, job_id, 0)
    wait_status(page, job_id, "finished")
    page.wait_for_selector(f"{card(job_id)} [data-testid=result-image]")
    assert (
        page.evaluate(
            "(sel) => document.querySelector(sel).naturalWidth",
            f"{card(job_id)} [data-testid=result-image]",
        )
        > 0
    )

    values = progress_seen(page, job_id)
    moving = sorted({v for v in values if 0 < v < 100})
    assert len(moving) >= 3, f"the bar barely moved: {values}"
    assert values == sorted(values), f"progress went backwards: {values}"
    # Updates came over the EventSource: no polling of the job while it ran.
    events = [r for r in page.watch.requests if r[2] == "eventsource"]
    assert events and all(r[1].endswith("/api/events") for r in events)
    after = [url for _m, url, _t in page.watch.requests[before:]]
    assert not [u for u in after if "/api/status/" in u or "/api/jobs?" in u], after
    assert page.inner_text("[data-connection]").strip() == "Live updates on"
    assert live.status(job_id)["status"] == "finished"


def test_image_tool_upload_by_file_chooser(open_live, live, tmp_path):
    page = open_live("#/studio/single_image_edit")
    page.wait_for_selector("[data-testid=view-studio][data-tool=single_image_edit]")
    # The catalog's "keep" preset is the default, with its own label.
    keep = page.locator("[data-testid=aspect-keep]")
    assert keep.get_attribute("aria-checked") == "true"
    assert "Keep input ratio" in keep.inner_text()
    upload_by_chooser(page, "input", png_file(tmp_path, "photo.png"))
    job_id = generate(page, "make the sky purple")
    wait_status(page, job_id, "finished")
    page.wait_for_selector(f"{card(job_id)} [data-testid=result-image]")
    job = live.status(job_id)
    assert job["tool"] == "single_image_edit"
    upload = job["inputs"]["input"]
    assert requests.get(live.url + upload["url"], timeout=5).status_code == 200


def test_cancel_a_running_job(open_live, live):
    page = open_live("#/studio/text_to_image")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    job_id = generate(page, "a slow painting to cancel", steps=30)
    wait_progress(page, job_id, 0)
    page.click(f"{card(job_id)} [data-testid=cancel-button]")
    wait_status(page, job_id, "cancelled")
    assert page.locator(f"{card(job_id)} [data-testid=cancel-button]").is_hidden()
    assert live.wait_status(job_id, {"cancelled"}, timeout=10)["status"] == "cancelled"


def test_reload_mid_job_keeps_the_card_and_its_live_progress(open_live, live):
    page = open_live("#/studio/text_to_image")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    job_id = generate(page, "a long walk, reloaded halfway", steps=30)
    first = wait_progress(page, job_id, 5)
    page.reload()
    page.wait_for_selector(f"{card(job_id)}[data-status=processing]")
    page.evaluate(RECORD_PROGRESS)
    wait_progress(page, job_id, first)
    wait_status(page, job_id, "finished")
    assert len({v for v in progress_seen(page, job_id) if v < 100}) >= 2
    assert page.locator(f"{card(job_id)} [data-testid=result-image]").count() == 1


def test_prompt_with_markup_renders_as_text(open_live, live):
    page = open_live("#/studio/text_to_image")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    job_id = generate(page, XSS_PROMPT)
    wait_status(page, job_id, "finished")
    assert page.inner_text(f"{card(job_id)} .job-prompt") == XSS_PROMPT
    page.goto(f"{live.url}/#/gallery")
    page.fill("[data-testid=gallery-search]", "onerror")
    item = page.locator(f"[data-testid=gallery-item][data-job-id='{job_id}']")
    item.wait_for()
    assert XSS_PROMPT in item.inner_text()
    item.locator("[data-open]").click()
    page.wait_for_selector("[data-testid=lightbox-prompt]")
    assert page.inner_text("[data-testid=lightbox-prompt]") == XSS_PROMPT
    assert page.locator("img[src=x]").count() == 0
    assert page.watch.dialogs == []  # no alert fired (the fixture fails on one too)


def test_phone_drawer_and_a_full_generate(open_live, live):
    page = open_live("#/dashboard", viewport=PHONE)
    page.wait_for_selector("[data-testid=hud-workers]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("[data-testid=drawer-button]")
    page.wait_for_selector("body.drawer-open #sidebar [data-testid=nav-studio]")
    screenshot(page, "phone-drawer")
    page.click("[data-testid=nav-studio]")
    page.wait_for_selector("[data-testid=tool-picker]")
    page.click("[data-testid=tool-picker] [data-testid=tool-card-text_to_image]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    assert not page.evaluate("document.body.classList.contains('drawer-open')")
    page.fill("[data-testid=prompt-input]", "a tiny boat, phone")
    job_id = click_generate(page)
    wait_progress(page, job_id, 0)
    wait_status(page, job_id, "finished")
    page.wait_for_selector(f"{card(job_id)} [data-testid=result-image]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
