"""Issue 11, models and sizes: a ratio follows the model's size class, custom sizes, the model
dropdown filtered by family, and template model files found in subfolders."""

from __future__ import annotations

import dataclasses

import pytest

from comfy_schema.object_info import with_file_lists
from studio_core.catalog.build import build_graph
from studio_core.catalog.manifest import ManifestError, parse_param
from studio_core.catalog.sizing import check_pixel_cap, resolve_size
from studio_core.errors import InvalidInput

SD15, SDXL = "SD15/dreamshaper_8.safetensors", "sd_xl_base_1.0.safetensors"
FLUX, PLAIN = "flux1-dev-fp8.safetensors", "my_checkpoint.safetensors"
CHECKPOINTS = {"checkpoints": [SD15, SDXL, FLUX, PLAIN]}
FAMILIES = {
    "checkpoints": {
        SD15: {"family": "sd15", "size_class": 512, "source": "filename"},
        SDXL: {"family": "sdxl", "size_class": 1024, "source": "metadata"},
        FLUX: {"family": "flux", "size_class": 1024, "source": "filename"},
        PLAIN: {"family": "unknown", "size_class": None, "source": "unknown"},
    }
}
# text_to_image's files, each kept in a subfolder of its own (the report)
Z_IMAGE_IN_SUBFOLDERS = {
    "diffusion_models": ["z-image/z_image_turbo_bf16.safetensors"],
    "text_encoders": ["z-image/qwen_3_4b.safetensors"],
    "vae": ["z-image/ae.safetensors"],
}


def classic_params(catalog, families=FAMILIES, **raw):
    tool = catalog.get("text_to_image_classic")
    params = tool.validate(
        {"prompt": "a cat", "seed": 5, **raw}, models_by_folder=CHECKPOINTS, families=families
    )
    return tool, resolve_size(tool, params, families)


def latent_size(graph):
    latent = graph["latent"]["inputs"]
    return latent["width"], latent["height"]


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [
        (SD15, "1:1", "512x512"),
        (SD15, "2:3", "512x768"),
        (SD15, "16:9", "768x432"),
        (SDXL, "1:1", "1024x1024"),
        (SDXL, "9:16", "768x1344"),
        (PLAIN, "1:1", "1024x1024"),  # unknown family: the template's own preset
        (PLAIN, "3:2", "1248x832"),
    ],
)
def test_a_ratio_becomes_the_models_class_size(catalog, model, ratio, size):
    tool, params = classic_params(catalog, model=model, aspect_ratio=ratio)
    assert params["aspect_ratio"] == size
    graph = build_graph(tool, params, {}, "studio/job-1")
    width, height = (int(x) for x in size.split("x"))
    assert latent_size(graph) == (width, height)
    # what is stored validates again in the worker and builds the same graph
    again = tool.validate(params)
    assert again["aspect_ratio"] == size and build_graph(tool, again, {}, "studio/job-1") == graph


def test_sd2_768_and_name_fallback_without_published_families(catalog):
    tool = catalog.get("text_to_image_classic")
    sd2 = {"checkpoints": {"v2.safetensors": {"family": "sd2", "size_class": 768}}}
    params = tool.validate({"prompt": "p", "model": "v2.safetensors", "aspect_ratio": "4:3"})
    assert resolve_size(tool, params, sd2)["aspect_ratio"] == "896x672"
    # an engine that published no families yet: the file name decides
    params = tool.validate({"prompt": "p", "model": "v1-5-pruned-emaonly.safetensors"})
    assert resolve_size(tool, params, None)["aspect_ratio"] == "512x512"


def test_literals_and_tools_without_size_classes_are_kept(catalog):
    _tool, params = classic_params(catalog, model=SD15, aspect_ratio="768x512")
    assert params["aspect_ratio"] == "768x512"
    t2i = catalog.get("text_to_image")
    params = t2i.validate({"prompt": "p", "aspect_ratio": "16:9"})
    assert resolve_size(t2i, params, FAMILIES)["aspect_ratio"] == "16:9"
    edit = catalog.get("single_image_edit")
    params = edit.validate({"prompt": "p", "aspect_ratio": "keep"}, images=["input"])
    assert resolve_size(edit, params, FAMILIES)["aspect_ratio"] == "keep"


