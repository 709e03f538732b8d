"""Manifest data classes and their strict parsing from `manifest.json` + `workflow.json`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from studio_core.catalog.loras import (
    LoraAttach,
    OptionalLora,
    check_lora_node_ids,
    lora_param_fields,
    parse_optional_lora,
)
from studio_core.catalog.workflow import is_link
from studio_core.models.family import FAMILIES
from studio_core.models.files import base_name
from studio_core.models.sizes import CustomSize

PARAM_TYPES = {
    "string", "text", "int", "float", "seed", "aspect", "choice", "model", "bool", "loras"
}  # fmt: skip
MAX_SEED = 2**53 - 1  # the largest integer a browser's JSON parser keeps exactly
LANGS = ("en", "zh-TW")
SLOT_ID = re.compile(r"[A-Za-z0-9_]{1,48}")  # also a key of stored job inputs (see jobs.inputs)


class ManifestError(ValueError):
    """A tool folder whose manifest or template is malformed or inconsistent."""


@dataclass(frozen=True)
class Target:
    """One node input a value is written to."""

    node: str
    input: str


@dataclass(frozen=True)
class Rewire:
    """Replace one node input with a link (used by the 'keep input ratio' aspect preset)."""

    node: str
    input: str
    link: tuple[str, int]


@dataclass(frozen=True)
class Preset:
    """One aspect-ratio choice: a size, or a rewiring that keeps the input's ratio."""

    id: str
    width: int | None = None
    height: int | None = None
    label: dict | None = None
    rewire: tuple[Rewire, ...] = ()


@dataclass(frozen=True)
class Slot:
    """An image the user uploads, landing in one LoadImage input."""

    id: str
    label: dict
    required: bool
    node: str
    input: str
    detach: tuple[Target, ...] = ()  # inputs dropped when an optional slot is not given
    # Links set when a mask is painted over this slot's image (the inpainting path); a slot
    # without them takes no mask.
    mask: tuple[Rewire, ...] = ()


@dataclass(frozen=True)
class Param:
    """One user-settable parameter and the node inputs it is written to."""

    id: str
    type: str
    label: dict
    default: Any = None
    required: bool = False
    advanced: bool = False
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple | None = None
    max_length: int | None = None
    folder: str | None = None
    template: str | None = None
    # A model parameter's file-name filter: glob patterns (case-insensitive) on the file's
    # base name; a file fits when it matches one of `match` (if any) and none of `exclude`.
    match: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    width_targets: tuple[Target, ...] = ()
    height_targets: tuple[Target, ...] = ()
    presets: tuple[Preset, ...] = ()
    # A "loras" parameter: at most `max_items` files of `folder`, strengths within min..max.
    max_items: int | None = None
    attach: LoraAttach | None = None
    # A model parameter's family filter (studio_core.models.family ids); empty: any family.
    families: tuple[str, ...] = ()
    # An aspect parameter whose ratio presets follow the model's size class, and the custom
    # "<W>x<H>" sizes it accepts (None: presets only).
    size_classes: bool = False
    custom: CustomSize | None = None

    def fits(self, model_name: str, family: str | None = None) -> bool:
        """Whether a model file (as ComfyUI lists it, maybe with a subfolder) suits this tool.

        `family` is the file's detected family; an unknown one fits a family filter (we
        cannot tell), so only the name patterns can exclude such a file.
        """
        base = base_name(model_name).lower()
        if self.match and not any(fnmatchcase(base, p.lower()) for p in self.match):
            return False
        if self.families and family not in (None, "unknown", *self.families):
            return False
        return not any(fnmatchcase(base, p.lower()) for p in self.exclude)

    def preset(self, preset_id: str) -> Preset:
        """The aspect preset with this id (KeyError if unknown)."""
        for preset in self.presets:
            if preset.id == preset_id:
                return preset
        raise KeyError(preset_id)


