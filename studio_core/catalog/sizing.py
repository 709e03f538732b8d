"""Aspect parameters: checking a value (a preset id or "<W>x<H>"), the size it gives, and
resolving a ratio on a `size_classes` parameter to the chosen model's native size.

    params = resolve_size(tool, params, families)   # "1:1" -> "512x512" for an SD 1.5 model

Like the seed, the resolved literal is what the job records: what ran is what is stored, so
a remix reproduces the size even if the model's detected family changes later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio_core.catalog.manifest import Param, ToolSpec
from studio_core.errors import InvalidInput
from studio_core.models.family import FamilyGuess, detect_family
from studio_core.models.sizes import (
    check_custom_size,
    check_pixels,
    class_size,
    is_class_size,
    parse_size,
    size_literal,
)

# {folder: {file: {"family", "size_class", "source"}}}, as EngineInfo.families publishes it
Families = Mapping[str, Mapping[str, Mapping[str, Any]]]


def family_of(families: Families | None, folder: str | None, name: str) -> str | None:
    """The published family id of one model file, None when no engine told."""
    guess = ((families or {}).get(folder or "") or {}).get(name) or {}
    return guess.get("family")


def check_aspect(param: Param, value: Any) -> str:
    """A valid value of an aspect parameter: a preset id, or a size literal it accepts
    (a custom size, or on a `size_classes` parameter one of the class tables' sizes)."""
    if value in (param.choices or ()):
        return value
    size = parse_size(value)
    if size is not None and param.custom is not None:
        return size_literal(*check_custom_size(value, param.custom, param.id))
    if size is not None and param.size_classes and _preset_size(param, size):
        return size_literal(*size)
    allowed = ", ".join(str(choice) for choice in param.choices or ())
    extra = " or a size like 512x768" if param.custom is not None else ""
    raise InvalidInput(f"'{param.id}' must be one of: {allowed}{extra}", field=param.id)


def aspect_size(param: Param, value: str) -> tuple[int, int] | None:
    """(width, height) a checked aspect value gives; None for a preset that keeps the input."""
    size = parse_size(value)
    if size is not None and value not in (param.choices or ()):
        return size
    preset = param.preset(value)
    return None if preset.rewire else (preset.width, preset.height)


def keeps_input(param: Param, value: str) -> bool:
    """Whether the value is a preset that rewires the latent to follow the input image."""
    return value in (param.choices or ()) and bool(param.preset(value).rewire)


def model_family(tool: ToolSpec, params: Mapping[str, Any], families: Families) -> FamilyGuess:
    """The family of the tool's chosen model file: as the engines published it, else from
    its name (an engine that has not read its metadata yet)."""
    model = next((p for p in tool.parameters if p.type == "model"), None)
    name = params.get(model.id) if model else None
    if not isinstance(name, str) or model is None:
        return detect_family(None, "")
    known = (families.get(model.folder or "") or {}).get(name)
    return FamilyGuess.from_dict(known) if known else detect_family(None, name)


def resolve_size(tool: ToolSpec, params: Mapping[str, Any], families: Families | None) -> dict:
    """A copy with each ratio id on a `size_classes` parameter replaced by the literal
    "<W>x<H>" of that ratio in the model's size class (an unknown family: the template's own
    preset size). Literals and input-keeping presets come back unchanged."""
    resolved = dict(params)
    guess = None
    for param in tool.parameters:
        value = resolved.get(param.id)
        if param.type != "aspect" or not param.size_classes or value not in param.choices:
            continue
        preset = param.preset(value)
        if preset.rewire:
            continue
        guess = guess or model_family(tool, params, families or {})
        size = class_size(preset.id, guess.size_class) or (preset.width, preset.height)
        resolved[param.id] = size_literal(*size)
    return resolved


def check_pixel_cap(tool: ToolSpec, params: Mapping[str, Any], max_pixels: int) -> None:
    """Refuse any aspect size over `max_pixels` (the MAX_PIXELS setting), naming the field."""
    for param in tool.parameters:
        if param.type == "aspect" and param.id in params:
            size = aspect_size(param, params[param.id])
            if size is not None:
                check_pixels(size, param.id, max_pixels)


def _preset_size(param: Param, size: tuple[int, int]) -> bool:
    own = {(p.width, p.height) for p in param.presets if not p.rewire}
    return size in own or is_class_size(*size)
