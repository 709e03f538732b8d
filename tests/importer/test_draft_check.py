"""check_draft: each kind of problem, with its severity and a fix; a sound draft has none."""

from __future__ import annotations

import pytest

from studio_core.importer import check_draft, propose_manifest
from tests.importer.conftest import graph

INSTALLED = {
    "checkpoints": ["SD15/v1-5-pruned-emaonly.safetensors", "other.safetensors"],
    "loras": ["detail_tweaker.safetensors"],
}


def draft(name: str, object_info, tool_id: str = "imported"):
    return propose_manifest(graph(name), object_info, tool_id)


def codes(problems: list[dict]) -> list[tuple[str, str]]:
    assert all(p["fix"] and p["message"] for p in problems)  # every finding says what to do
    return [(p["code"], p["severity"]) for p in problems]


def only(problems: list[dict], code: str) -> dict:
    found = [p for p in problems if p["code"] == code]
    assert len(found) == 1, problems
    return found[0]


@pytest.mark.parametrize("name", ["invert", "two_images", "checkpoint_lora", "sdxl_refiner"])
def test_a_proposal_of_a_sound_graph_has_no_error(name, object_info):
    manifest, workflow = draft(name, object_info)
    models = {
        **INSTALLED,
        "checkpoints": [
            *INSTALLED["checkpoints"],
            "sd_xl_base_1.0.safetensors",
            "sd_xl_refiner_1.0.safetensors",
        ],
    }
    assert check_draft(manifest, workflow, object_info, models) == []


def test_an_unknown_node_names_its_pack_or_comfyui_manager(object_info):
    manifest, workflow = draft("gguf", object_info)
    problem = only(check_draft(manifest, workflow, object_info, None), "unknown_node")
    assert (problem["severity"], problem["node"]) == ("error", "1")
    assert "UnetLoaderGGUF" in problem["message"] and "ComfyUI-GGUF" in problem["fix"]
    workflow["1"]["class_type"] = "MysteryLoader"
    problem = only(check_draft(manifest, workflow, object_info, None), "unknown_node")
    assert "ComfyUI Manager" in problem["fix"] and "MysteryLoader" in problem["fix"]


def test_nodes_beside_an_unknown_one_are_still_checked(object_info):
    manifest, workflow = draft("gguf", object_info)
    workflow["8"]["inputs"]["steps"] = 0  # KSampler reads from the unknown loader
    problems = check_draft(manifest, workflow, object_info, None)
    assert ("bad_value", "error") in codes(problems)


def test_missing_required_input(object_info):
    manifest, workflow = draft("blur_preview", object_info)
    del workflow["11"]["inputs"]["sigma"]
    problem = only(check_draft(manifest, workflow, object_info, None), "missing_input")
    assert problem["node"] == "11" and "'sigma'" in problem["message"]


def test_an_unknown_input_name_is_a_warning(object_info):
    manifest, workflow = draft("invert", object_info)
    workflow["2"]["inputs"]["strength"] = 1
    problem = only(check_draft(manifest, workflow, object_info, None), "unknown_input")
    assert problem["severity"] == "warning" and "'strength'" in problem["message"]


@pytest.mark.parametrize(
    ("name", "node", "input_name", "value"),
    [
        ("blur_preview", "11", "blur_radius", 99),  # max 31
        ("two_images", "3", "blend_mode", "glow"),  # a V3 combo
        ("checkpoint_lora", "3", "scheduler", "fastest"),  # a V1 combo
    ],
)
def test_values_out_of_range_or_not_among_the_options(object_info, name, node, input_name, value):
    manifest, workflow = draft(name, object_info)
    workflow[node]["inputs"][input_name] = value
    problems = [
        p for p in check_draft(manifest, workflow, object_info, None) if p["code"] == "bad_value"
    ]
    assert [p["node"] for p in problems] == [node]
    assert str(value) in problems[0]["message"]


