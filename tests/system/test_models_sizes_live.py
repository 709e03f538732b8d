"""Issue 11 end to end on the live stack (simulator, worker, backend over HTTP): SD 1.5 at
512x512 and SDXL at 1024x1024 from the same "1:1" on text_to_image_classic, a custom size, a
chosen model in a subfolder, and a template's required files kept in subfolders."""

from __future__ import annotations

import io
import json

import pytest
import requests
from PIL import Image

from tests.system.conftest import FAST_SIM
from tests.system.helpers import get

SD15 = "SD15/dreamshaper_8.safetensors"  # the simulator's: modelspec says stable-diffusion-v1
SDXL = "SDXL/juggernautXL_v9.safetensors"  # modelspec: stable-diffusion-xl-v1-base


def run(studio, **body) -> tuple[dict, tuple[int, int]]:
    """Generate, wait for the end, and return the job and its first PNG's size."""
    job = studio.generate(**body)
    job = studio.wait_status(job["job_id"], {"finished", "failed"}, timeout=90)
    assert job["status"] == "finished", job["error"]
    image = requests.get(studio.url + job["image_url"], headers=studio.headers, timeout=10)
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as picture:
        assert picture.format == "PNG"
        return job, picture.size


def sim_graph(studio, job_id: str) -> dict:
    """The graph ComfyUI (the simulator) ran for the job."""
    entry = requests.get(f"{studio.sim.url}/history/{job_id}", timeout=5).json()[job_id]
    return entry["prompt"][2]


def test_the_workers_publish_the_families(studio):
    body = get(studio, "/api/models").json()
    assert body["families"]["checkpoints"][SD15] == {
        "family": "sd15",
        "size_class": 512,
        "source": "metadata",
    }
    assert body["families"]["checkpoints"][SDXL]["family"] == "sdxl"
    tools = {t["id"]: t for t in get(studio, "/api/tools").json()["tools"]}
    model = next(p for p in tools["text_to_image_classic"]["parameters"] if p["id"] == "model")
    assert {SD15, SDXL} <= set(model["choices"])
    assert model["families"][SD15]["size_class"] == 512


@pytest.mark.parametrize(
    ("model", "aspect", "size"),
    [
        (SD15, "1:1", (512, 512)),
        (SDXL, "1:1", (1024, 1024)),
        (SD15, "2:3", (512, 768)),
        (SD15, "768x512", (768, 512)),  # custom
    ],
)
def test_size_follows_the_model(studio, model, aspect, size):
    job, png_size = run(
        studio,
        workflow="text_to_image_classic",
        params={"prompt": "a lighthouse", "model": model, "aspect_ratio": aspect, "steps": 2},
    )
    assert png_size == size
    literal = f"{size[0]}x{size[1]}"
    assert job["aspect_ratio"] == literal and job["params"]["aspect_ratio"] == literal
    graph = sim_graph(studio, job["job_id"])
    assert graph["checkpoint"]["inputs"]["ckpt_name"] == model  # the subfolder name ComfyUI lists
    assert (graph["latent"]["inputs"]["width"], graph["latent"]["inputs"]["height"]) == size


def test_refused_sizes_are_400_naming_the_field(studio):
    for aspect in ("770x512", "2048x2048"):
        answer = requests.post(
            studio.url + "/api/generate",
            json={"workflow": "text_to_image_classic", "prompt": "x", "aspect_ratio": aspect},
            headers=studio.headers,
            timeout=10,
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["field"] == "aspect_ratio"


def test_required_files_kept_in_subfolders(make_studio, tmp_path):
    """The issue's report: text_to_image with `z-image/ae.safetensors` said "missing model"."""
    models = {
        "diffusion_models": ["z-image/z_image_turbo_bf16.safetensors"],
        "text_encoders": ["z-image/qwen_3_4b.safetensors"],
        "vae": ["z-image/ae.safetensors"],
        "checkpoints": ["SD15/dreamshaper_8.safetensors"],
    }
    models_file = tmp_path / "models.json"
    models_file.write_text(json.dumps(models), encoding="utf-8")
    studio = make_studio("subfolders", sim_args=(*FAST_SIM, "--models-file", str(models_file)))
    studio.wait_workers_online()
    tools = {t["id"]: t for t in get(studio, "/api/tools").json()["tools"]}
    assert tools["text_to_image"]["availability"] == {"status": "ready", "reason": ""}
    job, png_size = run(
        studio, workflow="text_to_image", params={"prompt": "a fox", "aspect_ratio": "1:1"}
    )
    assert png_size == (1024, 1024)
    assert job["model"] == "z-image/z_image_turbo_bf16.safetensors"
    graph = sim_graph(studio, job["job_id"])
    assert graph["vae"]["inputs"]["vae_name"] == "z-image/ae.safetensors"
    assert graph["clip"]["inputs"]["clip_name"] == "z-image/qwen_3_4b.safetensors"
    # a custom size on the Z-Image latent (steps of 16)
    _job, png_size = run(
        studio, workflow="text_to_image", params={"prompt": "a fox", "aspect_ratio": "640x384"}
    )
    assert png_size == (640, 384)
