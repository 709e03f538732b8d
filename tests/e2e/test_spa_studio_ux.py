"""The studio for a ComfyUI user (issue 10): keyboard, generate again, retry, prompt history,
styles, the defects a new user met (prompt limit, a dropped PDF, 16-digit seeds, the phone
order, a reload, the empty texts) and the dashboard's phone order."""

from __future__ import annotations

import pytest

from tests.e2e.browser import PHONE, screenshot

pytestmark = pytest.mark.e2e

CARDS = "[data-testid=job-card]"


def _studio(open_app, tool="text_to_image", **size):
    page = open_app(f"#/studio/{tool}", **size)
    page.wait_for_selector("[data-testid=generate-button]")
    return page


def test_ctrl_enter_generates_from_prompt_and_settings(open_app, fake_api):
    page = _studio(open_app)
    page.fill("[data-testid=prompt-input]", "a harbour at dawn")
    page.press("[data-testid=prompt-input]", "Control+Enter")
    page.wait_for_selector(CARDS)
    assert fake_api.generate_bodies[-1]["prompt"] == "a harbour at dawn"
    # From a settings field (outside the form), with a value not yet committed by a blur.
    page.fill("[data-testid=seed-input]", "77")
    page.press("[data-testid=seed-input]", "Meta+Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=job-card]').length === 2")
    assert fake_api.generate_bodies[-1]["seed"] == 77


def test_focus_opens_on_the_prompt_and_moves_to_the_new_card(open_app, fake_api):
    page = _studio(open_app)
    page.wait_for_function("() => document.activeElement?.id === 'prompt'")
    page.keyboard.type("a red kite")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => document.activeElement?.matches('[data-testid=job-card]')")
    label = page.evaluate(
        """() => document.activeElement.getAttribute('aria-labelledby').split(' ')
             .map((id) => document.getElementById(id).textContent).join(' ')"""
    )
    assert "Text to Image" in label and "a red kite" in label
    # A tool with image slots opens on its first slot.
    page = _studio(open_app, "single_image_edit")
    page.wait_for_function("() => document.activeElement?.matches('[data-testid=slot-zone-input]')")


def test_repeat_three_sends_three_jobs_one_after_another_with_new_seeds(open_app, fake_api):
    page = _studio(open_app)
    page.fill("[data-testid=prompt-input]", "three foxes")
    page.fill("[data-testid=repeat-count]", "3")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=repeat-status]:has-text('Run 1 of 3')")
    assert len(fake_api.generate_bodies) == 1  # the next waits until this job has ended
    fake_api.sse_events = [{**fake_api.jobs["job0100"], "status": "finished", "progress": 100}]
    page.wait_for_selector("[data-testid=repeat-status]:has-text('Run 2 of 3')", timeout=8000)
    assert len(fake_api.generate_bodies) == 2
    fake_api.sse_events = [{**fake_api.jobs["job0101"], "status": "finished", "progress": 100}]
    # the last run is sent without waiting for anything after it
    page.wait_for_selector("[data-testid=repeat-status]:has-text('Done: 3 runs')", timeout=8000)
    seeds = [b["seed"] for b in fake_api.generate_bodies]
    assert len(seeds) == 3 and len(set(seeds)) == 3 and all(s >= 0 for s in seeds)
    assert page.locator("[data-testid=repeat-stop]").is_hidden()


def test_repeat_with_a_locked_seed_counts_up(open_app, fake_api):
    fake_api.generate_status = "finished"
    page = _studio(open_app)
    page.fill("[data-testid=prompt-input]", "steady")
    page.fill("[data-testid=seed-input]", "9007199254740990")
    page.press("[data-testid=seed-input]", "Tab")
    page.fill("[data-testid=repeat-count]", "3")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=repeat-status]:has-text('Done: 3 runs')")
    # seed + 1 per run, past the largest seed back to 0
    assert [b["seed"] for b in fake_api.generate_bodies] == [9007199254740990, 9007199254740991, 0]