@dataclass
class ToolSpec:
    """Everything parsed from one tool folder (the Tool class adds behaviour)."""

    id: str
    name: dict
    description: dict
    icon: str
    category: str
    workflow: dict
    slots: list[Slot]
    parameters: list[Param]
    outputs: list[str]
    requires: dict
    variant_of: str | None = None
    order: int = 100
    path: str = ""
    optional_loras: list[OptionalLora] = field(default_factory=list)


def _need(data: dict, key: str, kind: type | tuple, where: str) -> Any:
    if key not in data:
        raise ManifestError(f"{where}: missing '{key}'")
    if not isinstance(data[key], kind):
        raise ManifestError(f"{where}: '{key}' has the wrong type")
    return data[key]


def _bilingual(data: dict, key: str, where: str) -> dict:
    value = _need(data, key, dict, where)
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang]:
            raise ManifestError(f"{where}: '{key}' needs a non-empty '{lang}' text")
    return value


def _target(raw: Any, workflow: dict, where: str) -> Target:
    if not isinstance(raw, dict) or not isinstance(raw.get("node"), str):
        raise ManifestError(f"{where}: a target must be {{node, input}}")
    node, name = raw["node"], raw.get("input")
    if node not in workflow:
        raise ManifestError(f"{where}: node '{node}' is not in the template")
    if not isinstance(name, str) or name not in workflow[node].get("inputs", {}):
        raise ManifestError(f"{where}: node '{node}' has no input '{name}' in the template")
    return Target(node, name)


def _targets(raw: Any, workflow: dict, where: str) -> tuple[Target, ...]:
    if not isinstance(raw, list):
        raise ManifestError(f"{where}: targets must be a list")
    return tuple(_target(item, workflow, where) for item in raw)


def _rewires(raw: Any, workflow: dict, where: str) -> tuple[Rewire, ...]:
    if not isinstance(raw, list):
        raise ManifestError(f"{where}: 'rewire' must be a list")
    rewires = []
    for item in raw:
        target = _target(item, workflow, where)
        link = item.get("link")
        if not is_link(link) or link[0] not in workflow:
            raise ManifestError(f"{where}: rewire link {link!r} must point at a template node")
        rewires.append(Rewire(target.node, target.input, (link[0], link[1])))
    return tuple(rewires)


def _preset(raw: dict, workflow: dict, where: str) -> Preset:
    preset_id = _need(raw, "id", str, where)
    where = f"{where} preset {preset_id}"
    rewires = _rewires(raw.get("rewire", []), workflow, where)
    if rewires:
        return Preset(preset_id, label=raw.get("label"), rewire=rewires)
    width, height = _need(raw, "width", int, where), _need(raw, "height", int, where)
    if width <= 0 or height <= 0:
        raise ManifestError(f"{where}: sizes must be positive")
    return Preset(preset_id, width, height, raw.get("label"))


