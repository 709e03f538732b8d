"""Simulator settings: timings, model lists, preview switch and injected faults.

The CLI builds the start-up `SimConfig`; `POST /sim/config` patches a live copy and
`POST /sim/reset` goes back to the start-up values.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Each list in the order ComfyUI lists it (sorted, subfolders joined by "/"), so a test may
# compare GET /models/{folder} with it. The demo names, the files the shipped catalog's
# templates use by default, and (issue 11) files in subfolders, with and without metadata.
DEFAULT_MODELS: dict[str, list[str]] = {
    "checkpoints": [
        "SD15/dreamshaper_8.safetensors",
        "SDXL/juggernautXL_v9.safetensors",
        "ponyDiffusionV6XL.safetensors",  # no metadata: its family is only guessable by name
        "sd15-demo.safetensors",
        "sd_xl_base_1.0.safetensors",
        "sdxl-demo.safetensors",
        "v1-5-pruned-emaonly.safetensors",
    ],
    "diffusion_models": [
        "qwen_image_edit_2509_fp8_e4m3fn.safetensors",
        "z_image_turbo_bf16.safetensors",
        # a second text-to-image model, so text_to_image's dropdown has a real choice
        "z_image_turbo_fp8_e4m3fn.safetensors",
    ],
    "text_encoders": ["qwen_2.5_vl_7b_fp8_scaled.safetensors", "qwen_3_4b.safetensors"],
    "vae": ["ae.safetensors", "qwen_image_vae.safetensors"],
    "loras": [
        "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors",
        "SD15/add_detail.safetensors",
        "SDXL/xl_more_art-full.safetensors",
    ],
}

# The safetensors `__metadata__` of some demo files, keyed "<folder>/<name as listed>"; the
# others have none. Values are strings, as the safetensors format requires.
DEFAULT_MODEL_METADATA: dict[str, dict[str, str]] = {
    "checkpoints/SD15/dreamshaper_8.safetensors": {
        "modelspec.architecture": "stable-diffusion-v1",
        "modelspec.title": "DreamShaper 8",
    },
    "checkpoints/SDXL/juggernautXL_v9.safetensors": {
        "modelspec.architecture": "stable-diffusion-xl-v1-base",
        "modelspec.title": "Juggernaut XL v9",
    },
    "checkpoints/sd_xl_base_1.0.safetensors": {
        "modelspec.architecture": "stable-diffusion-xl-v1-base",
    },
    "checkpoints/v1-5-pruned-emaonly.safetensors": {
        "modelspec.architecture": "stable-diffusion-v1",
    },
    "loras/SD15/add_detail.safetensors": {  # as kohya's sd-scripts write it
        "ss_base_model_version": "sd_v1",
        "ss_network_module": "networks.lora",
    },
    "loras/SDXL/xl_more_art-full.safetensors": {
        "modelspec.architecture": "stable-diffusion-xl-v1-base/lora",
    },
}

NODE_FAULTS = ("fail_at_node", "die_at_node", "drop_ws_at_node", "stall_at_node")


@dataclass
class Faults:
    """Injected faults; node faults match a node id or a class_type."""

    fail_at_node: str | None = None
    die_at_node: str | None = None
    drop_ws_at_node: str | None = None
    stall_at_node: str | None = None
    slow_view_ms: int = 0

    def matches(self, fault: str, node_id: str, class_type: str) -> bool:
        """True when the node fault `fault` targets this node (by id or class)."""
        target = getattr(self, fault)
        return target is not None and target in (node_id, class_type)


@dataclass
class SimConfig:
    """Everything the simulator can be told at start-up or at run time."""

    host: str = "127.0.0.1"
    port: int = 8188
    data_dir: Path = Path("storage/comfyui_sim")
    node_ms: int = 50
    step_ms: int = 100
    models: dict[str, list[str]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_MODELS))
    model_metadata: dict[str, dict[str, str]] = field(
        default_factory=lambda: copy.deepcopy(DEFAULT_MODEL_METADATA)
    )
    preview: bool = False
    faults: Faults = field(default_factory=Faults)

    def copy(self) -> SimConfig:
        """A deep copy, so patches never leak into the start-up values."""
        return copy.deepcopy(self)

    def to_json(self) -> dict[str, Any]:
        """The run-time settable part, as `GET /sim/config` shows it."""
        return {
            "node_ms": self.node_ms,
            "step_ms": self.step_ms,
            "models": self.models,
            "model_metadata": self.model_metadata,
            "preview": self.preview,
            "faults": asdict(self.faults),
        }

    def apply(self, patch: dict[str, Any]) -> None:
        """Apply a partial JSON patch; raises ValueError on unknown keys or bad types."""
        if not isinstance(patch, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(patch) - {
            "node_ms",
            "step_ms",
            "models",
            "model_metadata",
            "preview",
            "faults",
        }
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        new = self.copy()
        for key in ("node_ms", "step_ms"):
            if key in patch:
                setattr(new, key, _non_negative_int(key, patch[key]))
        if "preview" in patch:
            if not isinstance(patch["preview"], bool):
                raise ValueError("preview must be a boolean")
            new.preview = patch["preview"]
        if "models" in patch:
            new.models = parse_models(patch["models"])
        if "model_metadata" in patch:
            new.model_metadata = parse_model_metadata(patch["model_metadata"])
        if "faults" in patch:
            _apply_faults(new.faults, patch["faults"])
        self.__dict__.update(new.__dict__)


def parse_models(value: Any) -> dict[str, list[str]]:
    """Check a `{folder: [file, ...]}` mapping; names become real files under models/."""
    if not isinstance(value, dict) or not all(
        isinstance(files, list) and all(isinstance(f, str) for f in files)
        for files in value.values()
    ):
        raise ValueError("models must be an object of folder -> list of file names")
    for folder, files in value.items():
        _check_folder(folder)
        for name in files:
            _check_model_name(folder, name)
        _check_no_file_is_a_folder(folder, files)
    return {str(folder): list(files) for folder, files in value.items()}


def parse_model_metadata(value: Any) -> dict[str, dict[str, str]]:
    """Check a `{"<folder>/<name>": {key: string}}` mapping (a safetensors `__metadata__`)."""
    if not isinstance(value, dict) or not all(
        isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
        for meta in value.values()
    ):
        raise ValueError(
            'model_metadata must be an object of "<folder>/<file>" -> object of strings'
        )
    for key in value:
        folder, _, name = key.partition("/")
        if not name:
            raise ValueError(f'model_metadata key {key!r} must be "<folder>/<file>"')
        _check_folder(folder)
        _check_model_name(folder, name)
    return {key: dict(meta) for key, meta in value.items()}


def _check_folder(folder: str) -> None:
    if not folder or folder in (".", "..") or "/" in folder or "\\" in folder or "\0" in folder:
        raise ValueError(f"model folder {folder!r} must be a plain folder name")


def _check_model_name(folder: str, name: str) -> None:
    # The names become files under models/<folder>/: relative, normalised, never escaping.
    # A backslash is an ordinary character on Linux, which is how a Windows listing
    # ("SD15\\x.safetensors") is simulated.
    parts = name.split("/")
    if not name or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"model name {name!r} in {folder!r} must be a relative file path")


def _check_no_file_is_a_folder(folder: str, files: list[str]) -> None:
    names = set(files)
    for name in files:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in names:
                raise ValueError(f"model name {name!r} in {folder!r} is under a file")


def _non_negative_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    return value


def _apply_faults(faults: Faults, patch: Any) -> None:
    if not isinstance(patch, dict):
        raise ValueError("faults must be an object")
    unknown = set(patch) - {*NODE_FAULTS, "slow_view_ms"}
    if unknown:
        raise ValueError(f"unknown fault keys: {sorted(unknown)}")
    for key in NODE_FAULTS:
        if key in patch:
            target = patch[key]
            if target is not None and not isinstance(target, (str, int)):
                raise ValueError(f"{key} must be a node id, a class_type or null")
            setattr(faults, key, None if target is None else str(target))
    if "slow_view_ms" in patch:
        faults.slow_view_ms = _non_negative_int("slow_view_ms", patch["slow_view_ms"] or 0)