def test_until_stopped_runs_until_stop(open_app, fake_api):
    fake_api.generate_status = "finished"
    page = _studio(open_app)
    page.fill("[data-testid=prompt-input]", "forever")
    page.check("[data-testid=repeat-forever]")
    assert page.locator("[data-testid=repeat-count]").is_disabled()
    page.click("[data-testid=generate-button]")
    # jobs end at once here, so the runs go by fast: wait for any run from the third on
    page.wait_for_function(
        """() => {
          const run = /Run (\\d+) \\(until stopped\\)/.exec(
            document.querySelector('[data-testid=repeat-status]').textContent);
          return run && Number(run[1]) >= 3;
        }"""
    )
    assert page.locator("[data-testid=generate-button]").is_disabled()
    page.click("[data-testid=repeat-stop]")
    page.wait_for_selector("[data-testid=repeat-status]:has-text('Stopped after')")
    sent = len(fake_api.generate_bodies)
    stopped_at = int(page.inner_text("[data-testid=repeat-status]").split()[2])
    assert sent == stopped_at
    assert page.locator("[data-testid=generate-button]").is_enabled()
    # Nothing more goes out: a round trip through the page later, the count is the same.
    page.fill("[data-testid=prompt-input]", "after")
    page.evaluate("() => fetch('/api/tools').then((r) => r.json())")
    assert len(fake_api.generate_bodies) == sent


def test_a_failed_job_ends_a_series_and_retry_resubmits_it(open_app, fake_api):
    fake_api.add_job(
        9,
        status="failed",
        error="out of memory",
        prompt="a failed castle",
        seed=31337,
        aspect_ratio="16:9",
        batch_size=2,
        params={"steps": 12, "cfg": 2.5},
    )
    page = _studio(open_app)
    card = page.locator(f"{CARDS}[data-job-id=job0009]")
    card.locator("[data-testid=retry-button]").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=job-card]').length === 2")
    body = fake_api.generate_bodies[-1]
    assert body == {
        "workflow": "text_to_image",
        "prompt": "a failed castle",
        "seed": 31337,
        "model": "z_image_turbo_bf16.safetensors",
        "aspect_ratio": "16:9",
        "batch_size": 2,
        "params": {"steps": 12, "cfg": 2.5},
        "images": {},
    }
    assert page.locator("[data-testid=retry-button]:visible").count() == 1  # only the failed card
    fake_api.generate_status = "failed"
    page.fill("[data-testid=prompt-input]", "doomed")
    page.fill("[data-testid=repeat-count]", "5")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=repeat-status]:has-text('Stopped: run 1 failed')")
    assert len(fake_api.generate_bodies) == 2


