"""The SPA on a live studio: gallery search, filters, remix, lightbox, delete; HUD; every view."""

from __future__ import annotations

import io
import uuid

import pytest
import requests
from PIL import Image

from tests.e2e.browser import DESKTOP, PHONE, screenshot
from tests.e2e.flows import (
    card,
    click_generate,
    generate,
    queue_row,
    wait_progress,
    wait_status,
)

pytestmark = pytest.mark.e2e

OTHER_MODEL = "z_image_turbo_fp8_e4m3fn.safetensors"  # a second model text_to_image fits


def _upload(live) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (120, 160), (30, 140, 200)).save(buf, "PNG")
    files = {"file": ("input.png", buf.getvalue(), "image/png")}
    resp = requests.post(live.url + "/api/uploads", files=files, timeout=10, headers=live.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()["upload_id"]


def _item(job_id: str) -> str:
    return f"[data-testid=gallery-item][data-job-id='{job_id}']"


def _items(page) -> list[str]:
    return page.eval_on_selector_all(
        "[data-testid=gallery-item]", "els => els.map((e) => e.dataset.jobId)"
    )


def _wait_items(page, expected: set[str]) -> None:
    page.wait_for_function(
        "(ids) => { const got = [...document.querySelectorAll('[data-testid=gallery-item]')]"
        ".map((e) => e.dataset.jobId).sort(); return JSON.stringify(got) === JSON.stringify(ids); }",
        arg=sorted(expected),
    )


def test_gallery_search_filters_remix_and_delete(open_live, live):
    tag = f"gal{uuid.uuid4().hex[:8]}"
    fox = live.generate(
        workflow="text_to_image",
        prompt=f"a red fox in snow {tag}",
        seed=-1,
        model=OTHER_MODEL,
        aspect_ratio="16:9",
        batch_size=2,
        params={"negative_prompt": "blurry, text", "steps": 6, "cfg": 2.5},
    )
    upload_id = _upload(live)
    edit = live.generate(
        workflow="single_image_edit",
        prompt=f"paint it gold {tag}",
        aspect_ratio="3:4",
        images={"input": upload_id},
    )
    fox_job = live.wait_status(fox["job_id"], {"finished"})
    edit_job = live.wait_status(edit["job_id"], {"finished"})
    assert fox_job["seed"] == fox["seed"] and fox["seed"] != -1

    page = open_live("#/gallery")
    page.fill("[data-testid=gallery-search]", tag)
    _wait_items(page, {fox["job_id"], edit["job_id"]})
    page.select_option("[data-testid=filter-tool]", "single_image_edit")
    _wait_items(page, {edit["job_id"]})
    page.select_option("[data-testid=filter-status]", "cancelled")
    _wait_items(page, set())
    page.select_option("[data-testid=filter-status]", "finished")
    page.select_option("[data-testid=filter-tool]", "")
    _wait_items(page, {fox["job_id"], edit["job_id"]})
    page.click(f"{_item(fox['job_id'])} [data-testid=favorite-button]")
    page.wait_for_selector(
        f"{_item(fox['job_id'])} [data-testid=favorite-button][aria-pressed=true]"
    )
    page.click("[data-testid=filter-favorite]")
    _wait_items(page, {fox["job_id"]})
    page.click("[data-testid=filter-favorite]")
    _wait_items(page, {fox["job_id"], edit["job_id"]})

    # The lightbox shows the full image and every parameter, including the actual seed.
    page.click(f"{_item(fox['job_id'])} [data-open]")
    page.wait_for_selector("[data-testid=lightbox-image]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=lightbox-image]').naturalWidth > 0"
    )
    assert str(fox["seed"]) in page.inner_text("[data-testid=lightbox-params]")
    screenshot(page, "desktop-lightbox")
    page.click("[data-testid=lightbox-close]")
    page.wait_for_selector("[data-testid=lightbox]", state="detached")

    # Remix restores every field; generating again sends the very same settings.
    page.click(f"{_item(fox['job_id'])} [data-testid=remix-button]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    assert page.input_value("[data-testid=prompt-input]") == f"a red fox in snow {tag}"
    assert page.input_value("[data-testid=seed-input]") == str(fox["seed"])
    page.wait_for_function(
        "(m) => document.querySelector('[data-testid=model-select]').value === m", arg=OTHER_MODEL
    )
    assert page.get_attribute("[data-testid=aspect-16\\:9]", "aria-checked") == "true"
    assert page.get_attribute("[data-testid=batch-2]", "aria-checked") == "true"
    page.click("[data-testid=advanced] summary")
    assert page.input_value("[data-testid=param-negative_prompt]") == "blurry, text"
    assert page.input_value("[data-testid=param-steps]") == "6"
    assert float(page.input_value("[data-testid=param-cfg]")) == 2.5
    again = live.wait_status(click_generate(page), {"finished"})
    for name in (
        "tool",
        "prompt",
        "negative_prompt",
        "seed",
        "model",
        "aspect_ratio",
        "batch_size",
    ):
        assert again[name] == fox_job[name], name
    assert again["params"] == fox_job["params"]

    # Remix of an image tool puts the same upload back into its slot.
    page.goto(f"{live.url}/#/gallery")
    page.fill("[data-testid=gallery-search]", "paint it gold " + tag)
    page.click(f"{_item(edit['job_id'])} [data-testid=remix-button]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=single_image_edit]")
    preview = page.get_attribute("[data-testid=slot-preview-input]", "src")
    assert preview == edit_job["inputs"]["input"]["url"] == f"/api/uploads/{upload_id}"
    assert page.get_attribute("[data-testid=aspect-3\\:4]", "aria-checked") == "true"
    assert page.input_value("[data-testid=prompt-input]") == f"paint it gold {tag}"

    # Delete: the card goes, and so do the files.
    page.goto(f"{live.url}/#/gallery")
    page.fill("[data-testid=gallery-search]", "paint it gold " + tag)
    page.click(f"{_item(edit['job_id'])} [data-testid=delete-button]")
    page.wait_for_selector(_item(edit["job_id"]), state="detached")
    assert len(page.watch.dialogs) == 1 and page.watch.dialogs[0].startswith("confirm:")
    image = edit_job["outputs"][0]
    assert requests.get(live.url + image["url"], timeout=5, headers=live.headers).status_code == 404
    assert (
        requests.get(live.url + image["thumb_url"], timeout=5, headers=live.headers).status_code
        == 404
    )
    assert (
        requests.get(
            f"{live.url}/api/jobs/{edit['job_id']}", timeout=5, headers=live.headers
        ).status_code
        == 404
    )


def test_dashboard_hud_shows_workers_and_the_demo_engine(open_live, live):
    page = open_live("#/dashboard")
    page.wait_for_selector("[data-testid=hud-workers][data-state=ok]")
    assert "1 / 1" in page.inner_text("[data-testid=hud-workers]")
    assert "Simulator" in page.inner_text("[data-testid=hud-backends]")
    page.wait_for_selector("[data-testid=demo-banner]")
    assert "Demo engine" in page.inner_text("[data-testid=demo-banner]")
    page.wait_for_load_state("networkidle")
    # Everything the page loaded came from the studio itself: no CDN, fonts or trackers.
    urls = [url for _m, url, _t in page.watch.requests]
    assert any(u.endswith("/js/main.js") for u in urls) and any("/api/metrics" in u for u in urls)
    assert page.watch.foreign_requests() == []
    screenshot(page, "desktop-dashboard")


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_every_view(open_live, live, name, viewport):
    page = open_live("#/studio/text_to_image", viewport=viewport)
    page.wait_for_selector("[data-testid=view-studio][data-tool=text_to_image]")
    job_id = generate(page, f"a quiet harbour at dawn, {name} screenshots", steps=24)
    wait_progress(page, job_id, 10)
    page.locator(card(job_id)).scroll_into_view_if_needed()
    screenshot(page, f"{name}-studio-running")
    page.goto(f"{live.url}/#/queue")
    page.wait_for_selector(f"{queue_row(job_id)}[data-status=processing]")
    screenshot(page, f"{name}-queue")
    page.goto(f"{live.url}/#/dashboard")
    page.wait_for_selector("[data-testid=hud-workers][data-state=ok]")
    page.wait_for_selector("[data-testid=recent-item], [data-testid=recent-empty]")
    screenshot(page, f"{name}-dashboard")
    page.goto(f"{live.url}/#/settings")
    page.wait_for_selector("[data-testid=language-select]")
    screenshot(page, f"{name}-settings")
    page.goto(f"{live.url}/#/studio/text_to_image")
    wait_status(page, job_id, "finished")
    page.wait_for_function(
        "(sel) => document.querySelector(sel)?.complete",
        arg=f"{card(job_id)} [data-testid=result-image]",
    )
    page.locator(card(job_id)).scroll_into_view_if_needed()
    screenshot(page, f"{name}-studio-results")
    page.goto(f"{live.url}/#/gallery")
    page.wait_for_selector("[data-testid=gallery-thumb]")
    screenshot(page, f"{name}-gallery")
    page.click("[data-testid=gallery-item] [data-open]")
    page.wait_for_function("() => document.querySelector('[data-testid=lightbox-image]')?.complete")
    screenshot(page, f"{name}-lightbox")
