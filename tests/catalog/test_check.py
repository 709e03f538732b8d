"""The catalog check passes on the shipped catalog and catches each kind of broken template."""

from __future__ import annotations

import pytest

from studio_core.catalog.check import check_catalog, main


def test_shipped_catalog_is_sound():
    assert check_catalog() == []


def test_cli_prints_one_line_per_tool(capsys):
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all(line.startswith("ok") for line in lines)


def edit_workflow(copy, tool_id, change):
    workflow = copy.read(tool_id, "workflow")
    change(workflow)
    copy.write(tool_id, "workflow", workflow)


def edit_manifest(copy, tool_id, change):
    manifest = copy.read(tool_id, "manifest")
    change(manifest)
    copy.write(tool_id, "manifest", manifest)


def prompt_to_negative(manifest):
    manifest["parameters"][0]["targets"] = [{"node": "negative", "input": "prompt"}]


def backslash_path(workflow):
    workflow["unet"]["inputs"]["unet_name"] = "z-image\\z_image_turbo_bf16.safetensors"


def second_save(workflow):
    workflow["save2"] = {"class_type": "SaveImage", "inputs": {"images": ["decode", 0],
                         "filename_prefix": "ComfyUI"}}  # fmt: skip


def unmapped_seed(manifest):
    next(p for p in manifest["parameters"] if p["id"] == "seed")["targets"] = []


def width_to_height(manifest):
    aspect = next(p for p in manifest["parameters"] if p["id"] == "aspect_ratio")
    aspect["targets"]["width"] = [{"node": "latent", "input": "height"}]


def model_to_vae(manifest):
    model = next(p for p in manifest["parameters"] if p["id"] == "model")
    model["targets"] = [{"node": "vae", "input": "vae_name"}]


def bad_input_name(manifest):
    manifest["parameters"][0]["targets"] = [{"node": "positive", "input": "clip"}]


def mask_rewire(manifest, node, name, link):
    manifest["slots"][0]["mask"] = {"rewire": [{"node": node, "input": name, "link": link}]}


def mask_reads_the_image(workflow):
    workflow["mask_latent"]["inputs"]["mask"] = ["load_input", 0]


def aspect_custom(manifest, **custom):
    next(p for p in manifest["parameters"] if p["id"] == "aspect_ratio")["custom"] = custom


def size_classes_to_another_latent(workflow):
    """A second latent the sampler does not read, so class sizes never reach the sampler."""
    workflow["latent2"] = {"class_type": "EmptyLatentImage",
                           "inputs": {"width": 512, "height": 512, "batch_size": 1}}  # fmt: skip
    workflow["sampler"]["inputs"]["latent_image"] = ["latent2", 0]


def filter_refusing_the_default(manifest):
    model = next(p for p in manifest["parameters"] if p["id"] == "model")
    model["filter"] = {"exclude": ["z_image*"]}


@pytest.mark.parametrize(
    ("tool_id", "kind", "change", "expected"),
    [
        ("text_to_image", "workflow", lambda w: w.pop("shift"), "links to missing nodes"),
        ("text_to_image", "workflow", lambda w: w["vae"].update(class_type="NoSuchLoader"),
         "not in ComfyUI core"),
        ("text_to_image", "workflow", lambda w: w["sampler"]["inputs"].update(sampler_name="magic"),
         "Value not in list"),
        ("text_to_image", "workflow", lambda w: w["sampler"]["inputs"].pop("scheduler"),
         "Required input is missing"),
        ("text_to_image", "workflow", backslash_path, "backslash"),
        ("text_to_image", "workflow", second_save, "exactly one SaveImage"),
        ("single_image_edit", "workflow",
         lambda w: w["scale_input"]["inputs"].update(upscale_method="magic"), "not an option"),
        ("multi_image_blend", "manifest", prompt_to_negative, "does not land in the positive"),
        ("face_swap", "manifest", unmapped_seed, "not mapped by a 'seed' param"),
        ("text_to_image", "manifest", width_to_height, "gets size"),
        ("text_to_image", "manifest", model_to_vae, "is no diffusion_models loader"),
        ("sketch_to_image", "manifest", bad_input_name, "cannot take a value"),
        ("text_to_image_classic", "manifest",
         lambda m: m["requires"]["models"].update(checkpoints=["other.safetensors"]),
         "requires.models"),
        # the mask path: a MASK where a LATENT goes, a mask that never reaches the sampler,
        # a mask rewire onto a value input, a mask node wired in without a mask
        ("single_image_edit", "workflow", mask_reads_the_image, "Return type mismatch"),
        ("single_image_edit", "manifest",
         lambda m: mask_rewire(m, "sampler", "latent_image", ["repeat", 0]),
         "the mask does not reach sampler"),
        ("single_image_edit", "manifest",
         lambda m: mask_rewire(m, "sampler", "steps", ["mask_latent", 0]), "cannot take a link"),
        ("single_image_edit", "workflow",
         lambda w: w["sampler"]["inputs"].update(latent_image=["mask_latent", 0]),
         "the mask path stays without a mask"),
        ("single_image_edit", "manifest",
         lambda m: m["requires"].update(nodes=[n for n in m["requires"]["nodes"]
                                               if n != "SetLatentNoiseMask"]),
         "requires.nodes"),
        ("text_to_image", "manifest", filter_refusing_the_default, "does not fit this tool"),
        # custom sizes must suit the latent node: its step (16 for EmptySD3LatentImage) and max
        ("text_to_image", "manifest", lambda m: aspect_custom(m, step=8, min=256, max=2048),
         "custom step 8 is no multiple of EmptySD3LatentImage.width's step 16"),
        ("text_to_image_classic", "manifest", lambda m: aspect_custom(m, step=8, min=8, max=64),
         "sizes [8] do not suit EmptyLatentImage.width"),
        # every class size and custom size is built and must reach the sampler's latent
        ("text_to_image_classic", "workflow", size_classes_to_another_latent,
         "[aspect_ratio=432x768] '432x768': sampler sampler gets size [(512, 512)]"),
    ],
)  # fmt: skip
def test_broken_copies_fail(catalog_copy, capsys, tool_id, kind, change, expected):
    editor = edit_workflow if kind == "workflow" else edit_manifest
    editor(catalog_copy, tool_id, change)
    problems = check_catalog(catalog_copy.root)
    assert problems, "the check accepted a broken template"
    assert all(p.startswith(f"{tool_id}") for p in problems), problems
    assert any(expected in p for p in problems), problems
    assert main(["--catalog", str(catalog_copy.root)]) == 1
    assert f"FAIL {tool_id}" in capsys.readouterr().out


def test_unparsable_json_is_a_problem(catalog_copy):
    (catalog_copy.root / "face_swap" / "workflow.json").write_text("{nope", encoding="utf-8")
    problems = check_catalog(catalog_copy.root)
    assert len(problems) == 1 and problems[0].startswith("face_swap: face_swap/workflow.json")