def test_prompt_history_fills_the_prompt(open_app, fake_api):
    page = _studio(open_app)
    for n, text in enumerate(("a blue whale", "a tiny robot", "a blue lantern"), start=1):
        page.fill("[data-testid=prompt-input]", text)
        page.click("[data-testid=generate-button]")
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=job-card]').length === n", arg=n
        )
    page.fill("[data-testid=prompt-input]", "")
    page.click("[data-testid=history-button]")
    assert page.get_attribute("[data-testid=history-button]", "aria-expanded") == "true"
    items = page.locator("[data-testid=history-item]")
    assert items.all_inner_texts() == ["a blue lantern", "a tiny robot", "a blue whale"]
    page.keyboard.type("blue wh")  # the search field has the focus
    assert items.all_inner_texts() == ["a blue whale"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("[data-testid=prompt-input]") == "a blue whale"
    assert page.locator("[data-testid=history-pop]").is_hidden()
    assert page.evaluate("document.activeElement.id") == "prompt"
    assert page.inner_text("[data-testid=prompt-counter]") == "12 / 2000"
    # Kept across a reload, and Escape closes the list back onto its button.
    page.reload()
    page.click("[data-testid=history-button]")
    assert items.count() == 3
    page.keyboard.press("Escape")
    assert page.locator("[data-testid=history-pop]").is_hidden()
    assert page.evaluate("document.activeElement.dataset.testid") == "history-button"


def test_styles_reach_the_generate_body(open_app, fake_api):
    page = _studio(open_app)
    page.fill("[data-testid=prompt-input]", "a castle")
    page.click("[data-testid=style-chip]:has-text('Cinematic')")
    assert (
        page.get_attribute("[data-testid=style-chip]:has-text('Cinematic')", "aria-pressed")
        == "true"
    )
    page.click("[data-testid=style-new]")
    page.fill("[data-testid=style-name]", "Night")
    page.fill("[data-testid=style-prompt]", "{prompt} at night, moonlight")
    page.fill("[data-testid=style-negative]", "daylight")
    page.press("[data-testid=style-negative]", "Enter")  # saves the style, does not generate
    page.wait_for_selector("[data-testid=style-chip][aria-pressed=true]:has-text('Night')")
    assert fake_api.generate_bodies == []
    page.click("[data-testid=generate-button]")
    page.wait_for_selector(CARDS)
    body = fake_api.generate_bodies[-1]
    cinematic = "cinematic still, dramatic lighting, shallow depth of field, film grain"
    assert body["prompt"] == f"a castle, {cinematic} at night, moonlight"
    assert body["params"]["negative_prompt"] == "cartoon, flat lighting, daylight"
    # Deleting the user's style switches it off; the history keeps the prompt as typed.
    page.click("[data-testid=style-delete]")
    assert page.locator("[data-testid=style-chip]:has-text('Night')").count() == 0
    assert (
        page.evaluate("JSON.parse(localStorage.getItem('studio.prompt_history'))[0].prompt")
        == "a castle"
    )


@pytest.mark.parametrize("size", [{"width": 1440, "height": 900}, PHONE])
def test_a_16_digit_seed_shows_whole_and_reaches_the_body_exactly(open_app, fake_api, size):
    page = _studio(open_app, **size)
    page.fill("[data-testid=prompt-input]", "exact")
    page.fill("[data-testid=seed-input]", "9007199254740991")
    page.press("[data-testid=seed-input]", "Tab")
    assert page.input_value("[data-testid=seed-input]") == "9007199254740991"
    # every digit visible: the field does not scroll its text (it cut the last digits)
    seed = page.locator("[data-testid=seed-input]")
    assert seed.evaluate("(e) => e.scrollWidth <= e.clientWidth")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector(CARDS)
    assert fake_api.generate_bodies[-1]["seed"] == 9007199254740991
    assert page.locator("[data-testid=form-error]").is_hidden()


def test_an_over_limit_paste_is_kept_and_announced(open_app, fake_api):
    page = _studio(open_app)
    page.focus("[data-testid=prompt-input]")
    page.keyboard.insert_text("x" * 2100)  # what a paste does
    assert len(page.input_value("[data-testid=prompt-input]")) == 2100
    assert "100 over the limit of 2000" in page.inner_text("[data-testid=prompt-over]")
    assert "over" in page.get_attribute("[data-testid=prompt-counter]", "class")
    page.click("[data-testid=generate-button]")
    assert "2100 characters; the limit is 2000" in page.inner_text("[data-testid=form-error]")
    assert fake_api.generate_bodies == []


def test_a_dropped_pdf_is_refused_out_loud(open_app, fake_api):
    page = _studio(open_app, "single_image_edit")
    page.evaluate(
        """() => {
          const data = new DataTransfer();
          data.items.add(new File(['%PDF-1.4'], 'invoice.pdf', { type: 'application/pdf' }));
          document.querySelector('[data-testid=slot-input]')
            .dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        }"""
    )
    error = page.locator("[data-testid=slot-error-input]")
    error.wait_for()
    assert "invoice.pdf" in error.inner_text() and error.get_attribute("role") == "alert"
    assert fake_api.upload_bodies == []


def test_a_pasted_pdf_is_refused_out_loud(open_app, fake_api):
    page = _studio(open_app, "single_image_edit")
    page.evaluate(
        """() => {
          const data = new DataTransfer();
          data.items.add(new File(['%PDF-1.4'], 'receipt.pdf', { type: 'application/pdf' }));
          document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        }"""
    )
    error = page.locator("[data-testid=slot-error-input]")
    error.wait_for()
    assert "receipt.pdf" in error.inner_text()
    assert fake_api.upload_bodies == []


def test_phone_settings_above_the_results(open_app, fake_api):
    for n in (1, 2, 3):
        fake_api.add_job(n)
    page = _studio(open_app, **PHONE)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=job-card]').length === 3")
    seed_top = page.locator("[data-testid=seed-input]").bounding_box()["y"]
    card_top = page.locator(CARDS).first.bounding_box()["y"]
    prompt_top = page.locator("[data-testid=prompt-input]").bounding_box()["y"]
    generate_top = page.locator("[data-testid=generate-button]").bounding_box()["y"]
    # Set the seed, then press Generate below it, without scrolling back up.
    assert prompt_top < seed_top < generate_top < card_top
    small = page.evaluate(
        """() => [...document.querySelectorAll('.studio button, .studio input, .studio select')]
             .filter((el) => el.offsetParent && !el.classList.contains('visually-hidden'))
             .filter((el) => el.type !== 'checkbox')
             .map((el) => [el.dataset.testid || el.className, el.getBoundingClientRect().height])
             .filter(([, h]) => h < 44)"""
    )
    assert small == []
    # Two columns again: the settings go back beside the form, its values kept.
    page.fill("[data-testid=seed-input]", "4242")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=compose] [data-testid=seed-input]')"
    )
    seed = page.locator("[data-testid=seed-input]").bounding_box()
    prompt = page.locator("[data-testid=prompt-input]").bounding_box()
    assert seed["x"] > prompt["x"] + prompt["width"]
    assert page.input_value("[data-testid=seed-input]") == "4242"


