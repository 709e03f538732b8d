"""Issue 11 LoRAs through the worker on the simulator: a job's LoRA list reaches ComfyUI as a
LoraLoader chain, and face_swap adds the head-swap LoRA only when ComfyUI lists its file."""

from __future__ import annotations

import copy

import pytest
import requests

from tests.worker.helpers import png, sim_config

HEAD = "bfs_head_v3_qwen_image_edit_2509.safetensors"
LORAS = [
    {"name": "SD15/style.safetensors", "strength": 0.6},
    {"name": "detail.safetensors", "strength": -0.5},
]


def with_loras(stack, *names: str) -> None:
    """The simulator's default model lists plus these LoRA files."""
    models = copy.deepcopy(stack.sim("/sim/config")["models"])
    models["loras"] = [*models["loras"], *names]
    sim_config(stack.sim_url, models=models)


def ran_graph(stack, job_id: str) -> dict:
    """The graph ComfyUI ran for a job (its /history entry keeps the prompt)."""
    return stack.sim(f"/history/{job_id}")[job_id]["prompt"][2]


def test_a_job_with_loras_runs_them_in_front_of_the_sampler(stack):
    with_loras(stack, "SD15/style.safetensors", "detail.safetensors")
    job_id = stack.create_job(
        "text_to_image_classic", model="sd_xl_base_1.0.safetensors", params={"loras": LORAS}
    )
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "finished", job["error"]
    graph = ran_graph(stack, job_id)
    chain = [graph["lora_1"], graph["lora_2"]]
    assert [n["class_type"] for n in chain] == ["LoraLoader", "LoraLoader"]
    assert [(n["inputs"]["lora_name"], n["inputs"]["strength_model"]) for n in chain] == [
        ("SD15/style.safetensors", 0.6), ("detail.safetensors", -0.5),
    ]  # fmt: skip
    assert chain[1]["inputs"]["model"] == ["lora_1", 0]
    assert graph["sampler"]["inputs"]["model"] == ["lora_2", 0]
    assert graph["positive"]["inputs"]["clip"] == ["lora_2", 1]
    assert job["params"]["loras"] == LORAS  # recorded as it ran, for a remix


def test_a_lora_comfyui_lacks_fails_the_job_with_comfyuis_reason(stack):
    """The backend checks names against the engines it knows; a job that still names a file
    this ComfyUI does not have fails at /prompt validation, saying which."""
    job_id = stack.create_job("text_to_image_classic", params={"loras": LORAS[:1]})
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "failed"
    assert "lora_1" in job["error"] and "SD15/style.safetensors" in job["error"]


@pytest.mark.parametrize("installed", [None, HEAD, f"Qwen_Edit/{HEAD}"])
def test_face_swap_uses_the_head_lora_only_when_comfyui_has_it(stack, installed):
    if installed:
        with_loras(stack, installed)
    images = {"face": png("red"), "body": png("blue")}
    job_id = stack.create_job("face_swap", images=images)
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "finished", job["error"]
    graph = ran_graph(stack, job_id)
    if installed:
        assert graph["optional_lora_1"]["inputs"] == {
            "model": ["lora", 0], "lora_name": installed, "strength_model": 1.0,
        }  # fmt: skip
        assert graph["shift"]["inputs"]["model"] == ["optional_lora_1", 0]
    else:
        assert "optional_lora_1" not in graph
        assert graph["shift"]["inputs"]["model"] == ["lora", 0]
    listed = requests.get(stack.sim_url + "/models/loras", timeout=5).json()
    assert (installed in listed) if installed else all(HEAD not in name for name in listed)