@pytest.mark.parametrize(
    ("tool_id", "value", "message"),
    [
        ("text_to_image_classic", "770x512", "multiples of 8"),
        ("text_to_image_classic", "512x4096", "between 64 and 2048"),
        ("text_to_image_classic", "48x48", "between 64 and 2048"),
        ("text_to_image_classic", "square", "must be one of"),
        ("text_to_image", "520x512", "multiples of 16"),  # EmptySD3LatentImage steps by 16
        ("text_to_image", "128x512", "between 256 and 2048"),
        ("single_image_edit", "512x512", "must be one of"),  # presets only
    ],
)
def test_custom_sizes_are_refused_naming_the_field(catalog, tool_id, value, message):
    tool = catalog.get(tool_id)
    images = ["input"] if tool.slots else None
    with pytest.raises(InvalidInput) as info:
        tool.validate({"prompt": "p", "aspect_ratio": value}, images=images)
    assert info.value.field == "aspect_ratio" and message in info.value.message


def test_custom_sizes_build(catalog):
    t2i = catalog.get("text_to_image")
    params = t2i.validate({"prompt": "p", "seed": 1, "aspect_ratio": "1536x640"})
    assert latent_size(build_graph(t2i, params, {}, "studio/j")) == (1536, 640)


def test_class_sizes_without_custom_and_the_pixel_cap(catalog):
    classic = catalog.get("text_to_image_classic")
    param = classic.param("aspect_ratio")
    presets_only = dataclasses.replace(
        classic,
        parameters=[dataclasses.replace(p, custom=None) if p is param else p
                    for p in classic.parameters],
    )  # fmt: skip
    # a remix of a stored class size stays valid; another size needs `custom`
    assert presets_only.validate({"prompt": "p", "aspect_ratio": "432x768"})["aspect_ratio"]
    with pytest.raises(InvalidInput):
        presets_only.validate({"prompt": "p", "aspect_ratio": "800x600"})
    params = classic.validate({"prompt": "p", "aspect_ratio": "2048x2048"})
    with pytest.raises(InvalidInput) as info:
        check_pixel_cap(classic, params, 1536 * 1536)
    assert info.value.field == "aspect_ratio" and "4194304 pixels" in info.value.message
    check_pixel_cap(classic, {**params, "aspect_ratio": "1536x1536"}, 1536 * 1536)


def test_model_dropdown_follows_the_family_filter(catalog):
    classic = catalog.get("text_to_image_classic")
    # a Flux all-in-one in checkpoints is not offered; a file of unknown family still is
    assert classic.fitting_models(CHECKPOINTS, FAMILIES) == sorted([PLAIN, SD15, SDXL])
    assert FLUX in classic.fitting_models(CHECKPOINTS)  # without families: names only
    public = classic.public_dict("en", CHECKPOINTS, FAMILIES, 2_359_296)
    model = next(p for p in public["parameters"] if p["id"] == "model")
    assert model["choices"] == sorted([PLAIN, SD15, SDXL])
    assert (
        model["families"][SD15] == FAMILIES["checkpoints"][SD15] and FLUX not in model["families"]
    )
    with pytest.raises(InvalidInput) as info:
        classic.validate({"prompt": "p", "model": FLUX}, models_by_folder=CHECKPOINTS,
                         families=FAMILIES)  # fmt: skip
    assert info.value.field == "model" and "flux" in info.value.message
    only_flux = {"checkpoints": [FLUX]}
    assert (
        classic.availability({n: {} for n in classic.requires["nodes"]}, only_flux, FAMILIES)[
            "status"
        ]
        == "missing_model"
    )


def test_public_sizes(catalog):
    public = catalog.get("text_to_image_classic").public_dict("en", None, None, 2_359_296)
    aspect = next(p for p in public["parameters"] if p["id"] == "aspect_ratio")
    assert set(aspect["size_classes"]) == {"512", "768", "1024"}
    assert {"id": "1:1", "width": 512, "height": 512} in aspect["size_classes"]["512"]
    assert {"id": "16:9", "width": 1024, "height": 576} in aspect["size_classes"]["768"]
    assert len(aspect["size_classes"]["1024"]) == len(aspect["presets"]) == 7
    assert aspect["custom"] == {"step": 8, "min": 64, "max": 2048, "max_pixels": 2_359_296}
    t2i = catalog.get("text_to_image").public_dict()
    aspect = next(p for p in t2i["parameters"] if p["id"] == "aspect_ratio")
    assert "size_classes" not in aspect and aspect["custom"]["step"] == 16


