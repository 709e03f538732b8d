"""In-process pieces: CLI flags, the reusable schema loader, history cap, execution order."""

from __future__ import annotations

import json

import pytest

from comfy_schema.object_info import is_output_node, iter_inputs, load_object_info
from comfyui_sim.__main__ import parse_args
from comfyui_sim.config import DEFAULT_MODELS, SimConfig
from comfyui_sim.folders import Folders
from comfyui_sim.graph import ExecutionOrder
from comfyui_sim.images import Pixels
from comfyui_sim.nodes import PIXEL_KINDS, NodeContext, Token, compute
from comfyui_sim.prompt_queue import MAX_HISTORY, PromptQueue
from tests.graphs import t2i


def test_cli_flags(tmp_path):
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"checkpoints": ["a.safetensors"]}))
    config = parse_args([
        "--port", "9000", "--data-dir", str(tmp_path), "--node-ms", "7", "--step-ms", "3",
        "--models-file", str(models), "--preview", "--fail-at-node", "3", "--die-at-node", "KSampler",
        "--drop-ws-at-node", "8", "--stall-at-node", "9", "--slow-view-ms", "250",
    ])  # fmt: skip
    assert (config.host, config.port, config.node_ms, config.step_ms) == ("127.0.0.1", 9000, 7, 3)
    assert config.models == {"checkpoints": ["a.safetensors"]} and config.preview is True
    faults = config.faults
    assert (faults.fail_at_node, faults.die_at_node, faults.drop_ws_at_node, faults.stall_at_node) == ("3", "KSampler", "8", "9")  # fmt: skip
    assert faults.slow_view_ms == 250
    defaults = parse_args([])
    assert (defaults.port, defaults.node_ms, defaults.step_ms, defaults.preview) == (8188, 50, 100, False)  # fmt: skip
    assert str(defaults.data_dir) == "storage/comfyui_sim" and defaults.models == DEFAULT_MODELS


def test_config_patch_is_all_or_nothing():
    config = SimConfig()
    with pytest.raises(ValueError, match="preview"):
        config.apply({"node_ms": 5, "preview": "yes"})
    assert config.node_ms == 50  # nothing applied
    config.apply({"faults": {"stall_at_node": 4, "slow_view_ms": None}})
    assert config.faults.stall_at_node == "4" and config.faults.slow_view_ms == 0


def test_load_object_info_returns_a_private_copy():
    first = load_object_info()
    first["KSampler"]["output"].append("MUTATED")
    assert load_object_info()["KSampler"]["output"] == ["LATENT"]
    assert first["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == []


def test_history_keeps_at_most_max_entries():
    queue = PromptQueue(lambda: None)
    for index in range(MAX_HISTORY + 5):
        queue.running = (index, f"p{index}", {}, {}, [])
        queue.task_done({}, {}, {"status_str": "success", "completed": True, "messages": []})
    assert len(queue.history) == MAX_HISTORY
    assert next(iter(queue.history)) == "p5"
    assert list(queue.get_history(max_items=1)) == [f"p{MAX_HISTORY + 4}"]


def test_execution_order_matches_comfyui_for_t2i():
    info = load_object_info()
    prompt = t2i("x")
    order = ExecutionOrder(prompt, lambda n: is_output_node(info[prompt[n]["class_type"]]), set())
    order.add_node("9")
    ran = []
    while not order.is_empty():
        ran.append(order.next_node())
        order.complete(ran[-1])
    assert ran == ["4", "5", "7", "6", "3", "8", "9"]


def _sample_value(spec: list):
    kind = spec[0]
    extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    if isinstance(kind, list):
        return kind[0] if kind else "file.safetensors"
    if kind == "COMBO":
        return (extra.get("options") or ["file"])[0]
    if kind in ("INT", "FLOAT", "STRING", "BOOLEAN"):
        default = extra.get("default", extra.get("min"))
        return {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}[kind](default or 0)
    if kind in PIXEL_KINDS:
        return Pixels(kind, 64, 32, 1, "upstream")
    return Token(kind, "upstream", "label", steps=2)


def test_every_schema_class_computes_generically(tmp_path):
    folders = Folders.create(tmp_path)
    info = load_object_info()
    for class_type, schema in info.items():
        if class_type in ("LoadImage", "LoadImageMask"):
            continue  # these read a real upload; covered over HTTP
        inputs = {name: _sample_value(spec) for name, _, spec in iter_inputs(schema)}
        ctx = NodeContext("1", class_type, schema, "sig", folders, {}, {}, {})
        outputs, ui = compute(ctx, inputs)
        assert len(outputs) == len(schema["output"]), class_type
        for value, kind in zip(outputs, schema["output"], strict=True):
            if kind in PIXEL_KINDS:
                assert isinstance(value, Pixels) and value.kind == kind, class_type
        assert ui is None or is_output_node(schema), class_type
