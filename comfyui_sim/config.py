"""Simulator settings: timings, model lists, preview switch and injected faults.

The CLI builds the start-up `SimConfig`; `POST /sim/config` patches a live copy and
`POST /sim/reset` goes back to the start-up values.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MODELS: dict[str, list[str]] = {
    # The demo names first; then the files the shipped catalog's templates use by default.
    "checkpoints": [
        "sd15-demo.safetensors",
        "sdxl-demo.safetensors",
        "sd_xl_base_1.0.safetensors",
        "v1-5-pruned-emaonly.safetensors",
    ],
    "diffusion_models": [
        "z_image_turbo_bf16.safetensors",
        "qwen_image_edit_2509_fp8_e4m3fn.safetensors",
        # a second text-to-image model, so text_to_image's dropdown has a real choice
        "z_image_turbo_fp8_e4m3fn.safetensors",
    ],
    "text_encoders": ["qwen_3_4b.safetensors", "qwen_2.5_vl_7b_fp8_scaled.safetensors"],
    "vae": ["ae.safetensors", "qwen_image_vae.safetensors"],
    "loras": ["Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors"],
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
            "preview": self.preview,
            "faults": asdict(self.faults),
        }

    def apply(self, patch: dict[str, Any]) -> None:
        """Apply a partial JSON patch; raises ValueError on unknown keys or bad types."""
        if not isinstance(patch, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(patch) - {"node_ms", "step_ms", "models", "preview", "faults"}
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
        if "faults" in patch:
            _apply_faults(new.faults, patch["faults"])
        self.__dict__.update(new.__dict__)


def parse_models(value: Any) -> dict[str, list[str]]:
    """Check a `{folder: [file, ...]}` mapping."""
    if not isinstance(value, dict) or not all(
        isinstance(files, list) and all(isinstance(f, str) for f in files)
        for files in value.values()
    ):
        raise ValueError("models must be an object of folder -> list of file names")
    return {str(folder): list(files) for folder, files in value.items()}


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
