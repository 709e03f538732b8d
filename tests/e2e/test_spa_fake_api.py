"""The SPA in a real Chromium against the fake API: flows, live updates, phone layout, XSS."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

pytestmark = pytest.mark.e2e

XSS = '<img src=x onerror="window.__xss=1"> a "quoted" fox'


def _calls(fake, path_prefix):
    return [r for r in fake.requests if r[1].startswith(path_prefix)]


def test_prompt_text_is_escaped_everywhere(open_app, fake_api):
    fake_api.add_job(1, prompt=XSS)
    fake_api.add_job(2, status="queued", prompt=XSS)
    page = open_app("#/gallery")
    page.wait_for_selector("[data-testid=gallery-item]")
    assert page.locator("[data-testid=gallery-item]").first.inner_text().count("<img src=x") == 1
    page.goto(page.url.replace("#/gallery", "#/studio/text_to_image"))
    page.wait_for_selector("[data-testid=job-card]")
    assert "<img src=x" in page.locator("[data-testid=job-card]").first.inner_text()
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__xss") is None


def test_html_template_escapes_and_blocks_script_urls(open_app):
    page = open_app()
    out = page.evaluate("""async () => {
      const m = await import('/js/lib/html.js');
      const user = '<b>"x"</b>';
      return [m.html`<p title="${user}">${user}</p>`.text, m.html`<a href="${'javascript:alert(1)'}">x</a>`.text,
              m.html`<img src="${'/outputs/a.png'}">`.text];
    }""")
    assert (
        out[0] == '<p title="&lt;b&gt;&quot;x&quot;&lt;/b&gt;">&lt;b&gt;&quot;x&quot;&lt;/b&gt;</p>'
    )
    assert out[1] == '<a href="#">x</a>'
    assert out[2] == '<img src="/outputs/a.png">'


def test_generate_sends_manifest_settings_with_seed_zero(open_app, fake_api):
    page = open_app("#/studio/text_to_image")
    page.fill("[data-testid=prompt-input]", "a lighthouse")
    assert page.inner_text("[data-testid=prompt-counter]") == "12 / 2000"
    page.fill("[data-testid=seed-input]", "0")
    page.press("[data-testid=seed-input]", "Tab")
    page.click("[data-testid=aspect-16\\:9]")
    page.click("[data-testid=batch-2]")
    page.click("[data-testid=advanced] summary")
    page.fill("[data-testid=param-steps]", "12")
    page.press("[data-testid=param-steps]", "Tab")
    page.select_option("[data-testid=model-select]", "flux/flux1-dev-fp8.safetensors")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=job-card][data-status=queued]")
    body = fake_api.generate_bodies[-1]
    assert body["workflow"] == "text_to_image"
    assert body["prompt"] == "a lighthouse"
    assert body["seed"] == 0
    assert body["aspect_ratio"] == "16:9"
    assert body["batch_size"] == 2
    assert body["model"] == "flux/flux1-dev-fp8.safetensors"
    assert body["params"]["steps"] == 12
    assert body["params"]["cfg"] == 1.0
    key = _calls(fake_api, "/api/generate")[-1][3]
    assert len(key) >= 16
    # A second click is a new request with a new key (several jobs at once).
    page.click("[data-testid=generate-button]")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=job-card]').length === 2")
    assert _calls(fake_api, "/api/generate")[-1][3] != key


def test_required_prompt_and_slots_are_checked_before_posting(open_app, fake_api):
    page = open_app("#/studio/single_image_edit")
    page.fill("[data-testid=prompt-input]", "make it blue")
    page.click("[data-testid=generate-button]")
    assert "Input image" in page.inner_text("[data-testid=form-error]")
    assert fake_api.generate_bodies == []


def test_sse_events_drive_the_job_card(open_app, fake_api):
    job = fake_api.add_job(5, status="processing", progress=10)
    fake_api.sse_events = [
        {**job, "progress": 60, "step": {"value": 5, "max": 8}, "current_node": "KSampler"}
    ]
    page = open_app("#/studio/text_to_image")
    bar = page.locator("[data-testid=progress-bar]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=progress-bar]').getAttribute('aria-valuenow') === '60'"
    )
    assert "step 5/8" in page.inner_text("[data-testid=job-status]")
    assert bar.get_attribute("aria-valuemax") == "100"
    finished = fake_api.add_job(5, status="finished", n_outputs=2)
    fake_api.sse_events = [finished]  # delivered when EventSource reconnects (retry: 2000)
    page.wait_for_selector(
        "[data-testid=job-card][data-status=finished] [data-testid=result-image]", timeout=6000
    )
    assert page.locator("[data-testid=result-image]").count() == 2
    assert page.locator("[data-testid=cancel-button]").is_hidden()


def test_polling_fallback_when_sse_is_unavailable(open_app, fake_api):
    fake_api.sse_enabled = False
    fake_api.add_job(6, status="queued", queue_position=3)
    page = open_app("#/queue")
    page.wait_for_selector("[data-testid=queue-row][data-status=queued]")
    assert "position 3" in page.inner_text("[data-testid=job-status]")
    fake_api.jobs["job0006"].update(status="processing", progress=55, queue_position=None)
    page.wait_for_selector("[data-testid=queue-row][data-status=processing]", timeout=5000)
    assert _calls(fake_api, "/api/status/job0006")


def test_cancel_button(open_app, fake_api):
    fake_api.add_job(7, status="queued", queue_position=1)
    page = open_app("#/queue")
    page.click("[data-testid=cancel-button]")
    # The cancelled job leaves the queue (waiting or running jobs only).
    page.wait_for_function("() => !document.querySelector('[data-job-id=job0007]')")
    assert _calls(fake_api, "/api/cancel/job0007")
    assert fake_api.jobs["job0007"]["status"] == "cancelled"


@pytest.mark.parametrize(
    ("status", "text", "state"), [(429, "Slow down", "warn"), (503, "Offline", "bad")]
)
def test_hud_tells_rate_limited_from_offline(open_app, fake_api, status, text, state):
    fake_api.metrics_status = status
    page = open_app("#/dashboard")
    tile = page.locator(f"[data-testid=hud-server][data-state={state}]")
    tile.wait_for()
    assert text in tile.inner_text()


def test_dashboard_hud_demo_banner_and_no_engine_help(open_app, fake_api):
    fake_api.backends_online = False
    page = open_app("#/dashboard")
    page.wait_for_selector("[data-testid=hud-workers]")
    assert "1 / 2" in page.inner_text("[data-testid=hud-workers]")
    page.wait_for_selector("[data-testid=demo-banner]")
    page.wait_for_selector("[data-testid=no-engine]")


def test_tool_picker_greys_out_unavailable_tools(open_app):
    page = open_app("#/studio")
    page.wait_for_selector("[data-testid=tool-picker]")
    face = page.locator("[data-testid=tool-card-face_swap]")
    assert face.get_attribute("aria-disabled") == "true"
    assert "ReActorFaceSwap" in face.inner_text()
    face.click(force=True)
    assert page.locator("[data-testid=tool-picker]").is_visible()
    page.click("[data-testid=tool-card-sketch_to_image]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=sketch_to_image]")
    assert page.url.endswith("#/studio/sketch_to_image")


def test_upload_downscales_big_photos(open_app, fake_api):
    buf = io.BytesIO()
    Image.new("RGB", (3000, 1500), (10, 200, 30)).save(buf, "JPEG")
    page = open_app("#/studio/single_image_edit")
    page.set_input_files(
        "[data-testid=slot-input-input]",
        files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}],
    )
    page.wait_for_selector("[data-testid=slot-preview-input]")
    page.wait_for_function("() => !document.querySelector('.slot-busy')")
    body = fake_api.upload_bodies[-1]
    start = body.index(b"\xff\xd8")
    with Image.open(io.BytesIO(body[start:])) as img:
        assert img.size == (2048, 1024)
    page.fill("[data-testid=prompt-input]", "make it blue")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=job-card]")
    assert fake_api.generate_bodies[-1]["images"] == {"input": "up1"}


def test_gallery_infinite_scroll_thumbnails_search_and_filters(open_app, fake_api):
    for n in range(1, 71):
        fake_api.add_job(n, status="failed" if n % 10 == 0 else "finished")
    page = open_app("#/gallery")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=gallery-item]').length >= 30"
    )
    first_pages = len(_calls(fake_api, "/api/jobs"))
    # Keep scrolling to the bottom, as a person would, until every page has arrived.
    page.wait_for_function(
        "() => { window.scrollTo(0, document.body.scrollHeight);"
        " return document.querySelectorAll('[data-testid=gallery-item]').length === 70; }",
        polling=100,
        timeout=20000,
    )
    offsets = [r[2].get("offset") for r in _calls(fake_api, "/api/jobs")]
    assert {"0", "30", "60"} <= set(offsets) and len(_calls(fake_api, "/api/jobs")) > first_pages
    outputs = [r[1] for r in _calls(fake_api, "/outputs/")]
    assert outputs and all(p.startswith("/outputs/thumbs/") for p in outputs)
    page.fill("[data-testid=gallery-search]", "number 42")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=gallery-item]').length === 1"
    )
    assert _calls(fake_api, "/api/jobs")[-1][2]["q"] == "number 42"
    page.fill("[data-testid=gallery-search]", "")
    page.select_option("[data-testid=filter-status]", "failed")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=gallery-item]').length === 7"
    )
    assert _calls(fake_api, "/api/jobs")[-1][2]["status"] == "failed"


# Scrolls to the bottom right after each page's cards are added: a MutationObserver callback
# is a microtask, so it runs after the grid's own after-load check and before the next frame.
SCROLL_AFTER_EACH_PAGE = """() => new MutationObserver((changes) => {
  const cards = changes.some((c) => [...c.addedNodes].some((n) => n.matches?.('.gallery-item')));
  if (cards) window.scrollTo(0, document.body.scrollHeight);
}).observe(document.body, { childList: true, subtree: true })"""


def test_gallery_keeps_paging_after_a_scroll_that_lands_before_the_next_frame(open_app, fake_api):
    """The sentinel is in view when a page is asked for, and in view again (the user scrolled
    to the bottom) at the next frame: the observer sees no change and fires nothing, so the
    grid's own check must pick the next page up (it did not, and paging stopped at 30)."""
    for n in range(1, 71):
        fake_api.add_job(n)
    page = open_app("#/settings")
    page.evaluate(SCROLL_AFTER_EACH_PAGE)  # before the gallery's first page
    page.evaluate("location.hash = '#/gallery'")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=gallery-item]').length === 70",
        timeout=10000,
    )
    pages = [r[2]["offset"] for r in _calls(fake_api, "/api/jobs") if "offset" in r[2]]
    assert pages == ["0", "30", "60"]  # each page once, none after the last


