"""build_graph: every parameter lands where the manifest says, purely, for every tool."""

from __future__ import annotations

import copy
import random

import pytest

from studio_core.catalog.build import build_graph
from studio_core.catalog.params import resolve_seed
from studio_core.catalog.workflow import SEED_INPUTS, ancestors, links_of
from studio_core.errors import InvalidInput

TOOLS = [
    "text_to_image",
    "text_to_image_classic",
    "single_image_edit",
    "sketch_to_image",
    "face_swap",
    "multi_image_blend",
]


def images_for(tool):
    return {slot.id: f"studio/{slot.id}.png" for slot in tool.slots}


def build(tool, images=None, prefix="studio/job-1", **raw):
    images = images_for(tool) if images is None else images
    params = tool.validate(raw, images=list(images))
    params = resolve_seed(params, random.Random(7))
    return params, build_graph(tool, params, images, prefix)


def fed_by(graph, role):
    """Nodes upstream of every sampler input named `role` (positive / negative)."""
    starts = [link[0] for node in graph.values() for name, link in links_of(node) if name == role]
    return ancestors(graph, starts)


def texts(graph, node_ids):
    return [v for i in node_ids for v in graph[i]["inputs"].values() if isinstance(v, str)]


@pytest.mark.parametrize("tool_id", TOOLS)
def test_prompt_lands_in_positive_only(catalog, tool_id):
    tool = catalog.get(tool_id)
    _params, graph = build(tool, prompt="a red fox in the snow")
    assert any("a red fox in the snow" in t for t in texts(graph, fed_by(graph, "positive")))
    assert not any("a red fox in the snow" in t for t in texts(graph, fed_by(graph, "negative")))


@pytest.mark.parametrize("tool_id", TOOLS)
def test_seed_reaches_every_sampler(catalog, tool_id):
    tool = catalog.get(tool_id)
    _params, graph = build(tool, prompt="x", seed=0)  # the original studio could not send 0
    samplers = [n for n in graph.values() if n["class_type"] in SEED_INPUTS]
    assert samplers
    assert all(n["inputs"][SEED_INPUTS[n["class_type"]]] == 0 for n in samplers)


@pytest.mark.parametrize("tool_id", TOOLS)
def test_build_is_pure_and_sets_outputs_and_images(catalog, tool_id):
    tool = catalog.get(tool_id)
    template = copy.deepcopy(tool.workflow)
    _params, graph = build(tool, prompt="x", prefix="studio/abc")
    assert tool.workflow == template
    graph["save"]["inputs"]["filename_prefix"] = "changed"
    assert tool.workflow == template
    saves = [n for n in graph.values() if n["class_type"] == "SaveImage"]
    assert len(saves) == 1
    for slot in tool.slots:
        assert graph[slot.node]["inputs"][slot.input] == f"studio/{slot.id}.png"
    assert not any("\\" in t for t in texts(graph, list(graph)))


@pytest.mark.parametrize(
    ("aspect", "size"),
    [("1:1", (1024, 1024)), ("16:9", (1344, 768)), ("9:16", (768, 1344)), ("2:3", (832, 1248)),
     ("3:4", (864, 1152)), ("4:3", (1152, 864))],
)  # fmt: skip
@pytest.mark.parametrize("tool_id", ["text_to_image", "text_to_image_classic", "single_image_edit"])
def test_aspect_presets_size_the_latent(catalog, tool_id, aspect, size):
    tool = catalog.get(tool_id)
    _params, graph = build(tool, prompt="x", aspect_ratio=aspect, batch_size=2)
    latent = graph[graph["sampler"]["inputs"]["latent_image"][0]]["inputs"]
    assert (latent["width"], latent["height"], latent["batch_size"]) == (*size, 2)
    assert size[0] % 16 == 0 and size[1] % 16 == 0


def test_keep_ratio_takes_the_latent_from_the_input(catalog):
    tool = catalog.get("single_image_edit")
    _params, graph = build(tool, prompt="add a lamp", aspect_ratio="keep", batch_size=4)
    assert graph["sampler"]["inputs"]["latent_image"] == ["repeat", 0]
    assert graph["repeat"]["inputs"]["amount"] == 4
    assert "latent" not in graph  # the unused empty latent is dropped
    assert "load_input" in ancestors(graph, ["sampler"])