def _model_filter(raw: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`{"match": [globs], "exclude": [globs]}` of a model parameter, both optional."""
    if not isinstance(raw, dict) or set(raw) - {"match", "exclude", "families"}:
        raise ManifestError(
            f"{where}: 'filter' must be {{match, exclude, families}} lists of patterns / ids"
        )
    lists = []
    for key in ("match", "exclude"):
        patterns = raw.get(key, [])
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
            raise ManifestError(f"{where}: filter '{key}' must be a list of non-empty patterns")
        lists.append(tuple(patterns))
    return lists[0], lists[1]


def _optional_loras(manifest: dict, workflow: dict, tool_id: str) -> list[OptionalLora]:
    """The top-level `optional_loras`, each with its bilingual label."""
    raw = manifest.get("optional_loras", [])
    if not isinstance(raw, list):
        raise ManifestError(f"{tool_id}: 'optional_loras' must be a list")
    found = []
    for index, item in enumerate(raw):
        where = f"{tool_id} optional_loras[{index}]"
        try:
            lora = parse_optional_lora(item, workflow, [f.file for f in found])
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc}") from None
        found.append(replace(lora, label=_bilingual(item, "label", where)))
    return found


def _family_filter(raw: dict, where: str) -> tuple[str, ...]:
    """The filter's optional `"families": [family ids]`."""
    families = raw.get("families", [])
    if not isinstance(families, list) or not all(f in FAMILIES for f in families):
        raise ManifestError(f"{where}: filter 'families' must list ids of {', '.join(FAMILIES)}")
    return tuple(families)


def _size_fields(raw: dict, kind: str, where: str) -> dict[str, Any]:
    """An aspect parameter's `"size_classes": true` and `"custom": {step, min, max}`."""
    fields: dict[str, Any] = {}
    if "size_classes" in raw:
        if kind != "aspect" or not isinstance(raw["size_classes"], bool):
            raise ManifestError(f"{where}: 'size_classes' is a boolean of an aspect parameter")
        fields["size_classes"] = raw["size_classes"]
    if "custom" in raw:
        custom = raw["custom"]
        if kind != "aspect" or not isinstance(custom, dict) or set(custom) - {"step", "min", "max"}:
            raise ManifestError(f"{where}: 'custom' is {{step, min, max}} of an aspect parameter")
        values = {key: custom.get(key, getattr(CustomSize, key)) for key in ("step", "min", "max")}
        if not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values.values()
        ):
            raise ManifestError(f"{where}: custom step, min and max must be positive integers")
        size = CustomSize(**values)
        if size.min > size.max or size.min % size.step or size.max % size.step:
            raise ManifestError(
                f"{where}: custom min and max must be multiples of step, min <= max"
            )
        fields["custom"] = size
    return fields


def parse_param(raw: dict, workflow: dict, tool_id: str) -> Param:
    """Parse one parameter entry; mapped nodes and inputs must exist in the template."""
    where = f"{tool_id} parameter {raw.get('id')!r}"
    param_id = _need(raw, "id", str, where)
    kind = _need(raw, "type", str, where)
    if kind not in PARAM_TYPES:
        raise ManifestError(f"{where}: unknown type '{kind}'")
    fields: dict[str, Any] = {
        "id": param_id,
        "type": kind,
        "label": _bilingual(raw, "label", where),
        "default": raw.get("default"),
        "required": bool(raw.get("required", False)),
        "advanced": bool(raw.get("advanced", False)),
    }
    for key in ("min", "max", "step", "max_length", "folder", "template"):
        fields[key] = raw.get(key)
    if "choices" in raw:
        fields["choices"] = tuple(_need(raw, "choices", list, where))
    if kind == "aspect":
        targets = _need(raw, "targets", dict, where)
        fields["width_targets"] = _targets(targets.get("width"), workflow, where)
        fields["height_targets"] = _targets(targets.get("height"), workflow, where)
        presets = _need(raw, "presets", list, where)
        fields["presets"] = tuple(_preset(p, workflow, where) for p in presets)
        fields["choices"] = tuple(p.id for p in fields["presets"])
    elif kind == "loras":
        try:
            fields.update(lora_param_fields(raw, workflow))
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc}") from None
    else:
        fields["targets"] = _targets(raw.get("targets"), workflow, where)
    if kind == "seed":
        fields["min"], fields["max"] = -1, MAX_SEED
    if kind == "model" and not isinstance(fields["folder"], str):
        raise ManifestError(f"{where}: a model parameter needs its loader 'folder'")
    if "filter" in raw:
        if kind != "model":
            raise ManifestError(f"{where}: only a model parameter takes a 'filter'")
        fields["match"], fields["exclude"] = _model_filter(raw["filter"], where)
        fields["families"] = _family_filter(raw["filter"], where)
    fields.update(_size_fields(raw, kind, where))
    if kind in ("choice", "aspect") and not fields.get("choices"):
        raise ManifestError(f"{where}: needs choices")
    template = fields["template"]
    if template is not None and "{" + param_id + "}" not in template:
        raise ManifestError(f"{where}: template must contain '{{{param_id}}}'")
    param = Param(**fields)
    if param.choices and param.default not in param.choices:
        raise ManifestError(f"{where}: default {param.default!r} is not among the choices")
    return param