def test_a_gallery_page_that_fails_offers_retry_and_asks_once(open_app, fake_api):
    for n in range(1, 41):
        fake_api.add_job(n)
    fake_api.jobs_status = 503
    page = open_app("#/gallery")
    page.wait_for_selector("[data-testid=gallery-state] [data-retry]")
    page.wait_for_timeout(500)  # time for a loop of failing requests to show
    assert len([r for r in _calls(fake_api, "/api/jobs") if "offset" in r[2]]) == 1
    fake_api.jobs_status = 200
    page.click("[data-testid=gallery-state] [data-retry]")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=gallery-item]').length === 30"
    )


def test_favourite_lightbox_and_delete(open_app, fake_api):
    fake_api.add_job(1)
    fake_api.add_job(2, n_outputs=2)
    page = open_app("#/gallery")
    item = page.locator("[data-testid=gallery-item][data-job-id=job0002]")
    item.locator("[data-testid=favorite-button]").click()
    page.wait_for_selector("[data-job-id=job0002] [data-testid=favorite-button][aria-pressed=true]")
    assert fake_api.jobs["job0002"]["favorite"] is True
    page.locator("[data-job-id=job0002] .thumb").click()
    page.wait_for_selector("[data-testid=lightbox-image]")
    assert page.get_attribute("[data-testid=lightbox-image]", "src") == "/outputs/job0002_0.png"
    params = page.inner_text("[data-testid=lightbox-params]")
    assert "1002" in params and "z_image_turbo_bf16" in params
    page.keyboard.press("Escape")
    page.on("dialog", lambda d: d.accept())
    page.locator("[data-job-id=job0001] [data-testid=delete-button]").click()
    page.wait_for_function("() => !document.querySelector('[data-job-id=job0001]')")
    assert "job0001" not in fake_api.jobs


