"""Checking user parameters against a tool's manifest, and resolving the random seed."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Collection, Mapping
from typing import Any

from studio_core.catalog.loras import check_loras
from studio_core.catalog.manifest import MAX_SEED, Param, ToolSpec
from studio_core.catalog.sizing import Families, check_aspect, family_of, keeps_input
from studio_core.errors import InvalidInput
from studio_core.models.files import installed_name

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}
# A whole number as text: ASCII digits, one optional minus. str.isdigit() also says yes to
# "²" and "٣", which int() then refuses or reads; a length cap keeps int() cheap.
_INTEGER = re.compile(r"-?[0-9]{1,20}", re.ASCII)


def validate_params(
    tool: ToolSpec,
    raw: Mapping[str, Any],
    images: Collection[str] | None = None,
    models_by_folder: Mapping[str, list[str]] | None = None,
    masks: Collection[str] = (),
    families: Families | None = None,
) -> dict:
    """Return the parameters with defaults filled in, or raise InvalidInput naming the field.

    `images` are the slot ids the user supplied (None means none), `masks` the slot ids
    with a painted mask. With `models_by_folder` a model must be installed; an unset model
    whose default is missing falls back to the same file in a subfolder, else to the first
    installed file of its folder that fits. `families` (the engines' published model
    families) lets a model parameter's family filter refuse a file of another family.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput("parameters must be a JSON object")
    known = {param.id: param for param in tool.parameters}
    for key in raw:
        if key not in known:
            raise InvalidInput(f"{tool.id} has no parameter '{key}'", field=str(key))
    check_mask_slots(tool, images or (), masks)
    _check_slots(tool, images or ())
    result: dict[str, Any] = {}
    for param in tool.parameters:
        value = raw.get(param.id)
        if value is None or (value == "" and param.type not in ("string", "text")):
            if param.required:
                raise InvalidInput(f"'{param.id}' is required", field=param.id)
            value = param.default
            if isinstance(value, list):
                value = list(value)  # a loras default ([]): never the manifest's own list
            if param.type == "model" and models_by_folder is not None:
                value = _installed_default(param, models_by_folder, families)
            result[param.id] = value
            continue
        result[param.id] = _check_value(param, value, models_by_folder)
        if param.type == "model":
            _check_family(param, result[param.id], families)
    if masks:
        _check_mask_size(tool, result)
    return result


def resolve_seed(params: Mapping[str, Any], rng: random.Random | None = None) -> dict:
    """Return a copy with every seed of -1 replaced by a random 0..2**53-1.

    The caller must record the returned value (it is the seed that actually ran, so a remix
    reproduces the image); params without a seed come back unchanged.
    """
    rng = rng or random.SystemRandom()
    resolved = dict(params)
    if resolved.get("seed") == -1:
        resolved["seed"] = rng.randint(0, MAX_SEED)
    return resolved


def _check_slots(tool: ToolSpec, images: Collection[str]) -> None:
    slot_ids = {slot.id for slot in tool.slots}
    for slot_id in images:
        if slot_id not in slot_ids:
            raise InvalidInput(f"{tool.id} has no image slot '{slot_id}'", field=str(slot_id))
    for slot in tool.slots:
        if slot.required and slot.id not in images:
            raise InvalidInput(f"image '{slot.id}' is required", field=slot.id)


def check_mask_slots(tool: ToolSpec, images: Collection[str], masks: Collection[str]) -> None:
    """Masks only on slots that take one, each over its slot's image (InvalidInput naming
    `masks.<slot>` otherwise)."""
    slots = {slot.id: slot for slot in tool.slots}
    for slot_id in masks:
        field = f"masks.{slot_id}"
        if slot_id not in slots or not slots[slot_id].mask:
            raise InvalidInput(f"{tool.id} takes no mask for '{slot_id}'", field=field)
        if slot_id not in images:
            raise InvalidInput(f"a mask for '{slot_id}' needs the image '{slot_id}'", field=field)


def _check_mask_size(tool: ToolSpec, params: Mapping[str, Any]) -> None:
    """A mask repaints a region of the input in place (the latent is the encoded input), so
    an aspect parameter must sit on a preset that keeps the input's size (a `rewire` one)."""
    for param in tool.parameters:
        if param.type == "aspect" and not keeps_input(param, params[param.id]):
            keep = [p.id for p in param.presets if p.rewire]
            raise InvalidInput(
                f"a masked edit keeps the input's size: '{param.id}' must be "
                f"{' or '.join(repr(k) for k in keep) or 'a preset that keeps the input'}",
                field=param.id,
            )


