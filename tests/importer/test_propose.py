"""propose_manifest: a parse_tool-valid manifest for every shape of graph, with limits from
the node schemas, and a workflow the studio can build and ComfyUI would accept."""

from __future__ import annotations

import pytest

from comfy_schema.object_info import with_file_lists
from studio_core.catalog.build import build_graph
from studio_core.catalog.manifest import parse_tool
from studio_core.catalog.probes import validate_graph
from studio_core.catalog.tools import Tool
from studio_core.errors import InvalidInput
from studio_core.importer import propose_manifest
from studio_core.importer.propose import parseable
from tests.importer.conftest import graph

SHAPES = ["invert", "blur_preview", "two_images", "checkpoint_lora", "sdxl_refiner", "gguf"]


def params_of(manifest: dict) -> dict[str, dict]:
    return {p["id"]: p for p in manifest["parameters"]}


@pytest.mark.parametrize("name", SHAPES)
def test_every_proposal_parses_builds_and_validates(name, object_info):
    manifest, workflow = propose_manifest(graph(name), object_info, "imported_tool")
    # "loras" waits for the LoRA parameter type (contract 3): parseable() leaves it out
    tool = Tool(**vars(parse_tool(parseable(manifest), workflow)))
    assert manifest["requires"]["nodes"] == sorted({n["class_type"] for n in workflow.values()})
    for labelled in [*manifest["parameters"], *manifest["slots"]]:
        assert labelled["label"]["en"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in labelled["label"]["zh-TW"])  # Chinese
    images = {slot.id: f"{slot.id}.png" for slot in tool.slots}
    params = tool.validate(
        {"prompt": "a test"} if tool.param("prompt") else {}, images=list(images)
    )
    params = {**params, "seed": 7} if tool.param("seed") else params
    built = build_graph(tool, params, images, "studio/test")
    if name == "gguf":
        return  # UnetLoaderGGUF is not in the shipped (core) schemas
    models = {folder: list(files) for folder, files in tool.requires["models"].items()}
    info = with_file_lists(dict(object_info), models, list(images.values()))
    assert validate_graph(built, info, list(images.values())) == []


def test_model_free_graph_gets_a_slot_and_no_parameters(object_info):
    manifest, workflow = propose_manifest(graph("invert"), object_info, "invert")
    assert manifest["slots"] == [
        {
            "id": "image",
            "label": {"en": "Image", "zh-TW": "圖片"},
            "required": True,
            "node": "1",
            "input": "image",
        }
    ]
    assert manifest["parameters"] == []
    assert manifest["outputs"] == ["3"]
    assert manifest["category"] == "edit"
    assert workflow == graph("invert")


def test_a_preview_only_graph_gets_a_save_image(object_info):
    manifest, workflow = propose_manifest(graph("blur_preview"), object_info, "blur")
    assert manifest["outputs"] == ["12"]
    assert workflow["12"]["class_type"] == "SaveImage"
    assert workflow["12"]["inputs"]["images"] == ["11", 0]
    assert (
        "SaveImage" in manifest["requires"]["nodes"]
        and "PreviewImage" not in manifest["requires"]["nodes"]
    )
    assert graph("blur_preview")["12"]["class_type"] == "PreviewImage"  # the input is not changed


def test_two_images_become_two_required_slots(object_info):
    manifest, _ = propose_manifest(graph("two_images"), object_info, "blend")
    assert [(s["id"], s["node"], s["required"]) for s in manifest["slots"]] == [
        ("image_1", "1", True),
        ("image_2", "2", True),
    ]
    assert manifest["slots"][1]["label"] == {"en": "Image 2", "zh-TW": "圖片 2"}


def test_checkpoint_graph_parameters(object_info):
    manifest, _ = propose_manifest(graph("checkpoint_lora"), object_info, "classic")
    params = params_of(manifest)
    assert params["prompt"]["default"] == "a lighthouse on a cliff at dusk"
    assert params["prompt"]["targets"] == [{"node": "6", "input": "text"}]
    assert params["prompt"]["max_length"] == 2000 and params["prompt"]["type"] == "text"
    assert params["negative_prompt"]["targets"] == [{"node": "7", "input": "text"}]
    assert params["seed"] == {
        "id": "seed",
        "type": "seed",
        "label": {"en": "Seed (-1 = random)", "zh-TW": "種子（-1 為隨機）"},
        "default": -1,
        "targets": [{"node": "3", "input": "seed"}],
    }
    # limits from KSampler's schema (steps and cfg capped for the studio, never below the value)
    assert (params["steps"]["type"], params["steps"]["min"], params["steps"]["max"]) == (
        "int",
        1,
        150,
    )
    assert (params["cfg"]["min"], params["cfg"]["max"], params["cfg"]["step"]) == (0.0, 30.0, 0.1)
    assert (params["denoise"]["min"], params["denoise"]["max"]) == (0.0, 1.0)
    assert params["sampler_name"]["type"] == "choice"
    assert "euler_ancestral" in params["sampler_name"]["choices"]
    assert len(params["sampler_name"]["choices"]) == len(
        object_info["KSampler"]["input"]["required"]["sampler_name"][0]
    )
    assert params["scheduler"]["default"] == "normal"
    size = params["aspect_ratio"]
    assert size["default"] == "512x768"
    assert [p["id"] for p in size["presets"]] == ["512x768"]
    assert size["custom"] == {"step": 8, "min": 64, "max": 2048}
    assert size["size_classes"] is True
    assert params["batch_size"]["choices"] == [1, 2, 4]
    assert params["model"]["folder"] == "checkpoints" and not params["model"]["advanced"]
    assert params["lora_1"]["folder"] == "loras" and params["lora_1"]["advanced"]
    assert params["lora_1_strength"]["default"] == 0.8
    assert params["loras"] == {
        "id": "loras",
        "type": "loras",
        "label": {"en": "LoRAs", "zh-TW": "LoRA 模型"},
        "default": [],
        "folder": "loras",
        "max_items": 4,
        "min": -2.0,
        "max": 2.0,
        "attach": {"model": ["4", 0], "clip": ["4", 1]},
    }
    assert manifest["requires"]["models"] == {
        "checkpoints": ["v1-5-pruned-emaonly.safetensors"],
        "loras": ["detail_tweaker.safetensors"],
    }
    assert manifest["category"] == "generate"


