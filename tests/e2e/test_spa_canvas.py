"""The sketch pad and the mask painter, drawn on with synthetic pointer input in a real Chromium.

Every check reads the pixels of the PNG the page uploaded (the fake API keeps the multipart
bodies), so what is asserted is what the worker would get.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.browser import PHONE, screenshot
from tests.e2e.fake_api import multipart_file

pytestmark = pytest.mark.e2e

SIDE = 1024  # the sketch's long side in pixels
# Dispatch one stroke of PointerEvents on `selector` through points given as fractions of its box.
STROKE_JS = """([selector, points, type, pressure, coalesced]) => {
  const el = document.querySelector(selector);
  const r = el.getBoundingClientRect();
  const at = ([fx, fy]) => ({clientX: r.left + fx * r.width, clientY: r.top + fy * r.height});
  const base = {pointerId: 7, pointerType: type, isPrimary: true, bubbles: true, cancelable: true,
                pressure, button: 0, buttons: 1};
  el.dispatchEvent(new PointerEvent('pointerdown', {...base, ...at(points[0])}));
  const rest = points.slice(1);
  if (coalesced) {
    // One pointermove carrying every sample since the last frame, as a fast hand gives.
    const samples = rest.map((p) => new PointerEvent('pointermove', {...base, button: -1, ...at(p)}));
    el.dispatchEvent(new PointerEvent('pointermove',
      {...base, button: -1, ...at(rest[rest.length - 1]), coalescedEvents: samples}));
  } else {
    for (const p of rest) el.dispatchEvent(new PointerEvent('pointermove', {...base, button: -1, ...at(p)}));
  }
  el.dispatchEvent(new PointerEvent('pointerup',
    {...base, buttons: 0, pressure: 0, ...at(points[points.length - 1])}));
}"""
SET_VALUE_JS = """(el, value) => {
  el.value = value;
  el.dispatchEvent(new Event('input', {bubbles: true}));
}"""


def _stroke(page, selector, points, pointer="mouse", pressure=0.5, coalesced=False):
    page.evaluate(STROKE_JS, [selector, points, pointer, pressure, coalesced])


def _mouse_stroke(page, selector, points):
    # A real mouse only reaches what is on screen (banners above may push the pad down).
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def _set(page, selector, value):
    page.eval_on_selector(selector, SET_VALUE_JS, str(value))


def _uploaded(fake, n=-1) -> Image.Image:
    """The n-th image the page uploaded, decoded."""
    data = multipart_file(fake.upload_bodies[n])
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.copy()


def _generate(page, fake) -> dict:
    """Click Generate and wait for the new job card; the request body it sent."""
    cards = page.locator("[data-testid=job-card]").count()
    page.click("[data-testid=generate-button]")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=job-card]').length === {cards + 1}"
    )
    return fake.generate_bodies[-1]


def _dark(pixel) -> bool:
    return max(pixel[:3]) < 60


def _white(pixel) -> bool:
    return min(pixel[:3]) > 245


def _sketch_page(open_app, **size):
    page = open_app("#/studio/sketch_to_image", **size)
    page.wait_for_selector("[data-testid=sketch-canvas]")
    page.fill("[data-testid=prompt-input]", "a castle on a hill")
    return page


def _png_file(name, size, color) -> dict:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buf.getvalue()}


# ---- sketch pad ---------------------------------------------------------------------------
def test_mouse_drawing_is_uploaded_as_the_sketch_once(open_app, fake_api):
    page = _sketch_page(open_app)
    _set(page, "[data-testid=pad-color]", "#ff0000")
    _set(page, "[data-testid=pad-size]", 12)
    _mouse_stroke(page, "[data-testid=sketch-canvas]", [(0.1, 0.25), (0.9, 0.25)])
    # A narrower window shows the canvas smaller and keeps the drawing.
    wide = page.locator("[data-testid=sketch-canvas]").bounding_box()["width"]
    page.set_viewport_size(PHONE)
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=sketch-canvas]').clientWidth < {wide - 50}"
    )
    body = _generate(page, fake_api)
    assert len(fake_api.upload_bodies) == 1
    assert body["images"] == {"sketch": "up1"}
    img = _uploaded(fake_api).convert("RGB")
    assert img.size == (SIDE, SIDE)
    for x in (150, 512, 870):
        r, g, b = img.getpixel((x, 256))
        assert r > 200 and g < 60 and b < 60, (x, (r, g, b))
    for xy in ((5, 5), (512, 600), (1018, 1018), (512, 240)):
        assert _white(img.getpixel(xy)), xy
    # An unchanged drawing is not uploaded again; a changed one is.
    assert _generate(page, fake_api)["images"] == {"sketch": "up1"}
    assert len(fake_api.upload_bodies) == 1
    _mouse_stroke(page, "[data-testid=sketch-canvas]", [(0.5, 0.5), (0.5, 0.9)])
    assert _generate(page, fake_api)["images"] == {"sketch": "up2"}
    img = _uploaded(fake_api).convert("RGB")
    assert img.getpixel((512, 700))[0] > 200 and img.getpixel((512, 256))[0] > 200


def test_eraser_undo_redo_and_clear(open_app, fake_api):
    page = _sketch_page(open_app)
    canvas = "[data-testid=sketch-canvas]"
    _set(page, "[data-testid=pad-size]", 20)
    _stroke(page, canvas, [(0.1, 0.5), (0.5, 0.5), (0.9, 0.5)])
    page.click("[data-testid=pad-eraser]")
    assert page.get_attribute("[data-testid=pad-eraser]", "aria-pressed") == "true"
    _set(page, "[data-testid=pad-size]", 60)
    _stroke(page, canvas, [(0.5, 0.3), (0.5, 0.7)])
    _generate(page, fake_api)
    img = _uploaded(fake_api).convert("RGB")
    assert _white(img.getpixel((512, 512))) and _dark(img.getpixel((250, 512)))

    page.keyboard.press("Control+z")  # the eraser stroke goes
    _generate(page, fake_api)
    img = _uploaded(fake_api).convert("RGB")
    assert _dark(img.getpixel((512, 512)))
    page.keyboard.press("Control+Shift+z")  # and comes back: the picture of up1 again
    assert _generate(page, fake_api)["images"] == {"sketch": "up1"}
    assert len(fake_api.upload_bodies) == 2
    page.click("[data-testid=pad-undo]")
    page.click("[data-testid=pad-undo]")
    assert page.is_disabled("[data-testid=pad-undo]")
    page.keyboard.press("Control+y")  # the first stroke alone: the picture of up2
    assert _generate(page, fake_api)["images"] == {"sketch": "up2"}
    assert len(fake_api.upload_bodies) == 2

    # Ctrl+Z while typing in the prompt is the text's undo, never the drawing's.
    page.click("[data-testid=prompt-input]")
    page.keyboard.press("Control+z")
    page.fill("[data-testid=prompt-input]", "a castle on a hill")
    assert _generate(page, fake_api)["images"] == {"sketch": "up2"}

    page.click("[data-testid=pad-clear]")
    page.click("[data-testid=generate-button]")
    page.wait_for_selector("[data-testid=form-error]:not([hidden])")
    assert "Sketch" in page.inner_text("[data-testid=form-error]")
    page.keyboard.press("Control+z")  # the clear is undone
    assert _generate(page, fake_api)["images"] == {"sketch": "up2"}
    assert len(fake_api.upload_bodies) == 2


def test_pen_pressure_touch_and_coalesced_samples(open_app, fake_api):
    page = _sketch_page(open_app)
    canvas = "[data-testid=sketch-canvas]"
    _set(page, "[data-testid=pad-size]", 40)
    _stroke(page, canvas, [(0.1, 0.2), (0.9, 0.2)], pointer="pen", pressure=0.2)
    _stroke(page, canvas, [(0.1, 0.4), (0.9, 0.4)], pointer="pen", pressure=1.0)
    _stroke(page, canvas, [(0.1, 0.6), (0.9, 0.6)], pointer="touch", pressure=0.3)
    # A V drawn by one pointermove with coalesced samples: the tip is only in the samples.
    vee = [(0.1, 0.7), (0.5, 0.95), (0.9, 0.7)]
    _stroke(page, canvas, vee, pointer="pen", pressure=1.0, coalesced=True)
    _generate(page, fake_api)
    img = _uploaded(fake_api).convert("RGB")

    def thickness(y0):
        return sum(_dark(img.getpixel((300, y))) for y in range(y0 - 40, y0 + 40))

    light, firm, finger = thickness(205), thickness(410), thickness(614)
    assert 10 <= light <= 22, light  # 40 px * (0.25 + 0.75 * 0.2) = 16 px
    assert 36 <= firm <= 44, firm
    assert 36 <= finger <= 44, finger  # a finger draws at the full size
    assert _dark(img.getpixel((512, 970)))  # the V's tip


def test_start_from_an_image_keeps_its_ratio_and_the_eraser_reveals_it(open_app, fake_api):
    page = _sketch_page(open_app)
    canvas = "[data-testid=sketch-canvas]"
    page.set_input_files(
        "[data-testid=pad-bg-input]", files=[_png_file("bg.png", (600, 300), (20, 60, 220))]
    )
    page.wait_for_function(
        "() => document.querySelector('[data-testid=sketch-canvas]').height === 512"
    )
    box = page.locator(canvas).bounding_box()
    assert abs(box["width"] / box["height"] - 2) < 0.02
    _set(page, "[data-testid=pad-size]", 30)
    _stroke(page, canvas, [(0.1, 0.5), (0.9, 0.5)])
    page.click("[data-testid=pad-eraser]")
    _stroke(page, canvas, [(0.5, 0.2), (0.5, 0.8)])
    _generate(page, fake_api)
    img = _uploaded(fake_api).convert("RGB")
    assert img.size == (SIDE, 512)
    assert img.getpixel((10, 10)) == (20, 60, 220)
    assert _dark(img.getpixel((300, 256)))
    assert img.getpixel((512, 256)) == (20, 60, 220)  # erased ink shows the image again
    # Undo back past the image: a white 1024 x 1024 page again.
    for _ in range(3):
        page.click("[data-testid=pad-undo]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=sketch-canvas]').height === 1024"
    )
    assert page.is_disabled("[data-testid=pad-undo]")
    assert page.is_disabled("[data-testid=pad-clear]")


def test_remix_continues_from_the_previous_sketch(open_app, fake_api):
    fake_api.add_job(
        4,
        tool="sketch_to_image",
        prompt="a red barn",
        inputs={"sketch": {"upload_id": "up9", "url": "/api/uploads/up9"}},
    )
    page = open_app("#/gallery")
    page.click("[data-testid=remix-button]")
    page.wait_for_selector("[data-testid=view-studio][data-tool=sketch_to_image]")
    # The fake serves up9 as a 256 px image of (200, 120, 60): it is the pad's background.
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=sketch-background]');"
        " const [r, g, b] = c.getContext('2d').getImageData(20, 20, 1, 1).data;"
        " return r === 200 && g === 120 && b === 60; }"
    )
    assert _generate(page, fake_api)["images"] == {"sketch": "up9"}
    assert fake_api.upload_bodies == []
    _stroke(page, "[data-testid=sketch-canvas]", [(0.2, 0.2), (0.8, 0.8)])
    assert _generate(page, fake_api)["images"] == {"sketch": "up1"}
    img = _uploaded(fake_api).convert("RGB")
    assert img.getpixel((1000, 20)) == (200, 120, 60) and _dark(img.getpixel((512, 512)))


def test_leaving_the_studio_keeps_the_drawing(open_app, fake_api):
    page = _sketch_page(open_app)
    canvas = "[data-testid=sketch-canvas]"
    _stroke(page, canvas, [(0.1, 0.2), (0.9, 0.2)])
    assert _generate(page, fake_api)["images"] == {"sketch": "up1"}
    _stroke(page, canvas, [(0.1, 0.8), (0.9, 0.8)])  # not sent yet

    def away_and_back():
        page.goto(re.sub(r"#.*", "#/gallery", page.url))
        page.wait_for_selector("[data-testid=view-gallery]")
        page.goto(re.sub(r"#.*", "#/studio/sketch_to_image", page.url))
        page.wait_for_selector(canvas)

    away_and_back()
    assert page.is_enabled("[data-testid=pad-undo]")
    assert _generate(page, fake_api)["images"] == {"sketch": "up2"}
    img = _uploaded(fake_api).convert("RGB")
    assert _dark(img.getpixel((512, 205))) and _dark(img.getpixel((512, 819)))
    away_and_back()
    assert _generate(page, fake_api)["images"] == {"sketch": "up2"}  # the same picture
    assert len(fake_api.upload_bodies) == 2


def test_the_sketch_slot_still_takes_an_upload(open_app, fake_api):
    page = _sketch_page(open_app)
    page.click("[data-testid=sketch-mode-upload]")
    assert page.locator("[data-testid=sketch-canvas]").is_hidden()
    page.set_input_files(
        "[data-testid=slot-input-sketch]", files=[_png_file("s.png", (300, 200), (9, 9, 9))]
    )
    page.wait_for_selector("[data-testid=slot-preview-sketch]")
    page.wait_for_function("() => !document.querySelector('.slot-busy')")
    assert _generate(page, fake_api)["images"] == {"sketch": "up1"}
    assert _uploaded(fake_api).size == (300, 200)


def test_phone_finger_drawing_does_not_scroll_the_page(open_app, fake_api):
    page = _sketch_page(open_app, width=PHONE["width"], height=PHONE["height"])
    canvas = page.locator("[data-testid=sketch-canvas]")
    canvas.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -40)")
    before = page.evaluate("window.scrollY")
    box = canvas.bounding_box()
    for control in ("pad-brush", "pad-eraser", "pad-undo", "pad-redo", "pad-clear", "pad-color"):
        target = page.locator(f"[data-testid={control}]").locator(
            "xpath=ancestor-or-self::*[self::button or self::label][1]"
        )
        size = target.bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44, control
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    x0, y0 = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15
    points = [(x0, y0 + box["height"] * 0.7 * i / 10) for i in range(11)]  # a finger swipe down
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]},
    )
    for x, y in points[1:]:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("() => !document.querySelector('[data-testid=pad-undo]').disabled")
    assert page.evaluate("window.scrollY") == before
    _generate(page, fake_api)
    img = _uploaded(fake_api).convert("RGB")
    assert _dark(img.getpixel((512, 300))) and _dark(img.getpixel((512, 700)))
    assert _white(img.getpixel((200, 500)))


# ---- mask painter -------------------------------------------------------------------------
def _edit_page(open_app, size=(640, 480), **viewport):
    page = open_app("#/studio/single_image_edit", **viewport)
    page.set_input_files(
        "[data-testid=slot-input-input]", files=[_png_file("in.png", size, (90, 160, 90))]
    )
    page.wait_for_selector("[data-testid=mask-paint-input]")
    page.fill("[data-testid=prompt-input]", "a blue door")
    return page


def _paint_mask(page, points, *, feather=0, invert=False, size=40):
    """Open the painter, paint one stroke, set feather/invert, press Done, wait for the badge."""
    page.click("[data-testid^=mask-paint-input], [data-testid^=mask-edit-input]")
    page.wait_for_selector("[data-testid=mask-editor]")
    _set(page, "[data-testid=mask-size]", size)
    _set(page, "[data-testid=mask-feather]", feather)
    if invert != (page.get_attribute("[data-testid=mask-invert]", "aria-pressed") == "true"):
        page.click("[data-testid=mask-invert]")
    _stroke(page, "[data-testid=mask-canvas]", points)
    page.click("[data-testid=mask-done]")
    page.wait_for_selector("[data-testid=mask-editor]", state="detached")
    page.wait_for_selector("[data-testid=mask-badge-input]")


def _alpha(img, xy) -> int:
    return img.getpixel(xy)[3]


def test_mask_is_painted_uploaded_and_sent_with_the_image(open_app, fake_api):
    page = _edit_page(open_app)
    _paint_mask(page, [(0.2, 0.5), (0.8, 0.5)], size=60)
    assert len(fake_api.upload_bodies) == 2  # the input, then the mask
    body = _generate(page, fake_api)
    assert body["images"] == {"input": "up1"} and body["masks"] == {"input": "up2"}
    mask = _uploaded(fake_api, 1)
    assert mask.mode == "RGBA" and mask.size == (640, 480)
    assert _alpha(mask, (320, 240)) == 0 and _alpha(mask, (150, 250)) == 0  # painted: repaint
    assert _alpha(mask, (5, 5)) == 255 and _alpha(mask, (320, 100)) == 255  # the rest is kept
    assert _alpha(mask, (320, 240 - 45)) == 255  # 30 px half-width: 45 px off is untouched


def test_a_mask_with_another_aspect_is_refused_in_the_page(open_app, fake_api):
    page = _edit_page(open_app)
    _paint_mask(page, [(0.2, 0.5), (0.8, 0.5)])
    page.click("[data-testid='aspect-1:1']")
    page.click("[data-testid=generate-button]")
    error = page.locator("[data-testid=form-error]")
    error.wait_for()
    assert "Keep input ratio" in error.inner_text()
    assert fake_api.generate_bodies == []
    page.click("[data-testid=aspect-keep]")
    assert _generate(page, fake_api)["masks"] == {"input": "up2"}


def test_mask_eraser_undo_and_clear(open_app, fake_api):
    page = _edit_page(open_app)
    page.click("[data-testid=mask-paint-input]")
    page.wait_for_selector("[data-testid=mask-canvas]")
    _set(page, "[data-testid=mask-size]", 60)
    _set(page, "[data-testid=mask-feather]", 0)
    _stroke(page, "[data-testid=mask-canvas]", [(0.1, 0.5), (0.9, 0.5)])
    page.click("[data-testid=mask-eraser]")
    _set(page, "[data-testid=mask-size]", 100)
    _stroke(page, "[data-testid=mask-canvas]", [(0.5, 0.3), (0.5, 0.7)])
    page.click("[data-testid=mask-clear]")
    page.wait_for_selector("[data-testid=mask-clear]:disabled")  # redrawn on the next frame
    page.keyboard.press("Control+z")  # the clear goes: the stroke with its middle erased
    page.wait_for_selector("[data-testid=mask-clear]:enabled")
    page.click("[data-testid=mask-done]")
    page.wait_for_selector("[data-testid=mask-badge-input]")
    mask = _uploaded(fake_api)
    assert _alpha(mask, (100, 240)) == 0 and _alpha(mask, (540, 240)) == 0
    assert _alpha(mask, (320, 240)) == 255  # erased: kept as it is


def test_mask_has_the_size_of_the_stored_image_not_of_the_picked_file(open_app, fake_api):
    page = _edit_page(open_app, size=(2400, 1200))  # the page uploads it downscaled
    _paint_mask(page, [(0.4, 0.5), (0.6, 0.5)])
    assert _uploaded(fake_api, 0).size == (2048, 1024)
    assert _uploaded(fake_api, 1).size == (2048, 1024)


def test_mask_invert_and_feather(open_app, fake_api):
    page = _edit_page(open_app, size=(500, 400))
    _paint_mask(page, [(0.2, 0.5), (0.8, 0.5)], size=40, invert=True, feather=0)
    mask = _uploaded(fake_api)
    assert mask.size == (500, 400)
    assert _alpha(mask, (250, 200)) == 255 and _alpha(mask, (10, 10)) == 0  # inverted
    # Edit again: the same strokes, no invert, a 24 px feather.
    _paint_mask(page, [(0.3, 0.5), (0.7, 0.5)], size=80, invert=False, feather=24)
    mask = _uploaded(fake_api)
    assert _alpha(mask, (250, 200)) == 0 and _alpha(mask, (10, 10)) == 255
    # The wide stroke's edge is at y = 160; feathered, the alpha ramps up across it.
    ramp = [_alpha(mask, (250, y)) for y in (166, 160, 152, 144)]
    assert ramp == sorted(ramp) and 0 < ramp[1] < 255, ramp
    assert sum(0 < _alpha(mask, (250, y)) < 255 for y in range(110, 200)) >= 12
    assert _generate(page, fake_api)["masks"] == {"input": f"up{len(fake_api.upload_bodies)}"}


def test_mask_cancel_remove_and_replacing_the_image_drop_it(open_app, fake_api):
    page = _edit_page(open_app)
    page.click("[data-testid=mask-paint-input]")
    page.wait_for_selector("[data-testid=mask-canvas]")
    _stroke(page, "[data-testid=mask-canvas]", [(0.2, 0.5), (0.8, 0.5)])
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=mask-editor]", state="detached")
    assert page.locator("[data-testid=mask-badge-input]").count() == 0
    assert len(fake_api.upload_bodies) == 1
    _paint_mask(page, [(0.2, 0.5), (0.8, 0.5)])
    page.click("[data-testid=mask-remove-input]")
    page.wait_for_selector("[data-testid=mask-paint-input]")
    assert "masks" not in _generate(page, fake_api)
    _paint_mask(page, [(0.2, 0.5), (0.8, 0.5)])
    page.set_input_files(
        "[data-testid=slot-input-input]", files=[_png_file("b.png", (300, 300), (1, 2, 3))]
    )
    page.wait_for_selector("[data-testid=mask-paint-input]")
    page.wait_for_function("() => !document.querySelector('.slot-busy')")
    body = _generate(page, fake_api)
    assert "masks" not in body and body["images"] == {"input": f"up{len(fake_api.upload_bodies)}"}
    page.click("[data-testid=slot-clear-input]")
    assert page.locator("[data-testid=mask-bar-input]").is_hidden()


def test_mask_editor_on_a_phone_paints_with_a_finger(open_app, fake_api):
    page = _edit_page(open_app, width=PHONE["width"], height=PHONE["height"])
    page.click("[data-testid=mask-paint-input]")
    page.wait_for_selector("[data-testid=mask-canvas]")
    panel = page.locator("[data-testid=mask-editor]").bounding_box()
    assert panel["width"] >= PHONE["width"] - 1 and panel["height"] >= PHONE["height"] - 1
    controls = ("brush", "eraser", "invert", "undo", "clear", "done")
    for control in (f"mask-{name}" for name in controls):
        size = page.locator(f"[data-testid={control}]").bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44, control
    _stroke(page, "[data-testid=mask-canvas]", [(0.1, 0.5), (0.9, 0.5)], pointer="touch")
    page.click("[data-testid=mask-done]")
    page.wait_for_selector("[data-testid=mask-badge-input]")
    mask = _uploaded(fake_api)
    assert mask.size == (640, 480) and _alpha(mask, (320, 240)) == 0


# ---- screenshots ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_canvas_screenshots(open_app, fake_api, lang, device):
    size = {"width": 1440, "height": 900} if device == "desktop" else PHONE
    page = open_app("#/studio/sketch_to_image", lang=lang, **size)
    page.wait_for_selector("[data-testid=sketch-canvas]")
    _set(page, "[data-testid=pad-size]", 14)
    _stroke(page, "[data-testid=sketch-canvas]", [(0.2, 0.7), (0.5, 0.2), (0.8, 0.7), (0.2, 0.7)])
    _set(page, "[data-testid=pad-color]", "#2563eb")
    _stroke(page, "[data-testid=sketch-canvas]", [(0.3, 0.85), (0.7, 0.85)])
    page.locator("[data-testid=sketch-pad]").scroll_into_view_if_needed()
    screenshot(page, f"canvas-sketch-{device}-{lang}")
    page.goto(re.sub(r"#.*", "#/studio/single_image_edit", page.url))
    page.set_input_files(
        "[data-testid=slot-input-input]", files=[_png_file("in.png", (640, 480), (90, 160, 90))]
    )
    page.click("[data-testid=mask-paint-input]")
    page.wait_for_selector("[data-testid=mask-canvas]")
    _stroke(page, "[data-testid=mask-canvas]", [(0.3, 0.3), (0.7, 0.6)], pointer="touch")
    screenshot(page, f"canvas-mask-editor-{device}-{lang}")
    page.click("[data-testid=mask-done]")
    page.wait_for_selector("[data-testid=mask-badge-input]")
    screenshot(page, f"canvas-mask-slot-{device}-{lang}")
