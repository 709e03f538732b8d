"""A job's stored inputs: the slots' images and the masks painted over them.

Both are `job_inputs` rows (so an upload's life, its link to the job and the deletion of a
job's files treat them alike); a mask's row is keyed `<slot>:mask`, which no slot id can be
(slot ids are letters, digits and `_`, see catalog.manifest.SLOT_ID).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MASK_SUFFIX = ":mask"


def mask_key(slot: str) -> str:
    """The `job_inputs.slot` value of the mask painted over `slot`'s image."""
    return f"{slot}{MASK_SUFFIX}"


def split_inputs(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, Mapping[str, Any]], dict[str, Mapping[str, Any]]]:
    """({slot: image row}, {slot: mask row}) from a job's `inputs` list."""
    images: dict[str, Mapping[str, Any]] = {}
    masks: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        slot = row["slot"]
        if slot.endswith(MASK_SUFFIX):
            masks[slot[: -len(MASK_SUFFIX)]] = row
        else:
            images[slot] = row
    return images, masks