def test_default_edit_keeps_input_ratio(catalog):
    params, _graph = build(catalog.get("single_image_edit"), prompt="x")
    assert params["aspect_ratio"] == "keep"


def test_optional_slot_chain_is_removed_cleanly(catalog):
    tool = catalog.get("multi_image_blend")
    two = {"image_a": "a.png", "image_b": "b.png"}
    _params, graph = build(tool, images=two, prompt="blend")
    assert "load_c" not in graph and "scale_c" not in graph
    assert "image3" not in graph["positive"]["inputs"]
    assert "image3" not in graph["negative"]["inputs"]
    _params, graph = build(tool, images={**two, "image_c": "c.png"}, prompt="blend")
    assert graph["positive"]["inputs"]["image3"] == ["scale_c", 0]
    assert graph["load_c"]["inputs"]["image"] == "c.png"


def test_face_swap_appends_prompt_to_fixed_instruction(catalog):
    tool = catalog.get("face_swap")
    _params, graph = build(tool, prompt="smiling {weird} braces")
    text = graph["positive"]["inputs"]["prompt"]
    assert text.startswith("head_swap:")
    assert text.endswith("smiling {weird} braces")
    _params, graph = build(tool)
    assert graph["positive"]["inputs"]["prompt"].startswith("head_swap:")
    assert "{prompt}" not in graph["positive"]["inputs"]["prompt"]
    # Picture 1 is the body (the base image), Picture 2 the face.
    assert graph["positive"]["inputs"]["image1"] == ["scale_body", 0]
    assert graph["positive"]["inputs"]["image2"] == ["scale_face", 0]


def test_sketch_latent_comes_from_the_sketch(catalog):
    tool = catalog.get("sketch_to_image")
    _params, graph = build(tool, denoise=0.6)
    assert "load_sketch" in ancestors(graph, [graph["sampler"]["inputs"]["latent_image"][0]])
    assert graph["sampler"]["inputs"]["denoise"] == 0.6


@pytest.mark.parametrize(
    ("tool_id", "model", "node", "name"),
    [
        ("text_to_image", "z_image_turbo_fp8.safetensors", "unet", "unet_name"),
        ("text_to_image_classic", "sd15/dreamshaper_8.safetensors", "checkpoint", "ckpt_name"),
    ],
)
def test_model_parameter_changes_the_loader(catalog, tool_id, model, node, name):
    tool = catalog.get(tool_id)
    _params, graph = build(tool, prompt="x", model=model)
    assert graph[node]["inputs"][name] == model


def test_unresolved_seed_is_refused(catalog):
    tool = catalog.get("text_to_image")
    params = tool.validate({"prompt": "x"})
    with pytest.raises(ValueError, match="resolve"):
        build_graph(tool, params, {}, "studio/x")


@pytest.mark.parametrize("prefix", ["", "../escape", "/abs", "a\\b"])
def test_bad_filename_prefix_is_refused(catalog, prefix):
    tool = catalog.get("text_to_image")
    params = resolve_seed(tool.validate({"prompt": "x"}))
    with pytest.raises(ValueError, match="filename_prefix"):
        build_graph(tool, params, {}, prefix)


def test_build_checks_slots(catalog):
    tool = catalog.get("face_swap")
    params = resolve_seed(tool.validate({}, images=["face", "body"]))
    with pytest.raises(InvalidInput) as missing:
        build_graph(tool, params, {"face": "f.png"}, "studio/x")
    assert missing.value.field == "body"
    with pytest.raises(InvalidInput) as unknown:
        build_graph(tool, params, {"face": "f.png", "body": "b.png", "extra": "e.png"}, "s/x")
    assert unknown.value.field == "extra"


def test_resolve_seed_records_a_value_in_range():
    resolved = resolve_seed({"seed": -1, "prompt": "x"}, random.Random(3))
    again = resolve_seed({"seed": -1}, random.Random(3))
    assert 0 <= resolved["seed"] <= 2**53 - 1
    assert resolved["seed"] == again["seed"]
    assert resolve_seed({"seed": 5})["seed"] == 5
    assert resolve_seed({"prompt": "x"}) == {"prompt": "x"}
