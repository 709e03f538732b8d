"""What a job row asks ComfyUI for: the tool's validated parameters and its input image names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from studio_core.catalog.params import resolve_seed
from studio_core.catalog.tools import Tool
from studio_core.jobs.params import stored_params

logger = logging.getLogger(__name__)


def job_params(tool: Tool, job: Mapping[str, Any]) -> dict:
    """The tool's validated parameters from a job row (columns win over `params`)."""
    known = set(tool.parameter_ids)
    raw = {key: value for key, value in stored_params(job).items() if key in known}
    params = tool.validate(raw, images=[i["slot"] for i in job.get("inputs") or []])
    if any(p.type == "seed" and params.get(p.id) == -1 for p in tool.parameters):
        # The backend records a resolved seed; a -1 here would make the run unreproducible.
        logger.warning("job=%s has an unresolved seed; using a random one", job["id"])
        params = resolve_seed(params)
    return params


def input_name(job_id: str, slot: str) -> tuple[str, str]:
    """(file name, LoadImage value) for a job's input image uploaded to ComfyUI."""
    filename = f"{job_id}_{slot}.png"
    return filename, f"studio/{filename}"
