"""params_from_graph / best_tool: a graph's values as a tool's parameters."""

from __future__ import annotations

import pytest

from studio_core.catalog.build import build_graph
from studio_core.catalog.params import resolve_seed
from studio_core.catalog.tools import Catalog
from studio_core.importer import best_tool, params_from_graph
from studio_core.importer.readback import STUDIO_LORA, _loras, _number
from tests.importer.conftest import graph


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


def built(tool, raw: dict, images: dict | None = None) -> tuple[dict, dict]:
    images = images or {}
    params = resolve_seed(tool.validate(raw, images=list(images)))
    return params, build_graph(tool, params, images, "studio/job1")


def test_a_studio_built_graph_reads_back_every_parameter(catalog):
    tool = catalog.get("text_to_image_classic")
    raw = {
        "prompt": "a lighthouse",
        "negative_prompt": "fog",
        "seed": 12345,
        "aspect_ratio": "16:9",
        "batch_size": 2,
        "steps": 30,
        "cfg": 6.5,
        "sampler_name": "euler",
        "scheduler": "normal",
        "model": "SD15/dreamshaper_8.safetensors",
    }
    params, graph_ = built(tool, raw)
    result = params_from_graph(tool, graph_)
    assert result["tool"] == "text_to_image_classic"
    assert result["params"] == params
    assert sorted(result["matched"]) == sorted(params)
    assert result["unmatched"] == []


def test_a_keep_ratio_preset_is_read_back_from_the_rewiring(catalog):
    tool = catalog.get("multi_image_blend")
    images = {"image_a": "a.png", "image_b": "b.png"}
    _params, graph_ = built(tool, {"prompt": "mix", "aspect_ratio": "keep"}, images)
    assert params_from_graph(tool, graph_)["params"]["aspect_ratio"] == "keep"
    _params, graph_ = built(tool, {"prompt": "mix", "aspect_ratio": "3:4"}, images)
    assert params_from_graph(tool, graph_)["params"]["aspect_ratio"] == "3:4"


def test_a_foreign_graph_is_mapped_by_roles(catalog):
    tool = catalog.get("text_to_image_classic")
    models = {"checkpoints": ["SD15/v1-5-pruned-emaonly.safetensors"]}
    result = params_from_graph(tool, graph("checkpoint_lora"), models)
    assert result["params"] | {} == {
        **{k: v for k, v in result["params"].items() if k in ("aspect_ratio", "loras")},
        "prompt": "a lighthouse on a cliff at dusk",
        "negative_prompt": "blurry, watermark",
        "seed": 156680208700286,
        "steps": 20,
        "cfg": 7.5,
        "sampler_name": "euler_ancestral",
        "scheduler": "normal",
        "batch_size": 1,
        "model": "SD15/v1-5-pruned-emaonly.safetensors",  # found by base name
    }
    assert "denoise=1.0" in result["unmatched"]  # the tool has no denoise
    aspect = tool.param("aspect_ratio")
    if getattr(aspect, "custom", None):  # custom sizes (contract 2) take "<W>x<H>"
        assert result["params"]["aspect_ratio"] == "512x768"
    else:
        assert any(u.startswith("aspect_ratio=512x768 (") for u in result["unmatched"])
    if tool.param("loras"):  # the LoRA list (contract 3)
        assert result["params"]["loras"] == [
            {"name": "detail_tweaker.safetensors", "strength": 0.8}
        ]
    else:
        assert any(u.startswith("loras=") and "detail_tweaker" in u for u in result["unmatched"])


def test_a_preset_size_is_given_by_its_id(catalog):
    result = params_from_graph(catalog.get("text_to_image_classic"), graph("sdxl_refiner"))
    assert result["params"]["aspect_ratio"] == "1:1"
    assert result["params"]["cfg"] == 8.0  # the base sampler's, not the refiner's
    assert result["unmatched"] == []


def test_values_the_tool_refuses_are_listed_with_the_reason(catalog):
    g = graph("checkpoint_lora")
    g["3"]["inputs"]["steps"] = 200
    result = params_from_graph(catalog.get("text_to_image_classic"), g)
    assert "steps" not in result["params"]
    assert "steps=200 ('steps' must be at most 60)" in result["unmatched"]


def test_a_model_from_another_folder_has_no_place(catalog):
    result = params_from_graph(catalog.get("text_to_image"), graph("gguf"))
    assert "model" not in result["params"]
    assert "model=unet_gguf/flux1-dev-Q4_K_S.gguf" in result["unmatched"]
    assert result["params"]["prompt"] == "a watercolor harbour"
    result = params_from_graph(catalog.get("text_to_image"), graph("checkpoint_lora"))
    assert "model=checkpoints/v1-5-pruned-emaonly.safetensors" in result["unmatched"]


def test_a_model_that_does_not_fit_the_filter_is_not_taken(catalog):
    g = graph("gguf")
    g["1"] = {
        "class_type": "UNETLoader",
        "inputs": {
            "unet_name": "qwen_image_edit_2509_fp8_e4m3fn.safetensors",
            "weight_dtype": "default",
        },
    }
    result = params_from_graph(catalog.get("text_to_image"), g)
    assert "model" not in result["params"]
    assert any(
        u.startswith("model=qwen_image_edit_2509_fp8_e4m3fn.safetensors (")
        for u in result["unmatched"]
    )


def test_best_tool_picks_the_tool_a_graph_was_built_with(catalog):
    for tool in catalog.tools:
        images = {slot.id: f"{slot.id}.png" for slot in tool.slots}
        _params, graph_ = built(tool, {"prompt": "x"}, images)
        assert best_tool(catalog.tools, graph_).id == tool.id


def test_best_tool_for_foreign_graphs(catalog):
    assert best_tool(catalog.tools, graph("checkpoint_lora")).id == "text_to_image_classic"
    assert best_tool(catalog.tools, graph("invert")) is None  # nothing in common but I/O


def test_a_studio_built_lora_chain_is_read_back_in_order():
    g = graph("checkpoint_lora")
    g["lora_2"] = {
        "class_type": "LoraLoader",
        "inputs": {"lora_name": "b.safetensors", "strength_model": 0.5},
    }
    g["lora_1"] = {
        "class_type": "LoraLoader",
        "inputs": {"lora_name": "a.safetensors", "strength_model": 1},
    }
    chain = sorted((n for n in g if STUDIO_LORA.fullmatch(n)), key=_number)
    assert _loras(chain, g) == [
        {"name": "a.safetensors", "strength": 1.0},
        {"name": "b.safetensors", "strength": 0.5},
    ]
