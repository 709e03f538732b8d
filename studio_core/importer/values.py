"""Whether a tool takes one value for one parameter, with the reason when it does not."""

from __future__ import annotations

from typing import Any

from studio_core.catalog.manifest import Param, ToolSpec
from studio_core.catalog.params import validate_params
from studio_core.errors import InvalidInput


def refusal(tool: ToolSpec, param: Param, value: Any) -> str | None:
    """Why `tool` refuses `value` for `param` (None: accepted).

    The other required parameters get stand-ins, so only this value is judged. Custom
    "<W>x<H>" sizes are the parser's to judge (contract 2): without it they are refused.
    """
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
