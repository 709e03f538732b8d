"""LoRAs end to end over HTTP (issue 11): a ComfyUI that lists LoRAs in subfolders, a classic
checkpoint job with two of them, its remix, and face_swap with the head-swap LoRA."""

from __future__ import annotations

import copy
import json

import pytest
import requests

from comfyui_sim.config import DEFAULT_MODELS
from studio_ops.live_stack import start_live_studio
from tests.system.conftest import FAST_SIM
from tests.system.helpers import png_bytes, upload

HEAD = "bfs_head_v3_qwen_image_edit_2509.safetensors"
LORAS = [{"name": "SD15/style.safetensors", "strength": 0.7}, {"name": "detail.safetensors"}]


@pytest.fixture(scope="module")
def lora_studio(tmp_path_factory):
    """A studio whose ComfyUI lists two plain LoRAs and the head-swap LoRA in Qwen_Edit/."""
    root = tmp_path_factory.mktemp("lora-studio")
    models = copy.deepcopy(DEFAULT_MODELS)
    models["loras"] += ["SD15/style.safetensors", "detail.safetensors", f"Qwen_Edit/{HEAD}"]
    models_file = root / "models.json"
    models_file.write_text(json.dumps(models), encoding="utf-8")
    studio = start_live_studio(
        root / "studio", sim_args=(*FAST_SIM, "--models-file", str(models_file))
    )
    yield studio
    studio.stop()


def ran_graph(studio, job_id: str) -> dict:
    entry = requests.get(f"{studio.sim.url}/history/{job_id}", timeout=5).json()[job_id]
    return entry["prompt"][2]


def test_a_classic_job_runs_its_loras_and_a_remix_runs_them_again(lora_studio):
    studio = lora_studio
    tools = requests.get(studio.url + "/api/tools", headers=studio.headers, timeout=10).json()
    classic = next(t for t in tools["tools"] if t["id"] == "text_to_image_classic")
    loras = next(p for p in classic["parameters"] if p["id"] == "loras")
    assert {"SD15/style.safetensors", "detail.safetensors"} <= set(loras["choices"])

    body = studio.generate(
        workflow="text_to_image_classic", prompt="a fox", seed=9, params={"loras": LORAS}
    )
    job = studio.wait_status(body["job_id"], {"finished", "failed"})
    assert job["status"] == "finished", job["error"]
    stored = [LORAS[0], {**LORAS[1], "strength": 1.0}]
    assert job["params"]["loras"] == stored
    graph = ran_graph(studio, job["job_id"])
    assert [graph[f"lora_{n}"]["inputs"]["lora_name"] for n in (1, 2)] == [
        "SD15/style.safetensors", "detail.safetensors",
    ]  # fmt: skip
    assert graph["sampler"]["inputs"]["model"] == ["lora_2", 0]
    assert graph["positive"]["inputs"]["clip"] == ["lora_2", 1]

    again = studio.generate(workflow=job["tool"], params=job["params"])
    remixed = studio.wait_status(again["job_id"], {"finished", "failed"})
    assert remixed["status"] == "finished", remixed["error"]
    assert remixed["params"] == job["params"]
    assert ran_graph(studio, remixed["job_id"])["lora_1"] == graph["lora_1"]


def test_face_swap_says_it_uses_the_head_lora_and_does(lora_studio):
    studio = lora_studio
    tools = requests.get(studio.url + "/api/tools?lang=en", headers=studio.headers, timeout=10)
    face = next(t for t in tools.json()["tools"] if t["id"] == "face_swap")
    assert face["optional_loras"][0]["file"] == HEAD
    assert face["optional_loras"][0]["installed"] is True
    images = {
        "face": upload(studio, png_bytes(color=(200, 40, 40))),
        "body": upload(studio, png_bytes(color=(40, 40, 200))),
    }
    body = studio.generate(workflow="face_swap", images=images)
    job = studio.wait_status(body["job_id"], {"finished", "failed"})
    assert job["status"] == "finished", job["error"]
    graph = ran_graph(studio, job["job_id"])
    assert graph["optional_lora_1"]["inputs"]["lora_name"] == f"Qwen_Edit/{HEAD}"
    assert graph["shift"]["inputs"]["model"] == ["optional_lora_1", 0]
