"""LoRAs: their manifest entries, checking a user's LoRA list, and inserting LoRA loader
chains into a built graph.

A "loras" parameter's value is `[{"name": <file as ComfyUI lists it>, "strength": float}]`;
build_graph chains one loader per entry ("lora_1".."lora_N") after the parameter's attach
outputs. A manifest's `optional_loras` are chained the same way ("optional_lora_1"..) when
the engine has the file, found by its base name in any subfolder of its loras folder.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from studio_core.catalog.workflow import (
    INSERTED_LORA_ID,
    LORA_NODE_ID,
    OPTIONAL_LORA_NODE_ID,
    is_link,
    links_of,
)
from studio_core.errors import InvalidInput
from studio_core.models.files import installed_name

# The manifest module builds on this one (it parses the entries below), so its Param and
# ToolSpec are typed `Any` here: a `param` is a Param of type "loras", a `tool` a ToolSpec.

LORA_FOLDER = "loras"  # where ComfyUI lists LoRA files (optional LoRAs are looked up here)
MAX_NAME = 255


@dataclass(frozen=True)
class LoraAttach:
    """Where a LoRA chain goes: after these template outputs (a MODEL, and a CLIP or None for a
    model-only chain); every former reader of them reads the chain's end instead."""

    model: tuple[str, int]
    clip: tuple[str, int] | None = None


@dataclass(frozen=True)
class OptionalLora:
    """A LoRA the template uses only when the engine has its file (by base name)."""

    file: str
    strength: float
    attach: LoraAttach
    label: Any = None  # {en, zh-TW}, checked by the manifest parser


# ---- manifest entries (ValueError; the manifest parser adds the place) ---------------------


def parse_attach(raw: Any, workflow: Mapping[str, Any]) -> LoraAttach:
    """`{"model": [node, output], "clip": [node, output]}` (clip optional): template outputs
    that template nodes read through inputs of that name (so a chain there changes the run)."""
    if not isinstance(raw, dict) or "model" not in raw or set(raw) - {"model", "clip"}:
        raise ValueError("'attach' must be {model: [node, output], clip?: [node, output]}")
    links: dict[str, tuple[str, int]] = {}
    for kind in ("model", "clip"):
        if kind not in raw:
            continue
        link = raw[kind]
        if not is_link(link) or link[0] not in workflow or link[1] < 0:
            raise ValueError(f"attach {kind} {link!r} must be [template node, output]")
        readers = [
            name for node in workflow.values() for name, value in links_of(node) if value == link
        ]
        if kind not in readers:
            raise ValueError(f"no template node reads attach {kind} {link!r} as its '{kind}'")
        links[kind] = (link[0], link[1])
    if links["model"] == links.get("clip"):
        raise ValueError("attach model and clip must be different outputs")
    return LoraAttach(links["model"], links.get("clip"))


