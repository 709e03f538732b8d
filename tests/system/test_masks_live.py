"""A masked edit end to end on the live stack, over HTTP (issue 10): the page's contract
(Generate.masks) in, ComfyUI's /upload/mask out, a finished job, and a remix that sends the
same mask again."""

from __future__ import annotations

import io

import requests
from PIL import Image

from tests.system.helpers import fetch_outputs, png_bytes, upload

WIDTH, HEIGHT = 96, 64
COLOR = (30, 140, 200)


def painted_mask() -> bytes:
    """What the mask painter sends: opaque, the left half erased (alpha 0 = repaint)."""
    mask = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, WIDTH // 2, HEIGHT))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def sim_history_graph(studio, job_id: str) -> dict:
    entry = requests.get(f"{studio.sim.url}/history/{job_id}", timeout=5).json()[job_id]
    return entry["prompt"][2]


def test_masked_edit_runs_end_to_end_through_upload_mask(studio):
    image = upload(studio, png_bytes(WIDTH, HEIGHT, COLOR))
    mask = upload(studio, painted_mask())
    body = studio.generate(
        workflow="single_image_edit",
        prompt="repaint the left half",
        images={"input": image},
        masks={"input": mask},
    )
    job = studio.wait_status(body["job_id"], {"finished", "failed"})
    assert job["status"] == "finished", job["error"]
    assert job["masks"] == {"input": {"upload_id": mask, "url": f"/api/uploads/{mask}"}}
    fetch_outputs(studio, job)  # the result images download (PNG + WebP thumbnail)
    # The edit touched only the painted region: the kept right half is the input.
    result = requests.get(studio.url + job["image_url"], headers=studio.headers, timeout=10)
    with Image.open(io.BytesIO(result.content)) as picture:
        width, height = picture.size
        assert picture.convert("RGB").getpixel((width * 9 // 10, height // 2)) == COLOR
        assert picture.convert("RGB").getpixel((width // 10, height // 2)) != COLOR

    # ComfyUI got the mask through /upload/mask: its input folder holds the image's RGB with
    # the painted alpha, and the prompt's LoadImage loads that file into the mask path.
    graph = sim_history_graph(studio, job["job_id"])
    loaded = graph["load_input"]["inputs"]["image"]
    assert loaded == f"studio/{job['job_id']}_input_masked.png"
    assert graph["sampler"]["inputs"]["latent_image"] == ["mask_latent", 0]
    assert graph["mask_latent"]["class_type"] == "SetLatentNoiseMask"
    with Image.open(studio.sim.workdir / "input" / loaded) as stored:
        assert stored.mode == "RGBA" and stored.size == (WIDTH, HEIGHT)
        assert stored.getpixel((5, 5)) == (*COLOR, 0)
        assert stored.getpixel((WIDTH - 5, 5)) == (*COLOR, 255)

    # A remix sends back what the job shows: the same image and the same mask.
    again = studio.generate(
        workflow=job["tool"],
        prompt=job["prompt"],
        seed=job["seed"],
        images={slot: ref["upload_id"] for slot, ref in job["inputs"].items()},
        masks={slot: ref["upload_id"] for slot, ref in job["masks"].items()},
    )
    remixed = studio.wait_status(again["job_id"], {"finished", "failed"})
    assert remixed["status"] == "finished", remixed["error"]
    assert remixed["masks"] == job["masks"] and remixed["inputs"] == job["inputs"]


def test_a_mask_of_another_size_is_refused_before_anything_runs(studio):
    image = upload(studio, png_bytes(WIDTH, HEIGHT, COLOR))
    small = io.BytesIO()
    Image.new("RGBA", (WIDTH // 2, HEIGHT // 2), (0, 0, 0, 0)).save(small, format="PNG")
    mask = upload(studio, small.getvalue())
    resp = requests.post(
        studio.url + "/api/generate",
        json={
            "workflow": "single_image_edit",
            "prompt": "x",
            "images": {"input": image},
            "masks": {"input": mask},
        },
        headers=studio.headers,
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "masks.input"
