"""Model file names as ComfyUI lists them: "x.safetensors", "SD15/x.safetensors", or on
Windows "SD15\\x.safetensors". A template names a file without its subfolder; people keep
theirs in folders of their own, so a file is also found by its base name."""

from __future__ import annotations

from collections.abc import Iterable


def base_name(name: str) -> str:
    """The file name without any subfolder (either separator)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def installed_name(name: str, installed: Iterable[str]) -> str | None:
    """The installed file for a template's `name`: itself, else the same base name in a
    subfolder (the first in sorted order, so every build picks the same), else None."""
    files = sorted(installed)
    if name in files:
        return name
    wanted = base_name(name)
    return next((f for f in files if base_name(f) == wanted), None)