def test_a_refiner_keeps_its_own_cfg_and_shares_prompt_seed_and_steps(object_info):
    manifest, _ = propose_manifest(graph("sdxl_refiner"), object_info, "sdxl")
    params = params_of(manifest)
    assert [t["node"] for t in params["prompt"]["targets"]] == ["6", "6", "15"]
    assert [t["node"] for t in params["seed"]["targets"]] == ["10", "11"]
    assert [t["node"] for t in params["steps"]["targets"]] == ["10", "11"]
    assert params["cfg"]["targets"] == [{"node": "10", "input": "cfg"}]  # the refiner's 5.0 stays
    assert params["model"]["default"] == "sd_xl_base_1.0.safetensors"
    assert params["model_12"]["advanced"] is True


def test_a_custom_node_graph_names_its_pack_and_files(object_info):
    manifest, _ = propose_manifest(graph("gguf"), object_info, "flux_gguf")
    params = params_of(manifest)
    assert manifest["requires"]["custom_node_packs"] == ["ComfyUI-GGUF"]
    assert manifest["requires"]["models"]["unet_gguf"] == ["flux1-dev-Q4_K_S.gguf"]
    assert params["model"]["folder"] == "unet_gguf"
    assert params["loras"]["attach"] == {"model": ["1", 0]}  # model only: LoraLoaderModelOnly
    assert "negative_prompt" not in params
    assert params["aspect_ratio"]["custom"]["step"] == 16  # EmptySD3LatentImage's step
    assert params["aspect_ratio"]["default"] == "1024x768"
    assert params["guidance"]["default"] == 3.5


def test_an_unknown_sampler_value_stays_offered_for_the_check_to_flag(object_info):
    g = graph("checkpoint_lora")
    g["3"]["inputs"]["sampler_name"] = "my_custom_sampler"
    manifest, _ = propose_manifest(g, object_info, "classic")
    assert params_of(manifest)["sampler_name"]["choices"][-1] == "my_custom_sampler"


@pytest.mark.parametrize("tool_id", ["", "Bad-Id", "1abc", "a" * 49, None])
def test_a_bad_tool_id_is_refused(tool_id, object_info):
    with pytest.raises(InvalidInput) as caught:
        propose_manifest(graph("invert"), object_info, tool_id)
    assert caught.value.field == "id"


def test_schemas_come_from_the_shipped_copy_when_the_engine_lists_names_only(object_info):
    names_only = {name: {} for name in object_info}
    manifest, _ = propose_manifest(graph("checkpoint_lora"), names_only, "classic")
    assert params_of(manifest)["steps"]["max"] == 150
    assert "euler" in params_of(manifest)["sampler_name"]["choices"]


def test_custom_size_limits_are_multiples_of_the_step_around_the_graph_size(object_info):
    g = graph("checkpoint_lora")
    g["5"]["inputs"].update(width=2100, height=40)
    size = params_of(propose_manifest(g, object_info, "odd")[0])["aspect_ratio"]
    assert size["custom"] == {"step": 8, "min": 40, "max": 2104}


def test_loras_attach_only_to_outputs_something_reads(object_info):
    g = graph("sdxl_refiner")
    # the base's text encoders take their CLIP from the refiner checkpoint instead
    g["6"]["inputs"]["clip"] = ["12", 1]
    g["7"]["inputs"]["clip"] = ["12", 1]
    assert params_of(propose_manifest(g, object_info, "x")[0])["loras"]["attach"] == {
        "model": ["4", 0]
    }
    g["10"]["inputs"]["model"] = ["12", 0]  # and nothing reads the base model
    assert "loras" not in params_of(propose_manifest(g, object_info, "x")[0])