def test_reload_brings_back_this_tools_recent_jobs(open_app, fake_api):
    fake_api.generate_status = "finished"
    fake_api.add_job(1, tool="face_swap", prompt="another tool")
    page = _studio(open_app)
    page.fill("[data-testid=prompt-input]", "kept after reload")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector(f"{CARDS}[data-status=finished]")
    page.reload()
    page.wait_for_selector(f"{CARDS}[data-status=finished] [data-testid=result-image]")
    assert page.locator(CARDS).all_inner_texts()[0].count("kept after reload") == 1
    assert "another tool" not in page.inner_text("[data-testid=job-list]")
    assert page.locator("[data-testid=jobs-empty]").is_hidden()


def test_empty_texts_use_the_whole_width(open_app, fake_api):
    page = open_app("#/dashboard", width=1440, height=900)
    empty = page.locator("[data-testid=recent-empty]")
    empty.wait_for()
    grid = page.locator("[data-recent]").bounding_box()
    assert empty.bounding_box()["width"] > grid["width"] * 0.9
    page = _studio(open_app, width=1440, height=900)
    assert page.locator("[data-testid=jobs-empty]").bounding_box()["width"] > 500


def test_phone_dashboard_shows_the_tools_before_the_tiles(open_app, fake_api):
    page = open_app("#/dashboard", **PHONE)
    page.wait_for_selector("[data-testid=hud-server]")
    page.wait_for_selector(".tool-card")
    tools_top = page.locator("[data-testid=dashboard-tools]").bounding_box()["y"]
    assert tools_top < page.locator("[data-testid=dashboard-hud]").bounding_box()["y"]
    assert tools_top < PHONE["height"]


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_screenshots(open_app, fake_api, lang):
    fake_api.add_job(1, prompt="a lighthouse in a storm")
    fake_api.add_job(2, status="failed", error="out of memory", prompt="a failed castle")
    for name, size in (("desktop", {"width": 1440, "height": 900}), ("phone", PHONE)):
        page = _studio(open_app, **size, lang=lang)
        page.wait_for_selector(f"{CARDS}[data-job-id=job0002] [data-testid=retry-button]")
        page.fill("[data-testid=prompt-input]", "a lighthouse")
        page.click("[data-testid=style-chip] >> nth=0")
        screenshot(page, f"studio-ux-{name}-{lang}", full_page=True)
        page.click("[data-testid=history-button]")
        screenshot(page, f"studio-ux-history-{name}-{lang}")
        dash = open_app("#/dashboard", **size, lang=lang)
        dash.wait_for_selector(".tool-card")
        screenshot(dash, f"dashboard-{name}-{lang}", full_page=True)