def test_remix_restores_tool_prompt_seed_settings_and_inputs(open_app, fake_api):
    fake_api.add_job(
        3,
        tool="single_image_edit",
        seed=0,
        batch_size=2,
        aspect_ratio="16:9",
        prompt="paint it gold",
        params={"steps": 20},
        inputs={"input": {"upload_id": "up9", "url": "/api/uploads/up9"}},
    )
    page = open_app("#/gallery")
    page.click("[data-testid=remix-button]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=single_image_edit]")
    assert page.input_value("[data-testid=prompt-input]") == "paint it gold"
    assert page.input_value("[data-testid=seed-input]") == "0"
    assert page.get_attribute("[data-testid=batch-2]", "aria-checked") == "true"
    assert page.get_attribute("[data-testid=aspect-16\\:9]", "aria-checked") == "true"
    assert page.input_value("[data-testid=param-steps]") == "20"
    assert page.get_attribute("[data-testid=slot-preview-input]", "src") == "/api/uploads/up9"
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=job-card][data-status=queued]")
    body = fake_api.generate_bodies[-1]
    assert (body["seed"], body["batch_size"], body["aspect_ratio"]) == (0, 2, "16:9")
    assert body["images"] == {"input": "up9"} and body["params"]["steps"] == 20


def test_language_switch_is_saved(open_app):
    page = open_app("#/settings")
    page.select_option("[data-testid=language-select]", "zh-TW")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=nav-gallery]').innerText.includes('作品集')"
    )
    assert page.evaluate("localStorage.getItem('studio.lang')") == "zh-TW"
    assert page.evaluate("document.documentElement.lang") == "zh-TW"