def _number(raw: Any, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ValueError(f"'{name}' must be a finite number")
    return float(raw)


def lora_param_fields(raw: Mapping[str, Any], workflow: Mapping[str, Any]) -> dict:
    """The Param fields of a "loras" parameter: folder, max_items, strength range, attach."""
    for key in ("targets", "choices", "template", "filter"):
        if key in raw:
            raise ValueError(f"a loras parameter takes no '{key}' (it has 'attach')")
    folder = raw.get("folder", LORA_FOLDER)
    max_items = raw.get("max_items", 4)
    if not isinstance(folder, str) or not folder:
        raise ValueError("'folder' must be a model folder name")
    if isinstance(max_items, bool) or not isinstance(max_items, int) or not 1 <= max_items <= 16:
        raise ValueError("'max_items' must be a whole number from 1 to 16")
    low, high = _number(raw.get("min", -2.0), "min"), _number(raw.get("max", 2.0), "max")
    if low >= high:
        raise ValueError("'min' must be below 'max'")
    if raw.get("default", []) != []:
        raise ValueError("a loras parameter's default is the empty list")
    if "attach" not in raw:
        raise ValueError("missing 'attach'")
    return {
        "folder": folder,
        "max_items": max_items,
        "min": low,
        "max": high,
        "default": [],
        "attach": parse_attach(raw["attach"], workflow),
    }


def parse_optional_lora(
    raw: Any, workflow: Mapping[str, Any], earlier: Collection[str] = ()
) -> OptionalLora:
    """One `optional_loras` entry {file, strength, attach, label} (the label is not checked
    here); `earlier` are the files of the entries before it."""
    if not isinstance(raw, dict):
        raise ValueError("must be {file, strength, attach, label}")
    unknown = sorted(set(raw) - {"file", "strength", "attach", "label"})
    if unknown:
        raise ValueError(f"unknown key '{unknown[0]}'")
    file = raw.get("file")
    # a base name: the engine's file is found by it in any subfolder of loras/
    if not isinstance(file, str) or not file or any(c in file for c in "/\\:\x00"):
        raise ValueError("'file' must be a plain file name (no folder)")
    if file.lower() in {name.lower() for name in earlier}:
        raise ValueError("lists a file twice")
    if "attach" not in raw:
        raise ValueError("missing 'attach'")
    return OptionalLora(
        file=file,
        strength=_number(raw.get("strength", 1.0), "strength"),
        attach=parse_attach(raw["attach"], workflow),
        label=raw.get("label"),
    )


def check_lora_node_ids(
    workflow: Mapping[str, Any], params: Sequence[Any], optional: Sequence[OptionalLora]
) -> None:
    """Inserted LoRA nodes get ids of their own: one loras parameter per tool, and no
    template node may already use such an id (ValueError otherwise)."""
    if sum(p.type == "loras" for p in params) > 1:
        raise ValueError("at most one parameter of type 'loras'")
    if optional or any(p.type == "loras" for p in params):
        clash = sorted(i for i in workflow if INSERTED_LORA_ID.fullmatch(i))
        if clash:
            raise ValueError(f"node ids {clash} are reserved for inserted LoRAs")


# ---- a user's list -----------------------------------------------------------------------


def check_loras(param: Any, value: Any, models: Mapping[str, list[str]] | None) -> list[dict]:
    """The checked list `[{"name", "strength"}]`, or InvalidInput naming `<id>`,
    `<id>.<i>.name` or `<id>.<i>.strength`.

    A multipart form sends parameters as text, so a JSON-encoded list is read too; a missing
    strength is 1.0; with `models` every name must be installed in the parameter's folder.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, list):
        raise InvalidInput(
            f"'{param.id}' must be a list of {{name, strength}} objects", field=param.id
        )
    if param.max_items is not None and len(value) > param.max_items:
        raise InvalidInput(f"'{param.id}' takes at most {param.max_items} LoRAs", field=param.id)
    checked: list[dict] = []
    for index, item in enumerate(value):
        where = f"{param.id}.{index}"
        if not isinstance(item, Mapping):
            raise InvalidInput(f"'{where}' must be an object {{name, strength}}", field=where)
        unknown = sorted(str(key) for key in item if key not in ("name", "strength"))
        if unknown:
            raise InvalidInput(
                f"'{where}' has no field '{unknown[0]}'", field=f"{where}.{unknown[0]}"
            )
        name = _check_name(param, item.get("name"), models, f"{where}.name")
        if any(entry["name"] == name for entry in checked):
            raise InvalidInput(f"LoRA '{name}' is listed twice", field=f"{where}.name")
        strength = _check_strength(param, item.get("strength"), f"{where}.strength")
        checked.append({"name": name, "strength": strength})
    return checked


def _check_name(param: Any, name: Any, models: Mapping | None, field: str) -> str:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise InvalidInput(f"'{field}' must be a LoRA file name", field=field)
    # names come from ComfyUI's own lists; anything path-like beyond that is refused
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or ":" in name or "\x00" in name:
        raise InvalidInput(f"'{field}' is not a valid LoRA file name", field=field)
    if models is not None and name not in (models.get(param.folder or LORA_FOLDER) or []):
        raise InvalidInput(
            f"LoRA '{name}' is not installed in ComfyUI's {param.folder} folder", field=field
        )
    return name


def _check_strength(param: Any, raw: Any, field: str) -> float:
    if raw is None:
        return 1.0
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise InvalidInput(f"'{field}' must be a number", field=field)
    try:
        strength = float(raw)
    except ValueError:
        raise InvalidInput(f"'{field}' must be a number", field=field) from None
    if not math.isfinite(strength):
        raise InvalidInput(f"'{field}' must be a finite number", field=field)
    if param.min is not None and strength < param.min:
        raise InvalidInput(f"'{field}' must be at least {param.min}", field=field)
    if param.max is not None and strength > param.max:
        raise InvalidInput(f"'{field}' must be at most {param.max}", field=field)
    return strength


# ---- the graph ---------------------------------------------------------------------------


def installed_lora(lora: OptionalLora, models: Mapping[str, list[str]] | None) -> str | None:
    """The name the engine lists an optional LoRA's file under (maybe in a subfolder), or
    None when it lacks the file; the exact name wins over a subfolder copy."""
    return installed_name(lora.file, (models or {}).get(LORA_FOLDER) or [])


def insert_loras(
    tool: Any,
    graph: dict,
    params: Mapping[str, Any],
    models: Mapping[str, list[str]] | None,
) -> None:
    """Chain the user's LoRAs and the installed optional LoRAs into `graph` (in place).

    Nothing changes without LoRAs; `models` None (unknown) leaves optional LoRAs out.
    """
    for param in tool.parameters:
        if param.type == "loras" and param.attach and params.get(param.id):
            chain = [
                (LORA_NODE_ID.format(number), entry["name"], entry["strength"])
                for number, entry in enumerate(params[param.id], start=1)
            ]
            _insert_chain(graph, param.attach, chain)
    for number, lora in enumerate(tool.optional_loras, start=1):
        name = installed_lora(lora, models)
        if name is not None:
            node_id = OPTIONAL_LORA_NODE_ID.format(number)
            _insert_chain(graph, lora.attach, [(node_id, name, lora.strength)])


def _insert_chain(graph: dict, attach: LoraAttach, chain: Sequence[tuple[str, str, float]]) -> None:
    """Put one loader per (node id, file, strength) after the attach outputs, and point
    every former reader of those outputs at the chain's end."""
    ends = {"model": attach.model, "clip": attach.clip}
    outputs = {kind: list(link) for kind, link in ends.items() if link is not None}
    readers = [
        (node_id, name, kind)
        for node_id, node in graph.items()
        for name, link in links_of(node)
        for kind, output in outputs.items()
        if link == output
    ]
    with_clip = "clip" in outputs
    for node_id, name, strength in chain:
        if node_id in graph:
            raise ValueError(f"LoRA node id {node_id!r} is already in the graph")
        inputs: dict[str, Any] = {"model": outputs["model"]}
        if with_clip:
            inputs["clip"] = outputs["clip"]
        inputs.update({"lora_name": name, "strength_model": strength})
        if with_clip:
            inputs["strength_clip"] = strength
        graph[node_id] = {
            "class_type": "LoraLoader" if with_clip else "LoraLoaderModelOnly",
            "inputs": inputs,
            "_meta": {"title": f"LoRA {name}"},
        }
        outputs = {"model": [node_id, 0], **({"clip": [node_id, 1]} if with_clip else {})}
    for node_id, name, kind in readers:
        graph[node_id]["inputs"][name] = list(outputs[kind])


def lora_node_classes(tool: Any) -> set[str]:
    """The loader classes build_graph may insert into this tool's graph."""
    attaches = [p.attach for p in tool.parameters if p.type == "loras" and p.attach]
    attaches += [lora.attach for lora in tool.optional_loras]
    return {"LoraLoader" if a.clip else "LoraLoaderModelOnly" for a in attaches}
