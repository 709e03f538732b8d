"""Catalog loading, lookup, the public view and live availability."""

from __future__ import annotations

import json

import pytest

from comfy_schema.object_info import with_file_lists
from studio_core.catalog.manifest import ManifestError
from studio_core.catalog.tools import Catalog, models_from_object_info
from studio_core.errors import UnknownTool

ALL_MODELS = {
    "diffusion_models": ["z_image_turbo_bf16.safetensors", "qwen_image_edit_2509_fp8_e4m3fn.safetensors"],
    "text_encoders": ["qwen_3_4b.safetensors", "qwen_2.5_vl_7b_fp8_scaled.safetensors"],
    "vae": ["ae.safetensors", "qwen_image_vae.safetensors"],
    "loras": ["Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors"],
    "checkpoints": ["sd_xl_base_1.0.safetensors"],
}  # fmt: skip


def test_shipped_tools_in_display_order(catalog):
    assert [tool.id for tool in catalog.tools] == [
        "text_to_image",
        "text_to_image_classic",
        "single_image_edit",
        "sketch_to_image",
        "face_swap",
        "multi_image_blend",
    ]
    assert catalog.get("text_to_image_classic").variant_of == "text_to_image"
    assert catalog.get("text_to_image").model_folder == "diffusion_models"
    assert catalog.get("text_to_image_classic").model_folder == "checkpoints"
    assert catalog.get("face_swap").model_folder is None


@pytest.mark.parametrize("tool_id", ["nope", "", None, "../text_to_image"])
def test_unknown_tool(catalog, tool_id):
    with pytest.raises(UnknownTool) as caught:
        catalog.get(tool_id)
    assert caught.value.code == "unknown_tool"


def test_public_dict_hides_the_template(catalog):
    for tool in catalog.tools:
        public = tool.public_dict()
        text = json.dumps(public)
        for key in ('"targets"', '"node"', '"rewire"', '"template"', '"detach"', "class_type"):
            assert key not in text
        assert public["name"] == tool.name
        assert {p["id"] for p in public["parameters"]} == set(tool.parameter_ids)


def test_public_dict_in_one_language(catalog):
    public = catalog.get("single_image_edit").public_dict("zh-TW")
    assert public["name"] == "單圖編輯"
    assert public["slots"] == [{"id": "input", "label": "輸入圖片", "required": True, "mask": True}]
    aspect = next(p for p in public["parameters"] if p["id"] == "aspect_ratio")
    assert aspect["presets"][0]["id"] == "keep" and aspect["presets"][0]["label"] == "保持原圖比例"
    assert {"id": "16:9", "width": 1344, "height": 768} in aspect["presets"]
    model = next(p for p in catalog.get("text_to_image").public_dict("en")["parameters"]
                 if p["id"] == "model")  # fmt: skip
    assert model["folder"] == "diffusion_models"


def test_availability(catalog, object_info):
    tool = catalog.get("text_to_image")
    assert tool.availability(None)["status"] == "engine_offline"
    assert tool.availability(object_info)["status"] == "missing_model"
    ready = with_file_lists(object_info, ALL_MODELS, [])
    for each in catalog.tools:
        assert each.availability(ready) == {"status": "ready", "reason": ""}
    partial = {k: v for k, v in object_info.items() if k != "CFGNorm"}
    result = catalog.get("face_swap").availability(partial, ALL_MODELS)
    assert result == {"status": "missing_nodes", "reason": "missing nodes: CFGNorm"}
    no_lora = {**ALL_MODELS, "loras": []}
    result = catalog.get("face_swap").availability(object_info, no_lora)
    assert result["status"] == "missing_model"
    assert "loras/Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors" in result["reason"]


def test_model_dropdown_default_may_be_absent(catalog, object_info):
    classic = catalog.get("text_to_image_classic")
    other = {"checkpoints": ["sd15/dreamshaper_8.safetensors"]}
    assert classic.availability(object_info, other)["status"] == "ready"
    result = classic.availability(object_info, {"checkpoints": []})
    # the classic tool filters its checkpoints by family (SD 1.x/2.x/XL only)
    assert result == {"status": "missing_model", "reason": "missing model: any file in checkpoints "
                      "that fits this tool, checkpoints/sd_xl_base_1.0.safetensors"}  # fmt: skip


def test_models_from_object_info(object_info):
    filled = with_file_lists(object_info, {"loras": ["a.safetensors"], "vae": ["v.pt"]}, [])
    models = models_from_object_info(filled)
    assert models["loras"] == ["a.safetensors"]
    assert "v.pt" in models["vae"]


def test_load_other_folder_and_errors(catalog_copy):
    assert len(Catalog.load(catalog_copy.root).tools) == 6
    manifest = catalog_copy.read("face_swap", "manifest")
    manifest["parameters"][0]["targets"] = [{"node": "nowhere", "input": "prompt"}]
    catalog_copy.write("face_swap", "manifest", manifest)
    with pytest.raises(ManifestError, match="node 'nowhere' is not in the template"):
        Catalog.load(catalog_copy.root)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: m.update(id="other"), "differs from its folder"),
        (lambda m: m["parameters"][1].update(type="number"), "unknown type"),
        (lambda m: m["parameters"][3].update(default="5:4"), "not among the choices"),
        (lambda m: m["name"].pop("zh-TW"), "zh-TW"),
        (lambda m: m["parameters"][0].update(template="no placeholder"), "must contain"),
    ],
)
def test_malformed_manifest(catalog_copy, edit, match):
    manifest = catalog_copy.read("text_to_image", "manifest")
    edit(manifest)
    catalog_copy.write("text_to_image", "manifest", manifest)
    with pytest.raises(ManifestError, match=match):
        Catalog.load(catalog_copy.root)
