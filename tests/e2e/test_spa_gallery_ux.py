"""Gallery, lightbox and result images in a real Chromium against the fake API (issue 10):
portrait cards keep their buttons, sharp results on dense screens, the lightbox's focus,
arrows, phone layout and parameter names, and the before/after slider of an edit."""

from __future__ import annotations

import re

import pytest

from tests.e2e import showcase
from tests.e2e.browser import screenshot

pytestmark = pytest.mark.e2e

DESKTOP = (1440, 900)
PHONE = (390, 844)

# For each card: is every control (and the prompt) inside the card, drawn, and the element
# that a tap at its centre reaches (not covered by the thumbnail)?
CARD_PROBLEMS = """(selectors) => {
  const problems = [];
  for (const card of document.querySelectorAll('[data-testid=gallery-item]')) {
    card.scrollIntoView({block: 'center'});
    const box = card.getBoundingClientRect();
    for (const sel of selectors) {
      const el = card.querySelector(sel);
      if (!el) continue;
      const r = el.getBoundingClientRect();
      const where = `${card.dataset.jobId} ${sel}`;
      if (getComputedStyle(el).display === 'none') continue;  // hidden on purpose (phone)
      if (r.width < 1 || r.height < 1) problems.push(`${where}: not drawn`);
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5
          || r.bottom > box.bottom + 0.5) problems.push(`${where}: outside its card`);
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!hit || !(el === hit || el.contains(hit))) problems.push(`${where}: covered by ${hit?.outerHTML.slice(0, 60)}`);
    }
  }
  return problems;
}"""
CARD_PARTS = [
    ".gallery-body p",
    "[data-testid=favorite-button]",
    "[data-testid=remix-button]",
    "[data-testid=download-button]",
    "[data-testid=delete-button]",
]


def _gallery(open_app, fake_api, size, lang="en"):
    showcase.fill(fake_api)
    page = open_app("#/gallery", width=size[0], height=size[1], lang=lang)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=gallery-item]').length === n",
        arg=len(fake_api.jobs),
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=gallery-thumb]')]"
        ".every((img) => { img.loading = 'eager'; return img.complete && img.naturalWidth > 0; })"
    )
    return page


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_portrait_cards_keep_prompt_and_buttons_inside(open_app, fake_api, size):
    page = _gallery(open_app, fake_api, size)
    shapes = page.eval_on_selector_all(
        "[data-testid=gallery-thumb]", "imgs => imgs.map((i) => i.naturalHeight > i.naturalWidth)"
    )
    assert any(shapes) and not all(shapes)  # portrait and landscape thumbnails both
    assert page.evaluate(CARD_PROBLEMS, CARD_PARTS) == []
    # Thumbnails are square boxes, whatever the image's shape.
    boxes = page.eval_on_selector_all(
        "[data-testid=gallery-open]",
        "els => els.map((e) => Math.abs(e.offsetWidth - e.offsetHeight))",
    )
    assert max(boxes) <= 1
    page.evaluate("window.scrollTo(0, 0)")
    for lang in ("en", "zh-TW"):
        if lang != "en":
            page = _gallery(open_app, fake_api, size, lang)
        screenshot(page, f"gallery-portrait-{size[0]}-{lang}")


def _open_lightbox(page, job_id):
    """Open job_id's lightbox from its gallery card by keyboard (focus + Enter)."""
    opener = page.locator(f"[data-job-id={job_id}] [data-testid=gallery-open]")
    opener.scroll_into_view_if_needed()
    opener.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=lightbox] [data-testid=lightbox-image]")
    page.wait_for_function("() => document.querySelector('[data-testid=lightbox-image]').complete")
    return opener


def _lightbox_rects(page, selector):
    """Rect of `selector` in the open lightbox, and whether a tap at its centre and at each
    edge reaches it."""
    return page.evaluate(
        """(sel) => {
          const el = document.querySelector(`[data-testid=lightbox] ${sel}`);
          const r = el.getBoundingClientRect();
          const cx = r.left + r.width / 2;
          const cy = r.top + r.height / 2;
          // The centre and each edge's middle, 3 px in (hit tests follow rounded corners).
          const points = [[cx, cy], [cx, r.top + 3], [cx, r.bottom - 3], [r.left + 3, cy], [r.right - 3, cy]];
          const reached = points.map(([x, y]) => {
            const hit = document.elementFromPoint(x, y);
            return Boolean(hit) && (hit === el || el.contains(hit));
          });
          const style = getComputedStyle(el);
          return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width,
            height: r.height, reached, vw: innerWidth, vh: innerHeight,
            border: parseFloat(style.borderTopWidth), rim: style.borderTopColor};
        }""",
        selector,
    )


