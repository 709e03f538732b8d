"""Masks through the worker (issue 10): the image goes up with /upload/image, the mask with
/upload/mask, and the prompt's LoadImage names the masked file; a refused mask fails the job
with a reason."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from studio_ops.processes import start_simulator
from tests.worker.helpers import (
    PNG_SIGNATURE,
    build_stack,
    make_settings,
    new_id,
    png,
    teardown,
)
from worker.comfy.errors import ComfyUnavailable

SIZE = 32


def half_transparent_mask(size: int = SIZE) -> bytes:
    """Opaque with a transparent (= repaint) left half."""
    mask = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, size // 2, size))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def sim_input(sim_url: str, value: str) -> Image.Image:
    """The file a LoadImage value ("sub/name") reads, from ComfyUI's input folder."""
    subfolder, _, name = value.rpartition("/")
    resp = requests.get(
        sim_url + "/view",
        params={"filename": name, "subfolder": subfolder, "type": "input"},
        timeout=5,
    )
    assert resp.status_code == 200, value
    return Image.open(io.BytesIO(resp.content))


def test_client_upload_mask_writes_the_image_with_the_mask_alpha(client, sim_url):
    image = client.upload_image(png("red", SIZE), f"m-{new_id()}.png")
    subfolder, _, name = image.rpartition("/")
    masked_name = f"{name[:-4]}_masked.png"
    original = {"filename": name, "subfolder": subfolder, "type": "input"}
    masked = client.upload_mask(half_transparent_mask(), masked_name, original)
    assert masked == f"studio/{masked_name}"
    stored = sim_input(sim_url, masked)
    assert stored.mode == "RGBA"
    assert stored.getpixel((2, 2)) == (255, 0, 0, 0) and stored.getpixel((30, 2)) == (
        255,
        0,
        0,
        255,
    )
    # ComfyUI can load it: LoadImage -> SaveImage
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": masked}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t/m"}},
    }
    prompt_id = new_id()
    watch = client.watch(prompt_id, graph)
    client.submit(graph, prompt_id)
    assert watch.wait(10).status == "success"


def test_client_upload_mask_of_another_size_is_comfys_500(client):
    image = client.upload_image(png("red", SIZE), f"m-{new_id()}.png")
    subfolder, _, name = image.rpartition("/")
    original = {"filename": name, "subfolder": subfolder, "type": "input"}
    try:
        client.upload_mask(half_transparent_mask(SIZE * 2), f"x-{name}", original)
    except ComfyUnavailable as exc:
        assert exc.status == 500 and "/upload/mask" in exc.message
    else:
        raise AssertionError("a mask of another size was accepted")