def test_template_files_in_subfolders_are_found(catalog, object_info):
    tool = catalog.get("text_to_image")
    info = with_file_lists(object_info, {}, [])
    assert tool.availability(info, Z_IMAGE_IN_SUBFOLDERS) == {"status": "ready", "reason": ""}
    params = tool.validate({"prompt": "p", "seed": 3}, models_by_folder=Z_IMAGE_IN_SUBFOLDERS)
    assert params["model"] == "z-image/z_image_turbo_bf16.safetensors"  # the default, found
    graph = build_graph(tool, params, {}, "studio/j", models=Z_IMAGE_IN_SUBFOLDERS)
    assert graph["vae"]["inputs"]["vae_name"] == "z-image/ae.safetensors"
    assert graph["clip"]["inputs"]["clip_name"] == "z-image/qwen_3_4b.safetensors"
    assert graph["unet"]["inputs"]["unet_name"] == "z-image/z_image_turbo_bf16.safetensors"
    # without the engine's lists (or with the file at the top) the template's name stays
    assert (
        build_graph(tool, params, {}, "studio/j")["vae"]["inputs"]["vae_name"] == "ae.safetensors"
    )
    top = {**Z_IMAGE_IN_SUBFOLDERS, "vae": ["ae.safetensors", "z-image/ae.safetensors"]}
    assert build_graph(tool, params, {}, "studio/j", models=top)["vae"]["inputs"]["vae_name"] == (
        "ae.safetensors"
    )
    missing = {**Z_IMAGE_IN_SUBFOLDERS, "vae": ["other/vae.safetensors"]}
    assert tool.availability(info, missing)["reason"] == "missing model: vae/ae.safetensors"


def test_windows_subfolder_names(catalog):
    tool = catalog.get("text_to_image_classic")
    models = {"checkpoints": ["SDXL\\juggernautXL_v9.safetensors", "SD15\\sd15.safetensors"]}
    params = tool.validate(
        {"prompt": "p", "model": "SDXL\\juggernautXL_v9.safetensors"}, models_by_folder=models
    )
    assert resolve_size(tool, params, None)["aspect_ratio"] == "1024x1024"
    with pytest.raises(InvalidInput) as info:
        tool.validate({"prompt": "p", "model": "SDXL\\other.safetensors"}, models_by_folder=models)
    assert info.value.field == "model" and "not installed" in info.value.message
    graph = build_graph(
        catalog.get("text_to_image"),
        catalog.get("text_to_image").validate({"prompt": "p", "seed": 1}),
        {},
        "studio/j",
        models={"vae": ["Z\\ae.safetensors"]},
    )
    assert graph["vae"]["inputs"]["vae_name"] == "Z\\ae.safetensors"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"filter": {"families": ["sd99"]}}, "filter 'families'"),
        ({"filter": {"families": "sd15"}}, "filter 'families'"),
        ({"size_classes": True}, "'size_classes' is a boolean of an aspect"),
        ({"custom": {"step": 8}}, "'custom' is {step, min, max} of an aspect"),
    ],
)
def test_manifest_refuses_bad_model_filters(catalog, extra, message):
    tool = catalog.get("text_to_image_classic")
    raw = {"id": "model", "type": "model", "label": {"en": "M", "zh-TW": "M"},
           "folder": "checkpoints", "default": SDXL,
           "targets": [{"node": "checkpoint", "input": "ckpt_name"}], **extra}  # fmt: skip
    with pytest.raises(ManifestError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_param(raw, tool.workflow, tool.id)


@pytest.mark.parametrize(
    "custom",
    [{"step": 0}, {"step": 8, "min": 60}, {"min": 512, "max": 256}, {"max": "big"}, {"x": 1}],
)
def test_manifest_refuses_bad_custom_sizes(catalog, custom):
    tool = catalog.get("text_to_image_classic")
    raw = {"id": "aspect_ratio", "type": "aspect", "label": {"en": "A", "zh-TW": "A"},
           "default": "1:1", "targets": {"width": [{"node": "latent", "input": "width"}],
                                         "height": [{"node": "latent", "input": "height"}]},
           "presets": [{"id": "1:1", "width": 512, "height": 512}], "custom": custom}  # fmt: skip
    with pytest.raises(ManifestError, match="custom"):
        parse_param(raw, tool.workflow, tool.id)
