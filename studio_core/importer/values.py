"""Whether a tool takes one value for one parameter, with the reason when it does not."""

from __future__ import annotations

from typing import Any

from studio_core.catalog.manifest import Param, ToolSpec
from studio_core.catalog.params import validate_params
from studio_core.errors import InvalidInput


def refusal(tool: ToolSpec, param: Param, value: Any) -> str | None:
    """Why `tool` refuses `value` for `param` (None: accepted).

    The other required parameters get stand-ins, so only this value is judged.
    """
    if param.type == "aspect" and value not in (param.choices or ()) and custom_size(param):
        return None if custom_size_ok(param, value) else "not a size this tool takes"
    if param.type not in (
        "string",
        "text",
        "int",
        "float",
        "seed",
        "aspect",
        "choice",
        "model",
        "bool",
    ):
        return None  # a type this checkout's parser does not know (loras): its own check
    raw: dict[str, Any] = {param.id: value}
    for other in tool.parameters:
        if other.id != param.id and other.required:
            raw[other.id] = "x" if other.type in ("string", "text") else other.default
    try:
        validate_params(tool, raw, images=[slot.id for slot in tool.slots])
    except InvalidInput as exc:
        return exc.message if exc.field in (None, param.id) else None
    return None


def custom_size(param: Param) -> dict | None:
    """The aspect parameter's custom-size rule (contract 2), when it has one."""
    custom = getattr(param, "custom", None)
    return custom if isinstance(custom, dict) and custom else None


def custom_size_ok(param: Param, value: Any) -> bool:
    """A "<W>x<H>" value within the custom rule's step, min and max."""
    custom = custom_size(param) or {}
    if not isinstance(value, str):
        return False
    width, sep, height = value.partition("x")
    if not sep or not (width.isdigit() and height.isdigit()):
        return False
    step = int(custom.get("step", 8))
    low, high = int(custom.get("min", 64)), int(custom.get("max", 2048))
    return all(low <= int(v) <= high and int(v) % step == 0 for v in (width, height))