@pytest.mark.parametrize("width", [360, 390])
def test_phone_drawer_and_no_horizontal_scroll(open_app, fake_api, width):
    for n in range(1, 8):
        fake_api.add_job(n, n_outputs=2)
    fake_api.add_job(9, status="processing", progress=40, prompt="x" * 300)
    page = open_app("#/dashboard", width=width, height=800)
    assert page.locator("[data-testid=nav-gallery]").is_hidden()
    button = page.locator("[data-testid=drawer-button]")
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    button.click()
    page.locator("[data-testid=nav-gallery]").wait_for(state="visible")
    assert button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    page.locator("[data-testid=nav-gallery]").wait_for(state="hidden")
    button.click()
    page.mouse.click(width - 10, 400)  # the overlay, right of the drawer
    page.locator("[data-testid=nav-gallery]").wait_for(state="hidden")
    button.click()
    page.click("[data-testid=nav-gallery]")
    page.wait_for_selector("[data-testid=gallery-item]")
    page.locator("[data-testid=nav-gallery]").wait_for(state="hidden")  # after the slide-out
    assert button.get_attribute("aria-expanded") == "false"
    for route in ("dashboard", "studio/multi_image_blend", "gallery", "queue", "settings"):
        page.goto(re.sub(r"#.*", f"#/{route}", page.url))
        page.wait_for_timeout(300)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"horizontal scroll on {route}: {widths}"
