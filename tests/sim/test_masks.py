"""POST /upload/mask and LoadImage's MASK output, as the protocol doc measured them (§1)."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tests.sim.helpers import tag

TROUBLE = "500 Internal Server Error\n\nServer got itself in trouble"


def png(size, color, mode="RGB", text=None) -> bytes:
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def left_half_transparent(size) -> bytes:
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def upload_mask(sim, name, mask, original_ref=None, **fields):
    if original_ref is not None:
        fields["original_ref"] = json.dumps(original_ref)
    return sim.post("/upload/mask", files={"image": (name, mask, "image/png")}, data=fields)


def view_input(sim, name, subfolder) -> Image.Image:
    resp = sim.get("/view", params={"filename": name, "subfolder": subfolder, "type": "input"})
    assert resp.status_code == 200
    return Image.open(io.BytesIO(resp.content))


def test_mask_upload_writes_the_original_rgb_with_the_mask_alpha(sim):
    folder = f"mask-{tag()}"
    original = sim.upload("photo.png", png((80, 20), (200, 30, 30), text={"k": "v"}),
                          subfolder=folder).json()  # fmt: skip
    ref = {"filename": original["name"], "subfolder": folder, "type": "input"}
    answer = upload_mask(sim, "photo_masked.png", left_half_transparent((80, 20)), ref,
                         subfolder=folder, type="input", overwrite="true")  # fmt: skip
    assert answer.status_code == 200
    assert answer.json() == {"name": "photo_masked.png", "subfolder": folder, "type": "input"}
    stored = view_input(sim, "photo_masked.png", folder)
    assert stored.mode == "RGBA" and stored.size == (80, 20)
    # the protocol doc's measurement: (0,0) transparent, (40,10) opaque, RGB kept
    assert stored.getpixel((0, 0)) == (200, 30, 30, 0)
    assert stored.getpixel((40, 10)) == (200, 30, 30, 255)
    assert stored.text == {"k": "v"}  # the original's text chunks are kept
    # the original itself is untouched
    assert view_input(sim, original["name"], folder).mode == "RGB"


def test_mask_upload_names_like_image_upload(sim):
    folder = f"mask-{tag()}"
    sim.upload("p.png", png((4, 4), "red"), subfolder=folder)
    ref = {"filename": "p.png", "subfolder": folder, "type": "input"}
    mask = left_half_transparent((4, 4))
    first = upload_mask(sim, "m.png", mask, ref, subfolder=folder)
    assert first.json()["name"] == "m.png"
    # the composed file differs from the mask bytes: without overwrite it is renamed
    assert upload_mask(sim, "m.png", mask, ref, subfolder=folder).json()["name"] == "m (1).png"
    again = upload_mask(sim, "m.png", mask, ref, subfolder=folder, overwrite="1")
    assert again.json()["name"] == "m.png"


def test_without_original_ref_the_server_gets_in_trouble(sim):
    resp = upload_mask(sim, f"m-{tag()}.png", left_half_transparent((4, 4)))
    assert resp.status_code == 500 and resp.text == TROUBLE
    assert sim.post("/upload/mask", data={"original_ref": "{}"}).status_code == 400  # no image


def test_mask_of_another_size_is_a_500(sim):
    folder = f"mask-{tag()}"
    sim.upload("p.png", png((8, 8), "red"), subfolder=folder)
    ref = {"filename": "p.png", "subfolder": folder, "type": "input"}
    resp = upload_mask(sim, "m.png", left_half_transparent((4, 4)), ref, subfolder=folder)
    assert resp.status_code == 500 and resp.text == TROUBLE


@pytest.mark.parametrize(
    "ref",
    [
        {"filename": "absent.png", "subfolder": "", "type": "input"},
        {"filename": "../p.png", "type": "input"},
        {"filename": "p.png", "subfolder": "../..", "type": "input"},
        {"filename": "p.png"},  # type defaults to output, where p.png is not
    ],
)
def test_a_bad_original_writes_nothing_but_answers_200(sim, ref):
    folder = f"mask-{tag()}"
    sim.upload("p.png", png((4, 4), "red"), subfolder=folder)
    resp = upload_mask(sim, "m.png", left_half_transparent((4, 4)), ref, subfolder=folder)
    assert resp.status_code == 200 and resp.json()["name"] == "m.png"
    gone = sim.get("/view", params={"filename": "m.png", "subfolder": folder, "type": "input"})
    assert gone.status_code == 404


def mask_as_image(sim, image_name, prefix):
    """Run LoadImage -> MASK -> MaskToImage -> SaveImage; the saved picture."""
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": image_name}},
        "2": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 1]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }
    entry = sim.history(sim.submit(graph))
    assert entry["status"]["status_str"] == "success", entry["status"]
    saved = entry["outputs"]["3"]["images"][0]
    view = sim.get("/view", params={"filename": saved["filename"], "subfolder": saved["subfolder"]})
    return Image.open(io.BytesIO(view.content)).convert("L")


def test_loadimage_mask_is_one_minus_alpha(sim):
    folder = f"mask-{tag()}"
    sim.upload("p.png", png((40, 10), (10, 200, 10)), subfolder=folder)
    ref = {"filename": "p.png", "subfolder": folder, "type": "input"}
    upload_mask(sim, "m.png", left_half_transparent((40, 10)), ref, subfolder=folder)
    mask = mask_as_image(sim, f"{folder}/m.png", f"{folder}/mask")
    assert mask.size == (40, 10)
    assert mask.getpixel((2, 5)) == 255 and mask.getpixel((38, 5)) == 0  # 1 - alpha


def test_loadimage_mask_without_alpha_is_a_64px_zero_mask(sim):
    folder = f"mask-{tag()}"
    sim.upload("rgb.png", png((40, 10), "red"), subfolder=folder)
    mask = mask_as_image(sim, f"{folder}/rgb.png", f"{folder}/plain")
    assert mask.size == (64, 64) and mask.getextrema() == (0, 0)
