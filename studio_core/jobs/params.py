"""Tool parameters that also have a `jobs` column of their own, and reading them back.

The original studio stored prompt, seed, model... as columns; they stay, because the prompt
is searched in SQL and rows written before `params` existed only have the columns. A job
therefore keeps each of these parameters twice: in its column and in `params`, and the
column wins when they are read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Also the original studio's top-level request fields (backend.submit accepts them).
PARAM_COLUMNS = ("prompt", "negative_prompt", "seed", "model", "aspect_ratio", "batch_size")


def param_columns(params: Mapping[str, Any]) -> dict[str, Any]:
    """The column values of validated tool parameters, for `JobRepository.create`."""
    columns = {column: params.get(column) for column in PARAM_COLUMNS}
    # Not nullable: a tool without a prompt or a batch stores the column defaults.
    columns["prompt"] = columns["prompt"] or ""
    columns["batch_size"] = columns["batch_size"] or 1
    return columns


def stored_params(job: Mapping[str, Any]) -> dict[str, Any]:
    """A job row's parameters: its `params`, overridden by the columns that are set."""
    params = dict(job.get("params") or {})
    for column in PARAM_COLUMNS:
        if job.get(column) is not None:
            params[column] = job[column]
    return params
