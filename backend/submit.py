"""Submitting a job: parse the request body, validate against the tool, record, enqueue.

Record first, enqueue second: the job is in SQL before the 202, and if the enqueue fails
after that the worker's reconciler re-enqueues it from SQL. Nothing is written (no upload,
no row) until the free-space floor, the tool, the slots and every parameter have been checked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from backend import json_input
from backend.masks import check_masks, parse_masks
from backend.presenter import JobPresenter
from backend.services import Studio
from studio_core.catalog.params import resolve_seed
from studio_core.catalog.sizing import check_pixel_cap, resolve_size
from studio_core.catalog.tools import Tool
from studio_core.engines import merged_families, merged_models
from studio_core.errors import InvalidInput, NotFound
from studio_core.images import upright_size
from studio_core.jobs.inputs import mask_key
from studio_core.jobs.params import PARAM_COLUMNS, param_columns
from studio_core.jobs.states import JobStatus
from studio_core.storage import decode_data_url
from studio_core.uploads import UPLOAD_ID, Readable, get_upload, save_upload

logger = logging.getLogger(__name__)

# The original studio's top-level fields are the job's param columns; kept only when the
# tool has such a parameter, so old clients that always send model/aspect_ratio/batch_size
# still work with every tool.
BODY_FIELDS = frozenset({"workflow", "tool", "images", "masks", "params", *PARAM_COLUMNS})
DEFAULT_TOOL = "text_to_image"  # what the original studio assumed without a workflow
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass
class Submission:
    """A parsed generate request, not yet checked against the tool."""

    tool_id: str
    fields: dict[str, Any]
    image_refs: dict[str, str] = field(default_factory=dict)  # slot -> upload id | data URL
    # slot -> an uploaded file part, read only when it is stored (studio_core.uploads)
    files: dict[str, bytes | Readable] = field(default_factory=dict)
    masks: dict[str, str] = field(default_factory=dict)  # slot -> mask upload id
    idempotency_key: str | None = None


def check_idempotency_key(value: str | None) -> str | None:
    """The header value if usable (1-128 visible ASCII characters), None if absent."""
    if value is None or value == "":
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise InvalidInput(
            "Idempotency-Key must be 1-128 visible ASCII characters", field="Idempotency-Key"
        )
    return value


def _json_object(value: Any, name: str, from_form: bool) -> dict:
    """A JSON object field: an object in a JSON body, a JSON string in a form; absent is {}."""
    if from_form and value == "":
        return {}
    if isinstance(value, str) and from_form:
        value = json_input.loads(value, f"'{name}'")
    if not isinstance(value, dict):
        raise InvalidInput(f"'{name}' must be a JSON object", field=name)
    return value


def parse_body(
    body: Any, files: Mapping[str, bytes | Readable] | None = None, key: str | None = None
):
    """Build a Submission from a JSON object or multipart form fields (+ file parts)."""
    if not isinstance(body, Mapping):
        raise InvalidInput("the request body must be a JSON object")
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field '{unknown[0]}'", field=unknown[0])
    # As the OpenAPI document says: null is a value only for `model`; absent fields are absent.
    nulls = sorted(name for name, value in body.items() if value is None and name != "model")
    if nulls:
        raise InvalidInput(f"'{nulls[0]}' must not be null", field=nulls[0])
    from_form = files is not None
    tool_id = body.get("workflow") or body.get("tool") or DEFAULT_TOOL
    if not isinstance(tool_id, str):
        raise InvalidInput("'workflow' must be a tool id", field="workflow")
    params = _json_object(body.get("params", {}), "params", from_form)
    merged = {name: body[name] for name in PARAM_COLUMNS if body.get(name) is not None}
    merged.update(params)  # explicit params win over the legacy top-level copies
    refs = _json_object(body.get("images", {}), "images", from_form)
    for slot, ref in refs.items():
        if not isinstance(ref, str):
            raise InvalidInput(
                "an image must be an upload id or a data URL", field=f"images.{slot}"
            )
    masks = parse_masks(_json_object(body.get("masks", {}), "masks", from_form))
    return Submission(
        tool_id=tool_id,
        fields=merged,
        image_refs={slot: ref for slot, ref in refs.items() if ref},
        files=dict(files or {}),
        masks=masks,
        idempotency_key=key,
    )


def _tool_fields(tool: Tool, fields: Mapping[str, Any]) -> dict:
    """Drop legacy fields the tool does not have (its parameters are checked by validate)."""
    return {k: v for k, v in fields.items() if k not in PARAM_COLUMNS or tool.param(k)}


def _check_limits(studio: Studio, params: Mapping[str, Any]) -> None:
    settings = studio.settings
    prompt = params.get("prompt")
    if isinstance(prompt, str) and len(prompt) > settings.max_prompt_chars:
        raise InvalidInput(
            f"prompt is too long ({len(prompt)} characters, at most {settings.max_prompt_chars})",
            field="prompt",
        )
    batch = params.get("batch_size")
    if isinstance(batch, int) and batch > settings.max_batch:
        raise InvalidInput(f"batch_size must be at most {settings.max_batch}", field="batch_size")


def _gather_images(
    studio: Studio, user_id: int, sub: Submission
) -> tuple[dict[str, dict], dict[str, bytes | Readable]]:
    """({slot: upload row} referenced, {slot: bytes or file part} still to store); nothing is
    written."""
    known: dict[str, dict] = {}
    pending: dict[str, bytes | Readable] = dict(sub.files)
    max_bytes = studio.settings.max_upload_bytes
    for slot, ref in sub.image_refs.items():
        if UPLOAD_ID.match(ref):
            try:
                known[slot] = get_upload(studio.db, ref, user_id)
            except NotFound:
                raise InvalidInput(f"upload {ref!r} not found", field=f"images.{slot}") from None
        else:
            # The original studio also accepted bare base64 without the data: prefix.
            url = ref if ref.startswith("data:") else f"data:image/png;base64,{ref}"
            pending[slot] = decode_data_url(url, max_bytes)
    return known, pending


def _resolve_images(studio: Studio, user_id: int, sub: Submission) -> dict[str, str]:
    """{job_inputs slot: upload_id}: referenced uploads and masks are checked, then data URLs
    and file parts are stored (the masks' rows are keyed by jobs.inputs.mask_key)."""
    known, pending = _gather_images(studio, user_id, sub)
    if sub.masks:
        sizes = {slot: (row["width"], row["height"]) for slot, row in known.items()}
        sizes.update({slot: upright_size(data) for slot, data in pending.items()})
        check_masks(studio, user_id, sub.masks, sizes)
    inputs = {slot: row["id"] for slot, row in known.items()}
    for slot, data in pending.items():
        row = save_upload(
            studio.db, studio.paths, user_id, data, studio.settings, slots=studio.upload_slots
        )
        inputs[slot] = row["id"]
    inputs.update({mask_key(slot): upload_id for slot, upload_id in sub.masks.items()})
    return inputs


def submit_job(studio: Studio, user_id: int, sub: Submission) -> tuple[dict, bool]:
    """Validate, record and enqueue a job; returns (job as the API shows it, created)."""
    presenter = JobPresenter(studio.live, studio.queue)
    if sub.idempotency_key:
        # A replay answers before anything is stored (its images would be orphan uploads).
        existing = studio.repo.find_by_idempotency_key(user_id, sub.idempotency_key)
        if existing:
            logger.info("submit replay job=%s key=%s", existing["id"], sub.idempotency_key)
            return presenter.one(existing), False
    # A job needs room for its inputs now and its outputs later: refuse it while there is none.
    studio.paths.check_room(studio.settings.storage_min_free_bytes)
    tool = studio.catalog.get(sub.tool_id)
    slots = set(sub.image_refs) | set(sub.files)
    known_slots = {slot.id for slot in tool.slots}
    unknown = sorted(slots - known_slots)
    if unknown:
        raise InvalidInput(
            f"{tool.id} has no image slot '{unknown[0]}'", field=f"images.{unknown[0]}"
        )
    online = studio.online_engines.get()  # cached for a second or two across requests
    models = merged_models(online) if online else None
    families = merged_families(online) if online else None
    params = tool.validate(
        _tool_fields(tool, sub.fields),
        images=slots,
        models_by_folder=models,
        masks=sub.masks,
        families=families,
    )
    _check_limits(studio, params)
    # Recorded as resolved: the seed that ran, the size the model's class gave a ratio.
    params = resolve_size(tool, resolve_seed(params), families)
    check_pixel_cap(tool, params, studio.settings.max_pixels)
    inputs = _resolve_images(studio, user_id, sub)
    studio.redis.ping()  # Redis down: 503 here, before the job is recorded
    job, created = studio.repo.create(
        {
            "user_id": user_id,
            "tool": tool.id,
            **param_columns(params),
            "params": params,
            "idempotency_key": sub.idempotency_key,
        },
        inputs,
    )
    if not created:  # a concurrent request with the same key won the race
        logger.info("submit replay job=%s key=%s", job["id"], sub.idempotency_key)
        return presenter.one(job), False  # no floor: an active replay shows seq 0 (unordered)
    seq = 0
    try:
        # Live state before the queue: once enqueued, a worker's writes must get higher seqs.
        seq = studio.live.update(job["id"], status=JobStatus.QUEUED.value, progress=0)
        studio.queue.enqueue(job["id"], user_id)
    except RedisError as exc:
        logger.error(
            "enqueue failed job=%s error=%s; the reconciler re-enqueues it from SQL", job["id"], exc
        )
    public = presenter.new(job, seq)
    try:
        studio.events.publish_job(user_id, public)
    except RedisError as exc:
        logger.warning("job event not published job=%s error=%s", job["id"], exc)
    return public, True