def _installed_default(
    param: Param, models_by_folder: Mapping[str, list[str]], families: Families | None
) -> str:
    installed = [
        m
        for m in models_by_folder.get(param.folder or "", [])
        if param.fits(m, family_of(families, param.folder, m))
    ]
    if not installed:
        return param.default
    return installed_name(param.default or "", installed) or sorted(installed)[0]


def _check_family(param: Param, value: str, families: Families | None) -> None:
    """A model file whose published family the parameter's family filter excludes."""
    family = family_of(families, param.folder, value)
    if not param.fits(value, family):
        raise InvalidInput(
            f"model '{value}' is a {family} model and does not fit this tool", field=param.id
        )


def _check_value(param: Param, value: Any, models: Mapping[str, list[str]] | None) -> Any:
    kind = param.type
    if kind in ("string", "text"):
        return _check_text(param, value)
    if kind in ("int", "seed"):
        return _check_range(param, _as_int(param, value))
    if kind == "float":
        return _check_range(param, _as_float(param, value))
    if kind == "bool":
        return _as_bool(param, value)
    if kind == "model":
        return _check_model(param, value, models)
    if kind == "loras":
        return check_loras(param, value, models)
    if kind == "aspect":
        return check_aspect(param, value)
    # choice: exact members of the declared list
    if value not in (param.choices or ()):
        allowed = ", ".join(str(choice) for choice in param.choices or ())
        raise InvalidInput(f"'{param.id}' must be one of: {allowed}", field=param.id)
    return value


def _check_text(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"'{param.id}' must be text", field=param.id)
    if param.required and not value.strip():
        raise InvalidInput(f"'{param.id}' is required", field=param.id)
    if param.max_length is not None and len(value) > param.max_length:
        raise InvalidInput(
            f"'{param.id}' is too long ({len(value)} characters, at most {param.max_length})",
            field=param.id,
        )
    if "\x00" in value or (param.type == "string" and ("\n" in value or "\r" in value)):
        raise InvalidInput(f"'{param.id}' contains characters not allowed here", field=param.id)
    return value


def _as_int(param: Param, value: Any) -> int:
    # bool is an int in Python but never a meaningful count or seed
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())  # multipart form fields arrive as strings
    else:
        raise InvalidInput(f"'{param.id}' must be a whole number", field=param.id)
    if param.choices and number not in param.choices:
        allowed = ", ".join(str(choice) for choice in param.choices)
        raise InvalidInput(f"'{param.id}' must be one of: {allowed}", field=param.id)
    return number


def _as_float(param: Param, value: Any) -> float:
    if isinstance(value, bool):
        raise InvalidInput(f"'{param.id}' must be a number", field=param.id)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"'{param.id}' must be a number", field=param.id) from None
    if not math.isfinite(number):
        raise InvalidInput(f"'{param.id}' must be a finite number", field=param.id)
    return number


def _as_bool(param: Param, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidInput(f"'{param.id}' must be true or false", field=param.id)


def _check_range(param: Param, number: int | float) -> int | float:
    if param.min is not None and number < param.min:
        raise InvalidInput(f"'{param.id}' must be at least {param.min}", field=param.id)
    if param.max is not None and number > param.max:
        raise InvalidInput(f"'{param.id}' must be at most {param.max}", field=param.id)
    return number


def _check_model(param: Param, value: Any, models: Mapping[str, list[str]] | None) -> str:
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidInput(f"'{param.id}' must be a model file name", field=param.id)
    # names come from ComfyUI's own lists; anything path-like beyond that is refused
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ".." in parts or ":" in value or "\x00" in value:
        raise InvalidInput(f"'{param.id}' is not a valid model file name", field=param.id)
    if not param.fits(value):
        raise InvalidInput(f"model '{value}' does not fit this tool", field=param.id)
    if models is not None and value not in models.get(param.folder or "", []):
        raise InvalidInput(
            f"model '{value}' is not installed in ComfyUI's {param.folder} folder", field=param.id
        )
    return value