def parse_slot(raw: dict, workflow: dict, tool_id: str) -> Slot:
    """Parse one image slot; its LoadImage node and input must exist in the template."""
    where = f"{tool_id} slot {raw.get('id')!r}"
    slot_id = _need(raw, "id", str, where)
    if not SLOT_ID.fullmatch(slot_id):
        raise ManifestError(f"{where}: a slot id is letters, digits and '_' only")
    target = _target(raw, workflow, where)
    detach = _targets(raw.get("detach", []), workflow, where)
    required = bool(raw.get("required", True))
    if not required and not detach:
        raise ManifestError(f"{where}: an optional slot must list the inputs to 'detach'")
    mask: tuple[Rewire, ...] = ()
    if "mask" in raw:
        spec = raw["mask"]
        if not isinstance(spec, dict) or set(spec) != {"rewire"}:
            raise ManifestError(f"{where}: 'mask' must be {{rewire: [{{node, input, link}}]}}")
        mask = _rewires(spec["rewire"], workflow, f"{where} mask")
        if not mask:
            raise ManifestError(f"{where}: a mask must rewire at least one input")
    return Slot(
        slot_id,
        _bilingual(raw, "label", where),
        required,
        target.node,
        target.input,
        detach,
        mask,
    )


def parse_tool(manifest: dict, workflow: dict, path: str = "") -> ToolSpec:
    """Build a ToolSpec from the two JSON documents of a tool folder."""
    where = path or "manifest"
    tool_id = _need(manifest, "id", str, where)
    if not isinstance(workflow, dict) or not workflow:
        raise ManifestError(f"{tool_id}: workflow.json must be a non-empty API-format graph")
    for node_id, node in workflow.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise ManifestError(f"{tool_id}: node '{node_id}' lacks class_type")
        if not isinstance(node.get("inputs"), dict):
            raise ManifestError(f"{tool_id}: node '{node_id}' lacks inputs")
    slots = [parse_slot(s, workflow, tool_id) for s in _need(manifest, "slots", list, tool_id)]
    params = [
        parse_param(p, workflow, tool_id) for p in _need(manifest, "parameters", list, tool_id)
    ]
    ids = [s.id for s in slots] + [p.id for p in params]
    if len(ids) != len(set(ids)):
        raise ManifestError(f"{tool_id}: slot and parameter ids must be unique")
    outputs = _need(manifest, "outputs", list, tool_id)
    for node_id in outputs:
        if node_id not in workflow:
            raise ManifestError(f"{tool_id}: output node '{node_id}' is not in the template")
    requires = _need(manifest, "requires", dict, tool_id)
    optional_loras = _optional_loras(manifest, workflow, tool_id)
    try:
        check_lora_node_ids(workflow, params, optional_loras)
    except ValueError as exc:
        raise ManifestError(f"{tool_id}: {exc}") from None
    return ToolSpec(
        id=tool_id,
        name=_bilingual(manifest, "name", tool_id),
        description=_bilingual(manifest, "description", tool_id),
        icon=_need(manifest, "icon", str, tool_id),
        category=_need(manifest, "category", str, tool_id),
        workflow=workflow,
        slots=slots,
        parameters=params,
        outputs=list(outputs),
        requires={
            "nodes": list(requires.get("nodes", [])),
            "models": {k: list(v) for k, v in requires.get("models", {}).items()},
            "custom_node_packs": list(requires.get("custom_node_packs", [])),
        },
        variant_of=manifest.get("variant_of"),
        order=int(manifest.get("order", 100)),
        path=path,
        optional_loras=optional_loras,
    )
