"""Custom node packs the studio can name for a node class ComfyUI does not have, and the
model files custom loaders read (so a draft lists them like the core loaders' files)."""

from __future__ import annotations

from comfy_schema.object_info import FILE_COMBOS, INPUT_FILES
from studio_core.catalog.workflow import LOADER_INPUTS

# Exact class names first, then prefixes and suffixes; the pack names are as ComfyUI Manager
# lists them, so an admin can search for them there.
EXACT_PACKS: dict[str, str] = {
    "UnetLoaderGGUF": "ComfyUI-GGUF",
    "UnetLoaderGGUFAdvanced": "ComfyUI-GGUF",
    "CLIPLoaderGGUF": "ComfyUI-GGUF",
    "DualCLIPLoaderGGUF": "ComfyUI-GGUF",
    "TripleCLIPLoaderGGUF": "ComfyUI-GGUF",
    "QuadrupleCLIPLoaderGGUF": "ComfyUI-GGUF",
    "FaceDetailer": "ComfyUI-Impact-Pack",
    "SAMLoader": "ComfyUI-Impact-Pack",
    "UltralyticsDetectorProvider": "ComfyUI-Impact-Subpack",
    "UltimateSDUpscale": "ComfyUI_UltimateSDUpscale",
    "UltimateSDUpscaleNoUpscale": "ComfyUI_UltimateSDUpscale",
    "Efficient Loader": "efficiency-nodes-comfyui",
    "KSampler (Efficient)": "efficiency-nodes-comfyui",
    "AIO_Preprocessor": "comfyui_controlnet_aux",
    "CannyEdgePreprocessor": "comfyui_controlnet_aux",
    "DepthAnythingV2Preprocessor": "comfyui_controlnet_aux",
    "OpenposePreprocessor": "comfyui_controlnet_aux",
}
PREFIX_PACKS: tuple[tuple[str, str], ...] = (
    ("ReActor", "comfyui-reactor-node"),
    ("IPAdapter", "ComfyUI_IPAdapter_plus"),
    ("Impact", "ComfyUI-Impact-Pack"),
    ("VHS_", "ComfyUI-VideoHelperSuite"),
    ("CR ", "ComfyUI_Comfyroll_CustomNodes"),
    ("easy ", "ComfyUI-Easy-Use"),
)
SUFFIX_PACKS: tuple[tuple[str, str], ...] = (
    (" (rgthree)", "rgthree-comfy"),
    ("|pysssss", "ComfyUI-Custom-Scripts"),
    (" (WAS)", "was-node-suite-comfyui"),
)

# Model-file inputs of custom loaders: (class, input) -> the folder key ComfyUI lists them
# under (ComfyUI-GGUF registers "unet_gguf" and "clip_gguf": the core folders' lists leave
# .gguf files out).
CUSTOM_FILE_INPUTS: dict[tuple[str, str], str] = {
    ("UnetLoaderGGUF", "unet_name"): "unet_gguf",
    ("UnetLoaderGGUFAdvanced", "unet_name"): "unet_gguf",
    ("CLIPLoaderGGUF", "clip_name"): "clip_gguf",
    ("DualCLIPLoaderGGUF", "clip_name1"): "clip_gguf",
    ("DualCLIPLoaderGGUF", "clip_name2"): "clip_gguf",
}
# Loaders of the main model the user picks, with their file input and folder.
MAIN_LOADERS: dict[str, tuple[str, str]] = {
    "CheckpointLoaderSimple": LOADER_INPUTS["CheckpointLoaderSimple"],
    "UNETLoader": LOADER_INPUTS["UNETLoader"],
    "UnetLoaderGGUF": ("unet_name", "unet_gguf"),
    "UnetLoaderGGUFAdvanced": ("unet_name", "unet_gguf"),
}


def pack_for(class_type: str) -> str | None:
    """The custom node pack that provides `class_type`, when the studio knows it."""
    if class_type in EXACT_PACKS:
        return EXACT_PACKS[class_type]
    for prefix, pack in PREFIX_PACKS:
        if class_type.startswith(prefix):
            return pack
    for suffix, pack in SUFFIX_PACKS:
        if class_type.endswith(suffix):
            return pack
    return None


def model_inputs(class_type: str) -> list[tuple[str, str]]:
    """(input name, model folder) of every model-file input of a node class."""
    found = {
        name: folder
        for (cls, name), folder in {**FILE_COMBOS, **CUSTOM_FILE_INPUTS}.items()
        if cls == class_type and folder != INPUT_FILES
    }
    if class_type in LOADER_INPUTS:
        name, folder = LOADER_INPUTS[class_type]
        found[name] = folder
    return sorted(found.items())