def test_masked_edit_reaches_comfyui_through_upload_mask(stack, sim_url):
    job_id = stack.create_job(
        "single_image_edit",
        images={"input": png("green", SIZE)},
        masks={"input": half_transparent_mask()},
        batch_size=1,
    )
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "finished", job["error"]
    graph = stack.sim(f"/history/{job_id}")[job_id]["prompt"][2]
    loaded = graph["load_input"]["inputs"]["image"]
    assert loaded == f"studio/{job_id}_input_masked.png"
    assert graph["sampler"]["inputs"]["latent_image"] == ["mask_latent", 0]
    assert graph["mask_latent"]["inputs"] == {"samples": ["repeat", 0], "mask": ["load_input", 1]}
    stored = sim_input(sim_url, loaded)
    assert stored.mode == "RGBA" and stored.size == (SIZE, SIZE)
    assert stored.getpixel((2, 2)) == (0, 128, 0, 0)  # the image's RGB, the mask's alpha
    assert stored.getpixel((30, 2)) == (0, 128, 0, 255)
    # the plain image went up too, as the mask's original
    assert sim_input(sim_url, f"studio/{job_id}_input.png").mode == "RGB"
    out = stack.storage.resolve(f"outputs/{job['outputs'][0]['filename']}").read_bytes()
    assert out.startswith(PNG_SIGNATURE)
    # Inpainting: the opaque (kept) right half is the input, the erased left half repainted.
    with Image.open(io.BytesIO(out)) as result:
        width, height = result.size
        assert result.getpixel((width * 9 // 10, height // 2)) == (0, 128, 0)
        assert result.getpixel((width // 10, height // 2)) != (0, 128, 0)


def test_edit_without_mask_sends_no_mask_path(stack):
    job_id = stack.create_job("single_image_edit", images={"input": png("green", SIZE)})
    stack.start_worker()
    assert stack.wait_status(job_id)["status"] == "finished"
    graph = stack.sim(f"/history/{job_id}")[job_id]["prompt"][2]
    assert "mask_latent" not in graph
    assert graph["load_input"]["inputs"]["image"] == f"studio/{job_id}_input.png"
    job = stack.repo.get(job_id)
    out = stack.storage.resolve(f"outputs/{job['outputs'][0]['filename']}").read_bytes()
    with Image.open(io.BytesIO(out)) as result:  # repainted all over
        width, height = result.size
        assert result.getpixel((width * 9 // 10, height // 2)) != (0, 128, 0)


def test_a_mask_comfyui_refuses_fails_the_job_with_a_reason(stack, sim_url):
    # Stored behind the API's back (it refuses another size): ComfyUI answers 500.
    job_id = stack.create_job(
        "single_image_edit",
        images={"input": png("green", SIZE)},
        masks={"input": half_transparent_mask(SIZE * 2)},
    )
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "failed"
    assert "mask of 'input'" in job["error"] and "500" in job["error"], job["error"]
    assert stack.sim(f"/history/{job_id}") == {}  # never submitted


def test_a_missing_mask_file_fails_the_job(stack):
    job_id = stack.create_job(
        "single_image_edit",
        images={"input": png("green", SIZE)},
        masks={"input": half_transparent_mask()},
    )
    mask_row = next(i for i in stack.repo.get(job_id)["inputs"] if i["slot"] == "input:mask")
    stack.storage.resolve(mask_row["path"]).unlink()
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "failed" and job["error"] == "mask of 'input' is missing"


@pytest.mark.slow
def test_a_masked_job_survives_a_comfyui_restart_that_lost_its_files(tmp_path, redis_url):
    """ComfyUI dies at the sampler and comes back with an empty input folder: the job is
    submitted again, with its image and its mask uploaded again from the stored job."""
    fast = ("--node-ms", "0", "--step-ms", "5")
    sim = start_simulator(tmp_path / "sim-a", *fast, "--die-at-node", "KSampler")
    built = build_stack(make_settings(tmp_path, redis_url, sim.url), redis_url, sim.url)
    try:
        job_id = built.create_job(
            "single_image_edit",
            images={"input": png("green", SIZE)},
            masks={"input": half_transparent_mask()},
        )
        built.start_worker()
        sim.popen.wait(20)  # died at the sampler, the masked file uploaded
        assert (tmp_path / "sim-a" / "input" / "studio" / f"{job_id}_input_masked.png").is_file()
        sim = start_simulator(tmp_path / "sim-b", *fast, port=sim.port)
        job = built.wait_status(job_id, timeout=40)
        assert job["status"] == "finished", job["error"]
        with Image.open(
            tmp_path / "sim-b" / "input" / "studio" / f"{job_id}_input_masked.png"
        ) as im:
            assert im.mode == "RGBA" and im.getpixel((2, 2))[3] == 0
    finally:
        teardown(built)
        sim.stop()


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("WEBP", ".webp")])
def test_an_input_reaches_comfyui_named_as_what_it_is(stack, sim_url, fmt, suffix):
    """Uploads keep a clean JPEG/WebP as sent; ComfyUI's input folder gets it under its own
    extension (it was `<job>_<slot>.png` whatever the bytes), and a mask's composite is a PNG."""
    buf = io.BytesIO()
    Image.new("RGB", (SIZE, SIZE), "green").save(buf, format=fmt)
    job_id = stack.create_job("single_image_edit", images={"input": buf.getvalue()})
    masked_id = stack.create_job(
        "single_image_edit",
        images={"input": buf.getvalue()},
        masks={"input": half_transparent_mask()},
    )
    stack.start_worker()
    for job in (job_id, masked_id):
        assert stack.wait_status(job)["status"] == "finished"
    graph = stack.sim(f"/history/{job_id}")[job_id]["prompt"][2]
    assert graph["load_input"]["inputs"]["image"] == f"studio/{job_id}_input{suffix}"
    assert sim_input(sim_url, f"studio/{job_id}_input{suffix}").format == fmt
    masked = stack.sim(f"/history/{masked_id}")[masked_id]["prompt"][2]
    assert masked["load_input"]["inputs"]["image"] == f"studio/{masked_id}_input_masked.png"
    assert sim_input(sim_url, f"studio/{masked_id}_input{suffix}").format == fmt  # its original