def _visible_without_scrolling(box) -> bool:
    return (
        box["left"] >= 0
        and box["top"] >= 0
        and box["right"] <= box["vw"]
        and (box["bottom"] <= box["vh"])
    )


def test_results_pick_the_full_image_on_a_dense_phone(open_app, fake_api):
    job = fake_api.add_job(5, status="processing", progress=10)
    fake_api.sse_events = [job]
    page = open_app("#/studio/text_to_image", *PHONE, scale=3)
    page.wait_for_selector("[data-testid=job-card][data-job-id=job0005]")
    fake_api.sse_events = [showcase.finished(fake_api, 5, "1:1")]  # on the next SSE connect
    current = "(sel) => { const i = document.querySelector(sel); return i && i.complete && i.currentSrc; }"
    result = "[data-testid=job-card] [data-testid=result-image]"
    page.wait_for_function(current, arg=result, timeout=8000)
    # 340 CSS px x 3 device px: the 384 px thumbnail would be stretched; the 1024 px file is not.
    assert page.evaluate(current, result).endswith("/outputs/job0005_0.png")
    page.evaluate("location.hash = '#/dashboard'")
    page.wait_for_function(current, arg="[data-testid=recent-image]")
    assert page.evaluate(current, "[data-testid=recent-image]").endswith("/outputs/job0005_0.png")


def test_small_tiles_keep_the_thumbnail_on_a_plain_screen(open_app, fake_api):
    showcase.finished(fake_api, 5, "1:1")
    page = open_app("#/dashboard", *DESKTOP)
    current = "(sel) => { const i = document.querySelector(sel); return i && i.complete && i.currentSrc; }"
    page.wait_for_function(current, arg="[data-testid=recent-image]")
    assert page.evaluate(current, "[data-testid=recent-image]").endswith(
        "/outputs/thumbs/job0005_0.webp"
    )


def test_lightbox_traps_focus_and_gives_it_back(open_app, fake_api):
    page = _gallery(open_app, fake_api, DESKTOP)
    opener = _open_lightbox(page, "job0030")
    inside = (
        "() => document.querySelector('[data-testid=lightbox]').contains(document.activeElement)"
    )
    assert page.evaluate(inside)
    count = page.evaluate(
        "async () => (await import('/js/lib/focus-trap.js'))"
        ".focusables(document.querySelector('[data-testid=lightbox]')).length"
    )
    assert count >= 6  # arrows, close, download, remix, favourite, delete
    start = page.evaluate("() => document.activeElement.outerHTML")
    seen = []
    for _ in range(count):
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
        seen.append(page.evaluate("() => document.activeElement.outerHTML"))
    assert seen[-1] == start  # a full round of Tab comes back where it began
    assert len(set(seen)) == count
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=lightbox]", state="detached")
    assert opener.evaluate("(el) => el === document.activeElement")
    # The close button gives focus back as well.
    _open_lightbox(page, showcase.EDIT_JOB)
    page.click("[data-testid=lightbox-close]")
    page.wait_for_selector("[data-testid=lightbox]", state="detached")
    assert page.evaluate(
        f"() => document.activeElement.closest('[data-job-id]')?.dataset.jobId === '{showcase.EDIT_JOB}'"
    )


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_lightbox_arrows_are_whole_and_visible(open_app, fake_api, size):
    page = _gallery(open_app, fake_api, size)
    _open_lightbox(page, "job0030")
    stage = _lightbox_rects(page, ".lightbox-stage")
    for arrow in ("[data-prev]", "[data-next]"):
        box = _lightbox_rects(page, arrow)
        assert box["width"] >= 44 and box["height"] >= 44, box
        assert all(box["reached"]), box  # nothing covers any part of it
        assert _visible_without_scrolling(box), box
        assert stage["left"] <= box["left"] and box["right"] <= stage["right"], (arrow, box, stage)
        # A drawn rim: a see-through button over the black letterbox looked cut in half.
        rim_alpha = re.findall(r"[\d.]+", box["rim"])
        assert box["border"] >= 1 and (len(rim_alpha) == 3 or float(rim_alpha[3]) >= 0.3), box
    page.focus("[data-testid=lightbox-next]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=lightbox] .counter:has-text('2 / 2')")
    # The redraw keeps focus on the arrow, so Enter pages on (and Tab stays in order).
    assert page.evaluate("() => document.activeElement.dataset.testid") == "lightbox-next"


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("job_id", ["job0010", "job0030", showcase.EDIT_JOB])
def test_lightbox_download_is_above_the_fold_on_a_phone(open_app, fake_api, job_id, lang):
    page = _gallery(open_app, fake_api, PHONE, lang)
    _open_lightbox(page, job_id)
    screenshot(page, f"lightbox-{job_id}-390-{lang}")
    box = _lightbox_rects(page, "[data-testid=lightbox-download]")
    assert _visible_without_scrolling(box), box
    assert all(box["reached"]), box
    assert page.evaluate("() => document.querySelector('[data-testid=lightbox]').scrollTop") == 0


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Sampler", "Scheduler", "Tile overlap", "Steps", "CFG scale"]),
        ("zh-TW", ["取樣器", "排程器", "Tile overlap"]),
    ],
)
def test_lightbox_names_every_parameter(open_app, fake_api, lang, expected):
    showcase.fill(fake_api)
    fake_api.jobs["job0030"]["params"]["tile_overlap"] = 64  # a key no translation knows
    page = open_app("#/gallery", *DESKTOP, lang=lang)
    page.wait_for_selector("[data-job-id=job0030]")
    _open_lightbox(page, "job0030")
    # innerText is what is drawn, so text-transform: uppercase would show here.
    labels = page.eval_on_selector_all(
        "[data-testid=lightbox-params] dt", "els => els.map((e) => e.innerText)"
    )
    for label in expected:
        assert label in labels
    assert not [x for x in labels if "_" in x or re.fullmatch(r"[A-Z ]{4,}", x)], labels


