"""The sketch pad on a live studio: a drawing is uploaded, accepted by the real API and run."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from tests.e2e.flows import card, generate, wait_status

pytestmark = pytest.mark.e2e


def test_a_drawn_sketch_runs_on_the_simulator(open_live, live):
    page = open_live("#/studio/sketch_to_image")
    canvas = page.locator("[data-testid=sketch-canvas]")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5, steps=12)
    page.mouse.up()

    job_id = generate(page, "a hill with one tree, e2e sketch")
    wait_status(page, job_id, "finished")
    page.wait_for_selector(f"{card(job_id)} [data-testid=result-image]")
    sketch = live.status(job_id)["inputs"]["sketch"]
    resp = requests.get(live.url + sketch["url"], headers=live.headers, timeout=10)
    resp.raise_for_status()
    with Image.open(io.BytesIO(resp.content)) as img:
        rgb = img.convert("RGB")
    assert rgb.size == (1024, 1024)
    assert max(rgb.getpixel((512, 512))) < 60  # the stroke
    assert min(rgb.getpixel((512, 100))) > 245  # the white page
