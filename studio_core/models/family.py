"""Which model family a file belongs to, and so which size class it renders natively.

ComfyUI's `GET /view_metadata/{folder}?filename=` returns a safetensors file's
`__metadata__`; trainers write the architecture there (`modelspec.architecture` from the
Stability model spec, `ss_base_model_version` from kohya's scripts). Many files carry
neither, so the file name is the fallback; "unknown" is an honest answer, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studio_core.models.files import base_name

# Family id -> native size class (the side of its square training size); contract 1.
SIZE_CLASS: dict[str, int | None] = {
    "sd15": 512,
    "sd2_512": 512,
    "sd2": 768,
    "sdxl": 1024,
    "sd3": 1024,
    "flux": 1024,
    "z_image": 1024,
    "qwen_image": 1024,
    "qwen_image_edit": 1024,
    "unknown": None,
}
FAMILIES = tuple(SIZE_CLASS)

# (pattern, family) in order: the first match wins, so the more specific names come first
# (an edit model's name also contains the base model's, "dreamshaperXL" is SDXL not SD 1.5).
_ARCHITECTURES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"qwen.?image.?edit", "qwen_image_edit"),
        (r"qwen.?image", "qwen_image"),
        (r"z.?image", "z_image"),
        (r"flux", "flux"),
        (r"stable-diffusion-v3|^sd3", "sd3"),
        (r"stable-diffusion-xl|^sdxl", "sdxl"),
        (r"stable-diffusion-v2-512", "sd2_512"),
        (r"stable-diffusion-v2|^sd_?v2", "sd2"),
        (r"stable-diffusion-v1|^sd_?v1", "sd15"),
    )
)
_SD15_NAMES = (
    r"dreamshaper|realisticvision|deliberate|revanimated|anything[_-]?v|counterfeit"
    r"|epicrealism|majicmix|cyberrealistic|absolutereality"
)
_FILENAMES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"qwen[_-]?image[_-]?edit", "qwen_image_edit"),
        (r"qwen[_-]?image", "qwen_image"),
        (r"z[_-]?image", "z_image"),
        (r"flux", "flux"),
        (r"sd[_-]?3", "sd3"),
        (r"sdxl|xl(?![a-z])|(?<![a-z])xl|pony|illustrious|noobai", "sdxl"),
        # well-known SD 1.5 fine-tunes before the 2.x rules: "realisticVisionV20" is 1.5
        (_SD15_NAMES, "sd15"),
        (r"768[_-]v|(?:sd[_-]?2|v2[_-][01]).*768", "sd2"),
        (r"(?:sd[_-]?2|v2[_-][01]).*512", "sd2_512"),
        (r"sd[_-]?2[01]?(?![0-9])|v2[_-][01]", "sd2"),
        (r"sd[_-]?1[._-]?[45x]|sd[_-]?v1|v1[_-][45]", "sd15"),
    )
)


@dataclass(frozen=True)
class FamilyGuess:
    """A file's family, its native size class (None when unknown) and where that came from:
    "metadata", "filename" or "unknown"."""

    family: str
    size_class: int | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form published by workers and shown by the API."""
        return {"family": self.family, "size_class": self.size_class, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FamilyGuess:
        """Read `to_dict`'s form back; anything unreadable is unknown."""
        family = data.get("family")
        if family not in SIZE_CLASS:
            return UNKNOWN
        return cls(family, SIZE_CLASS[family], str(data.get("source") or "unknown"))


UNKNOWN = FamilyGuess("unknown", None, "unknown")


def detect_family(metadata: Mapping[str, Any] | None, filename: str) -> FamilyGuess:
    """The family of one model file from its safetensors metadata, else from its name."""
    family = _from_metadata(metadata) if isinstance(metadata, Mapping) else None
    if family:
        return FamilyGuess(family, SIZE_CLASS[family], "metadata")
    family = _from_filename(filename)
    if family:
        return FamilyGuess(family, SIZE_CLASS[family], "filename")
    return UNKNOWN


def _from_metadata(metadata: Mapping[str, Any]) -> str | None:
    architecture = metadata.get("modelspec.architecture")
    if isinstance(architecture, str) and architecture:
        # "stable-diffusion-xl-v1-base/lora": a LoRA belongs to its base model's family
        family = _first_match(_ARCHITECTURES, architecture.split("/")[0].strip().lower())
        if family:
            return family
    base = metadata.get("ss_base_model_version")
    if isinstance(base, str) and base:
        family = _first_match(_ARCHITECTURES, base.strip().lower())
        if family == "sd2" and "768" not in base and not _v_parameterized(metadata):
            # kohya writes "sd_v2" for both; only the v-prediction 2.x models are 768
            return "sd2_512"
        return family
    return None


def _v_parameterized(metadata: Mapping[str, Any]) -> bool:
    return str(metadata.get("ss_v_parameterization", "")).strip().lower() in ("true", "1")


def _from_filename(filename: str) -> str | None:
    return _first_match(_FILENAMES, base_name(filename).lower())


def _first_match(rules: tuple[tuple[re.Pattern, str], ...], text: str) -> str | None:
    return next((family for pattern, family in rules if pattern.search(text)), None)
