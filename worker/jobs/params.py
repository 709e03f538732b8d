"""What a job row asks ComfyUI for: the tool's validated parameters and its input image names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from studio_core.catalog.params import resolve_seed
from studio_core.catalog.tools import Tool
from studio_core.images import EXTENSIONS
from studio_core.jobs.inputs import split_inputs
from studio_core.jobs.params import stored_params

logger = logging.getLogger(__name__)

SUBFOLDER = "studio"  # where the studio's inputs land in ComfyUI's input folder
# What stored uploads are named with (studio_core.storage names them by their checked type).
INPUT_SUFFIXES = frozenset(f".{ext}" for ext in EXTENSIONS.values())


def job_params(tool: Tool, job: Mapping[str, Any]) -> dict:
    """The tool's validated parameters from a job row (columns win over `params`)."""
    known = set(tool.parameter_ids)
    raw = {key: value for key, value in stored_params(job).items() if key in known}
    images, masks = split_inputs(job.get("inputs") or [])
    params = tool.validate(raw, images=list(images), masks=list(masks))
    if any(p.type == "seed" and params.get(p.id) == -1 for p in tool.parameters):
        # The backend records a resolved seed; a -1 here would make the run unreproducible.
        logger.warning("job=%s has an unresolved seed; using a random one", job["id"])
        params = resolve_seed(params)
    return params


def input_name(
    job_id: str, slot: str, row: Mapping[str, Any] | None = None, masked: bool = False
) -> tuple[str, str]:
    """(file name, LoadImage value) for a job's input image uploaded to ComfyUI, named with
    the extension of the stored upload (`row`: its job_inputs row; uploads keep a clean
    JPEG/WebP as sent); `masked`: the file /upload/mask writes, a PNG (the image with the
    painted mask as its alpha)."""
    if masked:
        filename = f"{job_id}_{slot}_masked.png"
    else:
        suffix = PurePosixPath(str((row or {}).get("path", ""))).suffix.lower()
        filename = f"{job_id}_{slot}{suffix if suffix in INPUT_SUFFIXES else '.png'}"
    return filename, f"{SUBFOLDER}/{filename}"