def _pixel(page, box, fraction_x):
    """The colour drawn at `fraction_x` of box's width, half way down."""
    from io import BytesIO

    from PIL import Image

    x = box["left"] + box["width"] * fraction_x
    y = box["top"] + box["height"] / 2
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    return Image.open(BytesIO(png)).convert("RGB").getpixel((0, 0))


def _is_input(rgb) -> bool:
    """The fake's uploads are orange (200, 120, 60); its outputs blue (40, 160, 200)."""
    return rgb[0] > rgb[2]


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_before_after_slider_by_pointer_and_keyboard(open_app, fake_api, size, lang):
    page = _gallery(open_app, fake_api, size, lang)
    _open_lightbox(page, showcase.EDIT_JOB)
    slider = page.locator("[data-testid=compare-slider]")
    page.wait_for_function("() => document.querySelector('[data-testid=compare-before]').complete")
    assert slider.get_attribute("role") == "slider"
    assert slider.get_attribute("aria-valuenow") == "50"
    screenshot(page, f"lightbox-before-after-{size[0]}-{lang}")
    image = _lightbox_rects(page, "[data-testid=lightbox-image]")
    assert _is_input(_pixel(page, image, 0.4)) and not _is_input(_pixel(page, image, 0.6))

    # Drag from the middle to a fifth of the width.
    y = image["top"] + image["height"] / 2
    page.mouse.move(image["left"] + image["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(image["left"] + image["width"] * 0.35, y, steps=4)
    page.mouse.move(image["left"] + image["width"] * 0.2, y, steps=4)
    page.mouse.up()
    assert abs(int(slider.get_attribute("aria-valuenow")) - 20) <= 1
    assert slider.evaluate("(el) => el === document.activeElement")  # the keys go on from here
    assert _is_input(_pixel(page, image, 0.1)) and not _is_input(_pixel(page, image, 0.3))

    # Keyboard: the arrows move the handle (not to another output), Home and End to the ends.
    before = int(slider.get_attribute("aria-valuenow"))
    page.keyboard.press("ArrowRight")
    assert int(slider.get_attribute("aria-valuenow")) == before + 5
    page.keyboard.press("End")
    assert slider.get_attribute("aria-valuenow") == "100"
    assert _is_input(_pixel(page, image, 0.9))
    page.keyboard.press("Home")
    assert slider.get_attribute("aria-valuenow") == "0"
    assert not _is_input(_pixel(page, image, 0.1))
    assert slider.get_attribute("aria-valuetext")
    # A job without an input image has no comparison.
    page.keyboard.press("Escape")
    _open_lightbox(page, "job0030")
    assert page.locator("[data-testid=compare-slider]").count() == 0
