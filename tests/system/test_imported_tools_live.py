"""Imported tools on a live studio (real backend, worker, Redis and the simulator): graphs of
different shapes imported through the admin API, published, run through POST /api/generate
to the end, their outputs fetched; a graph taken from a PNG the simulator saved included."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.imported_tools import as_file, checkpoint_lora_graph, invert_graph, two_image_graph
from tests.system.helpers import TERMINAL, fetch_outputs, get, png_bytes, upload

BASE = "/api/admin/tools"
LORA = "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A private live studio: the imported tools must not show up in other modules' catalogs."""
    from studio_ops.live_stack import start_live_studio

    studio = start_live_studio(tmp_path_factory.mktemp("imports"))
    studio.wait_workers_online()
    yield studio
    studio.stop()


def import_and_publish(studio, data: bytes, filename: str) -> dict:
    """Import a file, publish it (checked against the simulator's live /object_info)."""
    resp = requests.post(
        studio.url + f"{BASE}/import",
        files={"file": (filename, data)},
        headers=studio.headers,
        timeout=20,
    )
    assert resp.status_code == 201, resp.text
    tool_id = resp.json()["tool"]["id"]
    published = requests.post(
        studio.url + f"{BASE}/{tool_id}/publish", headers=studio.headers, timeout=20
    )
    assert published.status_code == 200, (published.text, resp.json()["tool"]["problems"])
    tool = published.json()["tool"]
    assert tool["checked_against"] == "live"
    assert not [p for p in tool["problems"] if p["severity"] == "error"]
    return tool


def run(studio, **body) -> dict:
    """Submit a job, wait for its end, check it finished and its outputs are served."""
    job = studio.wait_status(studio.generate(**body)["job_id"], TERMINAL, timeout=90)
    assert job["status"] == "finished", job
    fetch_outputs(studio, job)
    return job


def sim_prompt(studio, job_id: str) -> dict:
    """The graph the simulator ran for a job."""
    entry = requests.get(f"{studio.sim.url}/history/{job_id}", timeout=5).json()[job_id]
    return entry["prompt"][2]


def test_a_model_free_image_op(studio):
    tool = import_and_publish(studio, as_file(invert_graph()), "Invert colours.json")
    listed = {t["id"]: t for t in get(studio, "/api/tools").json()["tools"]}
    assert listed[tool["id"]]["imported"] is True
    assert listed[tool["id"]]["availability"]["status"] == "ready"
    image = upload(studio, png_bytes(64, 48, (250, 10, 10)))
    job = run(studio, workflow=tool["id"], images={"image": image})
    graph = sim_prompt(studio, job["job_id"])
    assert graph["2"]["class_type"] == "ImageInvert"
    assert graph["1"]["inputs"]["image"].startswith("studio/")


def test_a_checkpoint_text_to_image_with_a_lora(studio):
    graph = checkpoint_lora_graph(ckpt="sd15-demo.safetensors", lora=LORA)
    tool = import_and_publish(studio, as_file(graph), "classic lora.json")
    marker = uuid.uuid4().hex[:8]
    job = run(
        studio,
        workflow=tool["id"],
        prompt=f"{marker} a lighthouse",
        seed=99,
        params={"steps": 3, "cfg": 6.5},
    )
    ran = sim_prompt(studio, job["job_id"])
    assert ran["6"]["inputs"]["text"] == f"{marker} a lighthouse"
    assert ran["3"]["inputs"]["seed"] == 99 and ran["3"]["inputs"]["steps"] == 3
    assert ran["3"]["inputs"]["cfg"] == 6.5
    assert ran["10"]["class_type"] == "LoraLoader" and ran["10"]["inputs"]["lora_name"] == LORA
    # Only mapped inputs can change: the filename prefix or a raw node input cannot be reached.
    for params in ({"filename_prefix": "../x"}, {"3": {"inputs": {"sampler_name": "x"}}}):
        resp = requests.post(
            studio.url + "/api/generate",
            json={"workflow": tool["id"], "prompt": "x", "params": params},
            headers=studio.headers,
            timeout=10,
        )
        assert resp.status_code == 400, params


def test_a_two_image_graph(studio):
    tool = import_and_publish(studio, as_file(two_image_graph()), "blend two.json")
    slots = [s["id"] for s in tool["manifest"]["slots"]]
    assert len(slots) == 2
    images = {
        slot: upload(studio, png_bytes(64, 48, color))
        for slot, color in zip(slots, [(255, 0, 0), (0, 0, 255)], strict=True)
    }
    job = run(studio, workflow=tool["id"], images=images)
    ran = sim_prompt(studio, job["job_id"])
    assert ran["1"]["inputs"]["image"] != ran["2"]["inputs"]["image"]


def test_a_graph_from_a_png_the_simulator_saved(studio):
    source = run(
        studio,
        workflow="text_to_image_classic",
        prompt="a harbour at night",
        model="sd15-demo.safetensors",
        seed=5,
    )
    entry = requests.get(f"{studio.sim.url}/history/{source['job_id']}", timeout=5).json()
    saved = next(
        image
        for ui in entry[source["job_id"]]["outputs"].values()
        for image in ui.get("images", [])
    )
    png = requests.get(
        f"{studio.sim.url}/view",
        params={"filename": saved["filename"], "subfolder": saved["subfolder"], "type": "output"},
        timeout=5,
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    tool = import_and_publish(studio, png.content, saved["filename"])
    assert {"prompt", "seed"} <= {p["id"] for p in tool["manifest"]["parameters"]}
    job = run(studio, workflow=tool["id"], prompt="the same harbour by day", seed=6)
    ran = sim_prompt(studio, job["job_id"])
    texts = [n["inputs"].get("text") for n in ran.values() if n["class_type"] == "CLIPTextEncode"]
    assert "the same harbour by day" in texts


def test_a_disabled_tool_leaves_the_catalog_and_generate_refuses_it(studio):
    tool = import_and_publish(studio, as_file(invert_graph()), "to disable.json")
    resp = requests.post(
        studio.url + f"{BASE}/{tool['id']}/disable", headers=studio.headers, timeout=10
    )
    assert resp.status_code == 200
    assert tool["id"] not in [t["id"] for t in get(studio, "/api/tools").json()["tools"]]
    refused = requests.post(
        studio.url + "/api/generate",
        json={"workflow": tool["id"], "images": {"image": upload(studio, png_bytes())}},
        headers=studio.headers,
        timeout=10,
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "unknown_tool"
