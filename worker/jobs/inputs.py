"""A job's input images into ComfyUI: /upload/image for each slot's image, then /upload/mask
for a mask painted over it, and the names ComfyUI gave them into the slots' LoadImage nodes.

ComfyUI unreachable (network, timeout, 502-504) propagates as ComfyUnavailable: the runner
waits for the engine and uploads again (overwrite=true makes that idempotent). Any other
refusal (4xx, or a 500: ComfyUI's answer to a request it cannot process, e.g. a mask it
cannot apply) fails the job with a reason naming the slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial

from studio_core.catalog.tools import Tool
from studio_core.jobs.inputs import split_inputs
from studio_core.storage import StoragePaths
from worker.comfy.client import ComfyClient
from worker.comfy.errors import ComfyError, ComfyUnavailable
from worker.jobs.outcomes import JobFailed
from worker.jobs.params import SUBFOLDER, input_name

logger = logging.getLogger(__name__)


def upload_inputs(client: ComfyClient, storage: StoragePaths, job: Mapping) -> dict[str, str]:
    """Upload the job's images and masks; {slot: LoadImage value of the file to load}."""
    job_id = job["id"]
    images, masks = split_inputs(job.get("inputs") or [])
    names: dict[str, str] = {}
    for slot, row in images.items():
        data = _read(storage, row, f"input image '{slot}'")
        filename, _ = input_name(job_id, slot, row)
        names[slot] = _upload(
            f"input image '{slot}'",
            partial(client.upload_image, data, filename, subfolder=SUBFOLDER, overwrite=True),
        )
        if slot not in masks:
            continue
        mask = _read(storage, masks[slot], f"mask of '{slot}'")
        subfolder, _, name = names[slot].rpartition("/")
        original = {"filename": name, "subfolder": subfolder, "type": "input"}
        masked, _ = input_name(job_id, slot, row, masked=True)
        names[slot] = _upload(
            f"mask of '{slot}'",
            partial(client.upload_mask, mask, masked, original, subfolder=SUBFOLDER),
        )
        logger.info("job=%s mask uploaded slot=%s image=%s", job_id, slot, names[slot])
    return names


def place_inputs(tool: Tool, graph: dict, names: Mapping[str, str]) -> None:
    """Point each given slot's LoadImage at the file ComfyUI stored (its answer wins over the
    name the graph was built with, should ComfyUI ever rename an upload)."""
    for slot in tool.slots:
        if slot.id in names and slot.node in graph:
            graph[slot.node]["inputs"][slot.input] = names[slot.id]


def _read(storage: StoragePaths, row: Mapping, what: str) -> bytes:
    try:
        return storage.resolve(row["path"]).read_bytes()
    except (OSError, ValueError) as exc:
        raise JobFailed(f"{what} is missing") from exc


def _upload(what: str, call: Callable[[], str]) -> str:
    try:
        return call()
    except ComfyUnavailable as exc:
        if exc.status != 500:
            raise  # not answering: wait for the engine, then upload again
        raise JobFailed(f"ComfyUI could not store the {what} ({exc.message})") from exc
    except ComfyError as exc:
        raise JobFailed(f"ComfyUI refused the {what} ({exc.message})") from exc
