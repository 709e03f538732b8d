"""Execution (protocol §3.1, §3.2, §4.2, §6, §8): WS message order, cache, errors, outputs."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.graphs import empty_save, t2i
from tests.sim.helpers import of_prompt, tag


def _image(sim, ref: dict) -> Image.Image:
    response = sim.get("/view", params=ref)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def test_success_message_order(sim):
    client_id = f"order-{tag()}"
    client = sim.ws(client_id)
    prefix = f"o{tag()}/empty"
    prompt_id = sim.submit(empty_save(prefix), client_id)
    frames = of_prompt(client.until_done(prompt_id), prompt_id)
    assert [kind for kind, _ in frames] == [
        "status",
        "status",
        "execution_start",
        "execution_cached",
        "progress_state",
        "executing",
        "progress_state",
        "progress_state",
        "executing",
        "executed",
        "progress_state",
        "execution_success",
        "status",
        "executing",
    ]
    assert frames[0][1] == frames[1][1] == {"status": {"exec_info": {"queue_remaining": 1}}}
    assert frames[-2][1] == {"status": {"exec_info": {"queue_remaining": 0}}}
    assert isinstance(frames[2][1]["timestamp"], int)
    assert frames[3][1]["nodes"] == []
    assert frames[4][1]["nodes"] == {
        "1": {
            "value": 0.0,
            "max": 1.0,
            "state": "running",
            "node_id": "1",
            "prompt_id": prompt_id,
            "display_node_id": "1",
            "parent_node_id": None,
            "real_node_id": "1",
        }
    }
    assert frames[5][1] == {"node": "1", "display_node": "1", "prompt_id": prompt_id}
    assert (
        frames[6][1]["nodes"]["1"]["state"] == "finished"
        and frames[6][1]["nodes"]["1"]["value"] == 1.0
    )
    assert {k: v["state"] for k, v in frames[7][1]["nodes"].items()} == {
        "1": "finished",
        "2": "running",
    }
    output = {
        "images": [
            {"filename": "empty_00001_.png", "subfolder": prefix.split("/")[0], "type": "output"}
        ]
    }
    assert frames[9][1] == {
        "node": "2",
        "display_node": "2",
        "output": output,
        "prompt_id": prompt_id,
    }
    assert frames[-1][1] == {"node": None, "prompt_id": prompt_id}
    entry = sim.history(prompt_id)
    assert entry["outputs"] == {"2": output}
    assert entry["meta"] == {
        "2": {"node_id": "2", "display_node": "2", "parent_node": None, "real_node_id": "2"}
    }
    assert entry["status"]["status_str"] == "success" and entry["status"]["completed"] is True
    assert [m[0] for m in entry["status"]["messages"]] == [
        "execution_start",
        "execution_cached",
        "execution_success",
    ]
    assert entry["prompt"][1:] == [prompt_id, empty_save(prefix), {"client_id": client_id}, ["2"]]
    client.close()


def test_sampler_order_and_progress(sim):
    client_id = f"t2i-{tag()}"
    client = sim.ws(client_id)
    prompt_id = sim.submit(t2i(f"a cat {tag()}", steps=3, prefix=f"t{tag()}"), client_id)
    frames = of_prompt(client.until_done(prompt_id), prompt_id)
    assert [d["node"] for k, d in frames if k == "executing"] == [
        "4",
        "5",
        "7",
        "6",
        "3",
        "8",
        "9",
        None,
    ]
    steps = [
        (k, d)
        for k, d in frames
        if k in ("progress", "progress_state")
        and d.get("node", "3") == "3"
        and (k == "progress" or d["nodes"].get("3", {}).get("max") == 3)
    ]
    assert [k for k, _ in steps][:6] == [
        "progress_state",
        "progress",
        "progress_state",
        "progress",
        "progress_state",
        "progress",
    ]
    assert [d["value"] for k, d in steps if k == "progress"] == [1, 2, 3]
    assert steps[1][1] == {"value": 1, "max": 3, "prompt_id": prompt_id, "node": "3"}
    assert (
        steps[0][1]["nodes"]["3"]["value"] == 1 and steps[0][1]["nodes"]["3"]["state"] == "running"
    )
    assert sum(1 for k, _ in frames if k == "progress") == 3  # only the sampler sends progress
    client.close()


def test_cache_full_and_partial(sim):
    client_id = f"cache-{tag()}"
    client = sim.ws(client_id)
    graph = t2i(f"cache {tag()}", prefix=f"c{tag()}/img")
    first = sim.submit(graph, client_id)
    first_frames = of_prompt(client.until_done(first), first)
    first_output = next(d["output"] for k, d in first_frames if k == "executed")
    second = sim.submit(graph, client_id)
    frames = of_prompt(client.until_done(second), second)
    kinds = [k for k, _ in frames if k != "status"]
    assert kinds == [
        "execution_start",
        "execution_cached",
        "executed",
        "progress_state",
        "execution_success",
        "executing",
    ]
    assert next(d for k, d in frames if k == "execution_cached")["nodes"] == [
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
    ]
    assert (
        next(d for k, d in frames if k == "executed")["output"] == first_output
    )  # same file, none written
    assert sim.history(second)["outputs"]["9"] == first_output
    graph["3"]["inputs"]["seed"] = 2
    third = sim.submit(graph, client_id)
    frames = of_prompt(client.until_done(third), third)
    assert next(d for k, d in frames if k == "execution_cached")["nodes"] == ["4", "5", "6", "7"]
    assert [d["node"] for k, d in frames if k == "executing"] == ["3", "8", "9", None]
    new_output = next(d["output"] for k, d in frames if k == "executed")
    assert new_output["images"][0]["filename"] == "img_00002_.png"
    client.close()


def test_runtime_errors(sim):
    client_id = f"err-{tag()}"
    client = sim.ws(client_id)
    prompt_id = sim.submit(empty_save("../../escape"), client_id)
    frames = of_prompt(client.until_done(prompt_id), prompt_id)
    kinds = [k for k, _ in frames]
    assert "execution_success" not in kinds and kinds[-2:] == ["status", "executing"]
    error = next(d for k, d in frames if k == "execution_error")
    assert kinds.index("execution_error") == len(kinds) - 3
    assert (
        error["node_id"] == "2" and error["node_type"] == "SaveImage" and error["executed"] == ["1"]
    )
    assert error["exception_type"] == "Exception"
    assert error["exception_message"].startswith(
        "**** ERROR: Saving image outside the output folder is not allowed."
    )
    assert {"traceback", "current_inputs", "current_outputs", "timestamp"} <= set(error)
    entry = sim.history(prompt_id)
    assert entry["status"]["status_str"] == "error" and entry["status"]["completed"] is False
    assert entry["status"]["messages"][-1][0] == "execution_error" and entry["outputs"] == {}

    blend = empty_save(f"b{tag()}")
    blend["3"] = {
        "class_type": "ImageBlend",
        "inputs": {
            "image1": ["1", 0],
            "image2": ["1", 0],
            "blend_factor": 0.5,
            "blend_mode": "nope",
        },
    }
    blend["2"]["inputs"]["images"] = ["3", 0]
    prompt_id = sim.submit(blend, client_id)
    error = next(
        d for k, d in of_prompt(client.until_done(prompt_id), prompt_id) if k == "execution_error"
    )
    assert error["exception_type"] == "ValueError"
    assert error["exception_message"] == "Unsupported blend mode: nope\n"
    client.close()


def test_save_image_counter_batch_and_png_text(sim):
    folder = f"s{tag()}"
    first = sim.history(sim.submit(empty_save(f"{folder}/pic", batch=2, color=1)))
    names = [i["filename"] for i in first["outputs"]["2"]["images"]]
    assert names == ["pic_00001_.png", "pic_00002_.png"]
    second = sim.submit(
        empty_save(f"{folder}/pic", color=2),
        extra_data={"extra_pnginfo": {"workflow": {"nodes": []}}},
    )
    ref = sim.history(second)["outputs"]["2"]["images"][0]
    assert ref == {"filename": "pic_00003_.png", "subfolder": folder, "type": "output"}
    image = _image(sim, ref)
    assert image.mode == "RGB"
    assert image.text["workflow"] == '{"nodes": []}'
    assert '"EmptyImage"' in image.text["prompt"]
    sized = sim.history(sim.submit(empty_save(f"{folder}/%width%x%height%", 24, 16, color=3)))
    assert sized["outputs"]["2"]["images"][0]["filename"] == "24x16_00001_.png"


def test_preview_image_goes_to_temp_with_fixed_letters(sim):
    graph = empty_save("unused")
    graph["2"] = {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}
    graph["1"]["inputs"]["color"] = 0x123456
    first = sim.history(sim.submit(graph))["outputs"]["2"]["images"][0]
    assert re.fullmatch(r"ComfyUI_temp_[a-z]{5}_00001_\.png", first["filename"])
    assert first["subfolder"] == "" and first["type"] == "temp"
    graph["1"]["inputs"]["color"] = 0x654321
    second = sim.history(sim.submit(graph))["outputs"]["2"]["images"][0]
    assert second["filename"][:18] == first["filename"][:18]  # same node object, same letters
    assert second["filename"].endswith("_00002_.png")
    assert _image(sim, second).getpixel((0, 0)) == (0x65, 0x43, 0x21)


def test_images_are_deterministic_and_follow_inputs(sim):
    folder = f"d{tag()}"

    def run(
        text: str, seed: int, width: int = 64, height: int = 48, batch: int = 1, name: str = "a"
    ):
        entry = sim.history(
            sim.submit(t2i(text, seed, width, height, batch, prefix=f"{folder}/{name}"))
        )
        return [_image(sim, ref) for ref in entry["outputs"]["9"]["images"]], entry

    base, entry = run("a red fox", 1)
    assert base[0].size == (64, 48)
    other_seed, _ = run("a red fox", 2)
    other_text, _ = run("a blue fox", 1)
    other_size, _ = run("a red fox", 1, width=96)
    batch, _ = run("a red fox", 1, batch=2, name="batch")
    _again, again_entry = run("a red fox", 1)  # same graph after others evicted it from the cache
    pixels = base[0].tobytes()
    assert other_seed[0].tobytes() != pixels and other_text[0].tobytes() != pixels
    assert other_size[0].size == (96, 48)
    assert len(batch) == 2 and batch[0].tobytes() != batch[1].tobytes()
    first_ref = entry["outputs"]["9"]["images"][0]
    again_ref = again_entry["outputs"]["9"]["images"][0]
    assert first_ref["filename"] != again_ref["filename"]
    assert sim.get("/view", params=first_ref).content == sim.get("/view", params=again_ref).content


def test_latent_sizes_round_to_eight(sim):
    entry = sim.history(sim.submit(t2i(f"round {tag()}", width=100, height=67, prefix=f"r{tag()}")))
    assert _image(sim, entry["outputs"]["9"]["images"][0]).size == (96, 64)
