"""Issue 10: a painted mask wires single_image_edit's inpainting path in (and only then), and a
model parameter's filter keeps models that do not fit a tool out of its dropdown."""

from __future__ import annotations

import copy
import dataclasses
import random

import pytest

from studio_core.catalog.build import build_graph
from studio_core.catalog.manifest import ManifestError
from studio_core.catalog.params import resolve_seed
from studio_core.catalog.tools import Catalog
from studio_core.errors import InvalidInput

MASKED_NAME = "studio/job-1_input_masked.png"
EDIT_MODEL = "qwen_image_edit_2509_fp8_e4m3fn.safetensors"
Z_IMAGE = "z_image_turbo_bf16.safetensors"


def edit_graph(tool, masked=(), **raw):
    params = resolve_seed(
        tool.validate({"prompt": "make it blue", **raw}, images=["input"], masks=masked),
        random.Random(3),
    )
    name = MASKED_NAME if masked else "studio/job-1_input.png"
    return build_graph(tool, params, {"input": name}, "studio/job-1", masked)


def without_mask_path(tool):
    """The tool as it was before issue 10: no mask node, a slot that takes no mask."""
    workflow = copy.deepcopy(tool.workflow)
    del workflow["mask_latent"]
    slots = [dataclasses.replace(slot, mask=()) for slot in tool.slots]
    return dataclasses.replace(tool, workflow=workflow, slots=slots)


@pytest.mark.parametrize("aspect", ["keep", "1:1", "9:16"])
def test_without_a_mask_comfyui_gets_the_graph_it_got_before(catalog, aspect):
    tool = catalog.get("single_image_edit")
    graph = edit_graph(tool, aspect_ratio=aspect, seed=5)
    assert graph == edit_graph(without_mask_path(tool), aspect_ratio=aspect, seed=5)
    assert "mask_latent" not in graph
    assert all(["load_input", 1] not in node["inputs"].values() for node in graph.values())


def test_with_a_mask_the_sampler_denoises_only_the_painted_region(catalog):
    tool = catalog.get("single_image_edit")
    graph = edit_graph(tool, masked=("input",), batch_size=2)
    assert graph["load_input"]["inputs"]["image"] == MASKED_NAME
    assert graph["mask_latent"] == {
        "class_type": "SetLatentNoiseMask",
        "inputs": {"samples": ["repeat", 0], "mask": ["load_input", 1]},
        "_meta": graph["mask_latent"]["_meta"],
    }
    assert graph["sampler"]["inputs"]["latent_image"] == ["mask_latent", 0]
    assert graph["repeat"]["inputs"] == {"samples": ["encode", 0], "amount": 2}
    assert "latent" not in graph  # the empty latent of the aspect presets is pruned


def test_a_mask_keeps_the_input_size_so_other_aspects_are_refused(catalog):
    tool = catalog.get("single_image_edit")
    with pytest.raises(InvalidInput) as caught:
        tool.validate({"prompt": "x", "aspect_ratio": "16:9"}, images=["input"], masks=["input"])
    assert caught.value.field == "aspect_ratio"
    assert "'keep'" in caught.value.message


@pytest.mark.parametrize(
    ("tool_id", "images", "masks", "message"),
    [
        ("sketch_to_image", ["sketch"], ["sketch"], "takes no mask"),
        ("single_image_edit", ["input"], ["nowhere"], "takes no mask"),
        ("single_image_edit", [], ["input"], "needs the image"),
    ],
)
def test_mask_on_a_slot_that_cannot_take_one(catalog, tool_id, images, masks, message):
    tool = catalog.get(tool_id)
    with pytest.raises(InvalidInput) as caught:
        tool.validate({"prompt": "x"}, images=images, masks=masks)
    assert caught.value.field == f"masks.{masks[0]}"
    assert message in caught.value.message


def test_build_refuses_a_mask_the_tool_has_no_path_for(catalog):
    tool = catalog.get("sketch_to_image")
    params = resolve_seed(tool.validate({"prompt": "x"}, images=["sketch"]), random.Random(1))
    with pytest.raises(InvalidInput, match="takes no mask"):
        build_graph(tool, params, {"sketch": "studio/s.png"}, "studio/j", masked=["sketch"])


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        ({"rewire": []}, "at least one"),
        ({"links": []}, "must be"),
        ({"rewire": [{"node": "sampler", "input": "latent_image", "link": ["gone", 0]}]},
         "must point at a template node"),
    ],
)  # fmt: skip
def test_malformed_mask_declaration(catalog_copy, mask, match):
    manifest = catalog_copy.read("single_image_edit", "manifest")
    manifest["slots"][0]["mask"] = mask
    catalog_copy.write("single_image_edit", "manifest", manifest)
    with pytest.raises(ManifestError, match=match):
        Catalog.load(catalog_copy.root)


# ---- the model filter (defect: text-to-image offered an edit model) -----------------------


def test_text_to_image_lists_only_models_that_fit(catalog):
    tool = catalog.get("text_to_image")
    installed = {"diffusion_models": [EDIT_MODEL, Z_IMAGE, "sub/Z-Image-Turbo-fp8.safetensors"]}
    model = next(p for p in tool.public_dict("en", installed)["parameters"] if p["id"] == "model")
    assert model["choices"] == ["sub/Z-Image-Turbo-fp8.safetensors", Z_IMAGE]
    assert "choices" not in next(
        p for p in tool.public_dict("en")["parameters"] if p["id"] == "model"
    )  # engines unknown: the page lists the folder, as before


def test_a_model_that_does_not_fit_is_refused_and_never_chosen(catalog, object_info):
    tool = catalog.get("text_to_image")
    installed = {"diffusion_models": [EDIT_MODEL]}
    with pytest.raises(InvalidInput) as caught:
        tool.validate({"prompt": "x", "model": EDIT_MODEL}, models_by_folder=installed)
    assert caught.value.field == "model" and "does not fit" in caught.value.message
    # only an edit model installed: the tool cannot run, and says so
    result = tool.availability(object_info, {**installed, "text_encoders": ["qwen_3_4b.safetensors"],
                                             "vae": ["ae.safetensors"]})  # fmt: skip
    assert result["status"] == "missing_model"
    assert "any file in diffusion_models that fits this tool" in result["reason"]


def test_tools_without_a_filter_list_their_whole_folder(catalog):
    tool = catalog.get("text_to_image_classic")
    installed = {"checkpoints": ["b.safetensors", "a.ckpt"]}
    model = next(p for p in tool.public_dict(None, installed)["parameters"] if p["type"] == "model")
    assert model["choices"] == ["a.ckpt", "b.safetensors"]


@pytest.mark.parametrize(
    ("model_filter", "match"),
    [
        (["*z_image*"], "must be"),
        ({"match": "*z_image*"}, "list of non-empty patterns"),
        ({"match": [""]}, "list of non-empty patterns"),
        ({"family": "z-image"}, "must be"),
    ],
)
def test_malformed_model_filter(catalog_copy, model_filter, match):
    manifest = catalog_copy.read("text_to_image", "manifest")
    next(p for p in manifest["parameters"] if p["id"] == "model")["filter"] = model_filter
    catalog_copy.write("text_to_image", "manifest", manifest)
    with pytest.raises(ManifestError, match=match):
        Catalog.load(catalog_copy.root)
