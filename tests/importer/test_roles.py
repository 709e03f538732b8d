"""graph_roles: what each node of a graph does, read from the wiring."""

from __future__ import annotations

from studio_core.importer import graph_roles
from tests.importer.conftest import graph


def test_model_free_image_ops():
    roles = graph_roles(graph("invert"))
    assert (roles.images, roles.outputs, roles.samplers, roles.main_loader) == (
        ["1"],
        ["3"],
        [],
        None,
    )
    roles = graph_roles(graph("blur_preview"))
    assert (roles.outputs, roles.previews) == ([], ["12"])


def test_checkpoint_graph_roles_follow_the_sampler_wiring():
    roles = graph_roles(graph("checkpoint_lora"))
    assert roles.samplers == ["3"]
    assert roles.positive == [("6", "text")]
    assert roles.negative == [("7", "text")]
    assert roles.seeds == [("3", "seed")]
    assert roles.settings["steps"] == [("3", "steps")]
    assert roles.latents == ["5"]
    assert (roles.loaders, roles.loras, roles.main_loader) == (["4"], ["10"], "4")


def test_a_refiner_sampler_comes_after_the_base_it_reads_from():
    g = graph("sdxl_refiner")
    roles = graph_roles(g)
    assert roles.samplers == ["10", "11"]
    assert roles.positive == [("6", "text_g"), ("6", "text_l"), ("15", "text")]
    assert roles.negative == [("7", "text_g"), ("7", "text_l"), ("16", "text")]
    assert roles.seeds == [("10", "noise_seed"), ("11", "noise_seed")]
    # swapping the ids does not change which sampler is upstream
    g["1"], g["99"] = g.pop("11"), g.pop("10")
    g["1"]["inputs"]["latent_image"] = ["99", 0]
    g["17"]["inputs"]["samples"] = ["1", 0]
    assert graph_roles(g).samplers == ["99", "1"]


def test_a_zeroed_out_positive_is_no_negative_prompt():
    roles = graph_roles(graph("gguf"))
    assert roles.positive == [("4", "text")]
    assert roles.negative == []
    assert roles.main_loader == "1"  # UnetLoaderGGUF
    assert roles.settings["guidance"] == [("5", "guidance")]


def test_a_node_taking_both_conditionings_keeps_them_apart():
    g = graph("checkpoint_lora")
    g["20"] = {
        "class_type": "ControlNetApplyAdvanced",
        "inputs": {"positive": ["6", 0], "negative": ["7", 0], "strength": 1.0},
    }
    g["3"]["inputs"]["positive"] = ["20", 0]
    g["3"]["inputs"]["negative"] = ["20", 1]
    roles = graph_roles(g)
    assert roles.positive == [("6", "text")]
    assert roles.negative == [("7", "text")]


def test_a_seed_from_a_primitive_node_is_written_there():
    g = graph("checkpoint_lora")
    g["30"] = {"class_type": "PrimitiveInt", "inputs": {"value": 7}}
    g["3"]["inputs"]["seed"] = ["30", 0]
    assert graph_roles(g).seeds == [("30", "value")]


def test_custom_sampler_pieces_are_found():
    g = {
        "1": {
            "class_type": "UNETLoader",
            "inputs": {"unet_name": "m.safetensors", "weight_dtype": "default"},
        },
        "2": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["9", 0], "text": "hello"}},
        "3": {"class_type": "BasicGuider", "inputs": {"model": ["1", 0], "conditioning": ["2", 0]}},
        "4": {"class_type": "RandomNoise", "inputs": {"noise_seed": 5}},
        "5": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "6": {
            "class_type": "BasicScheduler",
            "inputs": {"model": ["1", 0], "scheduler": "simple", "steps": 20, "denoise": 1.0},
        },
        "7": {
            "class_type": "EmptySD3LatentImage",
            "inputs": {"width": 1024, "height": 1024, "batch_size": 1},
        },
        "8": {
            "class_type": "SamplerCustomAdvanced",
            "inputs": {
                "noise": ["4", 0],
                "guider": ["3", 0],
                "sampler": ["5", 0],
                "sigmas": ["6", 0],
                "latent_image": ["7", 0],
            },
        },
        "9": {"class_type": "CLIPLoader", "inputs": {"clip_name": "c.safetensors", "type": "flux"}},
    }
    roles = graph_roles(g)
    assert roles.samplers == ["3", "8"]
    assert roles.positive == [("2", "text")]
    assert roles.seeds == [("4", "noise_seed")]
    assert roles.settings["steps"] == [("6", "steps")]
    assert roles.settings["sampler_name"] == [("5", "sampler_name")]
    assert roles.main_loader == "1"


def test_a_prompt_from_a_string_primitive_is_written_there():
    g = graph("checkpoint_lora")
    g["40"] = {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "shared prompt"}}
    g["6"]["inputs"]["text"] = ["40", 0]
    assert graph_roles(g).positive == [("40", "value")]