def test_missing_models_name_their_folder_and_a_subfolder_copy_counts(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    assert check_draft(manifest, workflow, object_info, INSTALLED) == []  # SD15/ subfolder
    problems = check_draft(manifest, workflow, object_info, {"checkpoints": []})
    assert codes(problems) == [("missing_model", "error"), ("missing_model", "error")]
    assert "models/checkpoints/" in problems[0]["fix"] and "models/loras/" in problems[1]["fix"]


def test_a_missing_default_with_another_installed_model_is_a_warning(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    problems = check_draft(
        manifest, workflow, object_info, {**INSTALLED, "checkpoints": ["other.safetensors"]}
    )
    problem = only(problems, "missing_model")
    assert problem["severity"] == "warning" and "other.safetensors" in problem["message"]


def test_the_default_of_a_model_parameter_is_what_is_checked(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    for param in manifest["parameters"]:
        if param["id"] == "model":
            param["default"] = "other.safetensors"
    workflow["4"]["inputs"]["ckpt_name"] = "gone.safetensors"
    assert check_draft(manifest, workflow, object_info, INSTALLED) == []


def test_unknown_installed_models_are_said_not_ignored(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    problem = only(check_draft(manifest, workflow, object_info, None), "models_unchecked")
    assert problem["severity"] == "warning" and "2 model file(s)" in problem["message"]


def test_an_unmapped_load_image_is_an_error(object_info):
    manifest, workflow = draft("two_images", object_info)
    manifest["slots"] = manifest["slots"][:1]
    problem = only(check_draft(manifest, workflow, object_info, None), "unmapped_image")
    assert problem["node"] == "2" and "unmapped required image" in problem["message"]


def test_no_save_image(object_info):
    g = graph("invert")
    g["3"]["class_type"] = "PreviewAny"
    g["3"]["inputs"] = {"source": ["2", 0]}
    manifest, workflow = propose_manifest(g, object_info, "nothing_saved")
    problem = only(check_draft(manifest, workflow, object_info, None), "no_output")
    assert problem["severity"] == "error" and "Save Image" in problem["fix"]


def test_an_output_that_is_no_save_image(object_info):
    manifest, workflow = draft("invert", object_info)
    manifest["outputs"] = ["2"]
    problem = only(check_draft(manifest, workflow, object_info, None), "bad_output")
    assert problem["node"] == "2"


def test_a_replaced_preview_is_a_warning(object_info):
    manifest, workflow = draft("blur_preview", object_info)
    assert codes(check_draft(manifest, workflow, object_info, None)) == [
        ("preview_replaced", "warning")
    ]


def test_a_target_pointing_nowhere_is_the_manifest_error(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    manifest["parameters"][0]["targets"] = [{"node": "404", "input": "text"}]
    problem = only(check_draft(manifest, workflow, object_info, INSTALLED), "manifest_invalid")
    assert "node '404' is not in the template" in problem["message"]


def test_a_target_on_a_link_input(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    manifest["parameters"][0]["targets"] = [{"node": "3", "input": "model"}]
    problem = only(check_draft(manifest, workflow, object_info, INSTALLED), "bad_target")
    assert "3.model" in problem["message"]


def test_an_invalid_default(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    for param in manifest["parameters"]:
        if param["id"] == "steps":
            param["default"] = 500
    problem = only(check_draft(manifest, workflow, object_info, INSTALLED), "bad_default")
    assert "'steps'" in problem["message"] and "at most 150" in problem["message"]


def test_a_sampler_without_a_seed_parameter_is_a_warning(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    manifest["parameters"] = [p for p in manifest["parameters"] if p["id"] != "seed"]
    problem = only(check_draft(manifest, workflow, object_info, INSTALLED), "fixed_seed")
    assert problem["severity"] == "warning" and problem["node"] == "3"


def test_a_link_to_a_missing_node(object_info):
    manifest, workflow = draft("invert", object_info)
    workflow["2"]["inputs"]["image"] = ["77", 0]
    problems = check_draft(manifest, workflow, object_info, None)
    assert codes(problems) == [("bad_link", "error")]
    assert problems[0]["node"] == "2" and "77" in problems[0]["message"]


def test_a_loras_parameter_attached_nowhere(object_info):
    manifest, workflow = draft("checkpoint_lora", object_info)
    for param in manifest["parameters"]:
        if param["type"] == "loras":
            param["attach"] = {"model": ["404", 0]}
    problem = only(check_draft(manifest, workflow, object_info, INSTALLED), "manifest_invalid")
    assert "attach" in problem["message"] and "404" in problem["message"]


def test_a_malformed_manifest_is_reported_not_raised(object_info):
    _manifest, workflow = draft("invert", object_info)
    problems = check_draft({"id": "x"}, workflow, object_info, None)
    assert ("manifest_invalid", "error") in codes(problems)


def test_an_engine_listing_class_names_only_still_checks_inputs(object_info):
    manifest, workflow = draft("blur_preview", object_info)
    workflow["11"]["inputs"]["blur_radius"] = 99
    names_only = {name: {} for name in object_info}
    assert ("bad_value", "error") in codes(check_draft(manifest, workflow, names_only, None))


def test_a_long_chain_is_checked_without_exhausting_the_stack(object_info):
    g = {"1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}}}
    for number in range(2, 500):
        g[str(number)] = {"class_type": "ImageInvert", "inputs": {"image": [str(number - 1), 0]}}
    g["500"] = {"class_type": "SaveImage", "inputs": {"images": ["499", 0], "filename_prefix": "x"}}
    manifest, workflow = propose_manifest(g, object_info, "long")
    assert check_draft(manifest, workflow, object_info, None) == []
    workflow["250"]["inputs"]["image"] = ["251", 0]  # a cycle in the middle
    problems = check_draft(manifest, workflow, object_info, None)
    assert ("invalid_graph", "error") in codes(problems)
    assert any("cycle" in p["message"] for p in problems)
