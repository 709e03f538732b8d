"""Node schemas: the shipped copy of ComfyUI's /object_info and the file lists filled in.

`data/object_info.json` is what a real ComfyUI 0.3.64 reported, with installation-dependent
lists (model files, input images) emptied. `with_file_lists` fills them, the way ComfyUI
scans its folders on every /object_info call (the simulator from its model config and
input/ folder, the catalog check from what the templates load).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "object_info.json"

# The folder keys ComfyUI reports on GET /models, in its order.
MODEL_FOLDERS = [
    "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
    "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen",
    "upscale_models", "custom_nodes", "hypernetworks", "photomaker", "classifiers",
    "model_patches", "audio_encoders",
]  # fmt: skip

INPUT_FILES = "<input>"

# (class_type, input name) -> model folder whose files fill that combo.
FILE_COMBOS: dict[tuple[str, str], str] = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("CheckpointLoader", "ckpt_name"): "checkpoints",
    ("CheckpointLoader", "config_name"): "configs",
    ("ImageOnlyCheckpointLoader", "ckpt_name"): "checkpoints",
    ("unCLIPCheckpointLoader", "ckpt_name"): "checkpoints",
    ("CreateHookModelAsLora", "ckpt_name"): "checkpoints",
    ("CreateHookModelAsLoraModelOnly", "ckpt_name"): "checkpoints",
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("DualCLIPLoader", "clip_name1"): "text_encoders",
    ("DualCLIPLoader", "clip_name2"): "text_encoders",
    ("TripleCLIPLoader", "clip_name1"): "text_encoders",
    ("TripleCLIPLoader", "clip_name2"): "text_encoders",
    ("TripleCLIPLoader", "clip_name3"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name1"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name2"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name3"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name4"): "text_encoders",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("VAELoader", "vae_name"): "vae",
    ("LoraLoader", "lora_name"): "loras",
    ("LoraLoaderModelOnly", "lora_name"): "loras",
    ("CreateHookLora", "lora_name"): "loras",
    ("CreateHookLoraModelOnly", "lora_name"): "loras",
    ("ControlNetLoader", "control_net_name"): "controlnet",
    ("DiffControlNetLoader", "control_net_name"): "controlnet",
    ("DiffusersLoader", "model_path"): "diffusers",
    ("GLIGENLoader", "gligen_name"): "gligen",
    ("HypernetworkLoader", "hypernetwork_name"): "hypernetworks",
    ("StyleModelLoader", "style_model_name"): "style_models",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("PhotoMakerLoader", "photomaker_model_name"): "photomaker",
    ("ModelPatchLoader", "name"): "model_patches",
    ("LoadImage", "image"): INPUT_FILES,
    ("LoadImageMask", "image"): INPUT_FILES,
}

# Nodes whose VALIDATE_INPUTS checks that the named input file exists (and so skips the combo check).
FILE_VALIDATED_INPUTS: dict[str, str] = {"LoadImage": "image", "LoadImageMask": "image"}


@lru_cache(maxsize=1)
def shipped_object_info() -> dict[str, Any]:
    """The shipped schemas, parsed once; callers must not mutate the result."""
    with DATA_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


def load_object_info() -> dict[str, Any]:
    """A private copy of the shipped node schemas (file lists empty), keyed by class_type."""
    return copy.deepcopy(shipped_object_info())


def with_file_lists(
    object_info: dict[str, Any], models: dict[str, list[str]], input_files: list[str]
) -> dict[str, Any]:
    """A copy of `object_info` whose model and input-image combos list the given files."""
    filled = dict(object_info)
    for (class_type, name), folder in FILE_COMBOS.items():
        if class_type not in filled:
            continue
        files = input_files if folder == INPUT_FILES else models.get(folder, [])
        if filled[class_type] is object_info[class_type]:
            filled[class_type] = copy.deepcopy(object_info[class_type])
        for section in ("required", "optional"):
            spec = filled[class_type]["input"].get(section, {}).get(name)
            if spec is not None:
                _fill_combo(spec, files)
    return filled


def _fill_combo(spec: list, files: list[str]) -> None:
    # V1 combo: the files come first, fixed entries (VAELoader's pixel_space) stay.
    if isinstance(spec[0], list):
        spec[0] = list(dict.fromkeys([*files, *spec[0]]))
    elif spec[0] == "COMBO" and len(spec) > 1:
        spec[1]["options"] = list(dict.fromkeys([*files, *spec[1].get("options", [])]))


def is_output_node(info: dict[str, Any]) -> bool:
    """True for classes ComfyUI treats as outputs (OUTPUT_NODE)."""
    return info.get("output_node") is True


def iter_inputs(info: dict[str, Any]) -> Iterator[tuple[str, str, list]]:
    """(name, category, spec) for required then optional inputs, in the schema's input_order."""
    for category in ("required", "optional"):
        specs = info["input"].get(category, {})
        order = info.get("input_order", {}).get(category, list(specs))
        for name in [*order, *(n for n in specs if n not in order)]:
            if name in specs:
                yield name, category, specs[name]


def input_type_and_extra(spec: list) -> tuple[Any, dict[str, Any]]:
    """ComfyUI's get_input_info: the type (a str, or the option list of a V1 combo) and options."""
    extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return spec[0], extra


def v3_combo_options(spec: list) -> list | None:
    """The options of a V3 `["COMBO", {"options": [...]}]` input, else None."""
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return spec[1].get("options")
    return None
