"""The error entries ComfyUI's POST /prompt answers with, built the way ComfyUI builds them."""

from __future__ import annotations

from typing import Any


def prompt_error(kind: str, message: str, details: str) -> dict[str, Any]:
    """The top-level `error` of a rejected prompt."""
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


def input_error(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    """One entry of a node's `errors`, with its `extra_info`."""
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def full_type_name(ex: BaseException) -> str:
    """ComfyUI's full_type_name: `module.Class`, bare for builtins."""
    module = type(ex).__module__
    name = type(ex).__qualname__
    return name if module == "builtins" else f"{module}.{name}"
