"""The catalog check's probes of built graphs: schema validity, prompt, seed, sizes, model."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from comfy_schema.validation import validate_prompt
from studio_core.catalog.loras import LoraAttach, installed_lora
from studio_core.catalog.sizing import aspect_size
from studio_core.catalog.tools import Tool, combo_options
from studio_core.catalog.workflow import (
    INSERTED_LORA_ID,
    LORA_NODE_ID,
    OPTIONAL_LORA_NODE_ID,
    SEED_INPUTS,
    ancestors,
    is_link,
    links_of,
)
from studio_core.models.sizes import SIZE_CLASSES, parse_size, size_literal

PROMPT, NEGATIVE = "catalog-check positive text", "catalog-check negative text"
PREFIX = "studio/catalog-check"
# LoRA files the check's engine has: at the top and in subfolders, as ComfyUI lists them
CHECK_LORAS = (
    "catalog-check-a.safetensors",
    "catalog-check/b.safetensors",
    "catalog-check/sub/c.safetensors",
)


def alt_model(param: Any) -> str:
    """Another file for a model parameter: the default's name in a subfolder, so it fits
    the parameter's filter whenever the default does."""
    base = str(param.default or "alternative.safetensors").rsplit("/", 1)[-1]
    return f"catalog-check/{base}"


def input_spec(object_info: Mapping[str, Any], class_type: str, name: str) -> list | None:
    """The schema entry of one input (required or optional), or None if the class lacks it."""
    inputs = object_info.get(class_type, {}).get("input", {})
    for section in ("required", "optional"):
        spec = inputs.get(section, {}).get(name)
        if spec is not None:
            return spec
    return None


def is_widget(spec: list) -> bool:
    """True for inputs that take a literal value (INT, FLOAT, STRING, BOOLEAN, a combo)."""
    return isinstance(spec[0], list) or spec[0] in ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO")


def validate_graph(graph: dict, info: dict, image_names: list[str]) -> list[str]:
    """ComfyUI's /prompt validation (comfy_schema's port), plus what it lets through."""
    error, node_errors, _outputs = validate_prompt(
        copy.deepcopy(graph), info, input_exists=image_names.__contains__
    )
    problems = []
    if error is not None:
        problems.append(f"ComfyUI would reject it: {error.get('message')} {error.get('details')}")
    for node_id, entry in node_errors.items():
        for err in entry.get("errors", []):
            problems.append(f"node {node_id}: {err.get('message')}: {err.get('details')}")
    # ComfyUI accepts unknown input names and unchecked V3 combo values at POST time, then
    # ignores or fails on them at run time; a template must have neither.
    for node_id, node in graph.items():
        for name, value in node["inputs"].items():
            spec = input_spec(info, node["class_type"], name)
            if spec is None:
                problems.append(f"node {node_id}: {node['class_type']} has no input '{name}'")
            elif not is_link(value) and not is_widget(spec):
                problems.append(f"node {node_id}: {name} needs a link to a {spec[0]}")
            elif spec[0] == "COMBO" and not is_link(value) and value not in combo_options(spec):
                problems.append(f"node {node_id}: {name}={value!r} is not an option")
    return problems


def built_graph_problems(
    tool: Tool,
    label: str,
    params: dict,
    given: dict,
    images: dict,
    graph: dict,
    masked: tuple[str, ...] = (),
) -> list[str]:
    """What is wrong in one built graph of `tool` (built from `params` with the check's texts)."""
    problems = _mask_problems(tool, graph, masked)
    roles = {role: _sources(graph, role) for role in ("positive", "negative")}
    if not roles["positive"]:
        problems.append("no sampler takes a positive conditioning")
    for param_id, text, right, wrong in (
        ("prompt", PROMPT, "positive", "negative"),
        ("negative_prompt", NEGATIVE, "negative", "positive"),
    ):
        landed = _holds(graph, roles[right], text) and not _holds(graph, roles[wrong], text)
        if tool.param(param_id) and not landed:
            problems.append(f"'{param_id}' does not land in the {right} conditioning")
    for node_id, node in graph.items():
        seed_input = SEED_INPUTS.get(node["class_type"])
        if seed_input and "seed" in params and node["inputs"].get(seed_input) != params["seed"]:
            problems.append(f"the seed does not reach sampler {node_id}")
    saves = [n for n in graph.values() if n["class_type"] == "SaveImage"]
    if len(saves) != 1 or saves[0]["inputs"].get("filename_prefix") != PREFIX:
        problems.append("the built graph needs one SaveImage with the studio's filename_prefix")
    for slot in tool.slots:
        present = (
            slot.node in graph and graph[slot.node]["inputs"].get(slot.input) == images[slot.id]
        )
        if present != (slot.id in given):
            problems.append(
                f"slot {slot.id}: LoadImage {'missing' if slot.id in given else 'left'}"
            )
    for param in tool.parameters:
        if param.type == "aspect" and label == f"{param.id}={params[param.id]}":
            value = params[param.id]
            problems += _size_problems(graph, value, aspect_size(param, value), params)
        if param.type == "model" and label.startswith(f"{param.id}="):
            files = [graph.get(t.node, {}).get("inputs", {}).get(t.input) for t in param.targets]
            if not files or any(name != alt_model(param) for name in files):
                problems.append(f"'{param.id}' does not change the loader's file")
    return problems


def size_values(param: Any) -> list[str]:
    """The size literals the check builds for an aspect parameter besides its presets: every
    class size (`size_classes`) and the corners and a middle of its custom range."""
    values: list[str] = []
    if param.size_classes:
        values += [
            size_literal(*size)
            for table in SIZE_CLASSES.values()
            for ratio, size in table.items()
            if ratio in (param.choices or ())
        ]
    custom = param.custom
    if custom is not None:
        middle = (custom.min + custom.max) // 2 // custom.step * custom.step
        values += [
            size_literal(custom.min, custom.min),
            size_literal(custom.max, custom.min),
            size_literal(middle, custom.min + custom.step),
        ]
    return list(dict.fromkeys(values))


def custom_size_problems(tool: Tool, info: Mapping[str, Any]) -> list[str]:
    """An aspect parameter's class and custom sizes must suit its latent nodes' width and
    height inputs (their step, min and max in the node schema)."""
    problems = []
    for param in tool.parameters:
        if param.type != "aspect" or not (param.size_classes or param.custom):
            continue
        sides = {side for value in size_values(param) for side in parse_size(value) or ()}
        for target in (*param.width_targets, *param.height_targets):
            class_type = tool.workflow[target.node]["class_type"]
            spec = input_spec(info, class_type, target.input)
            limits = spec[1] if spec and len(spec) > 1 and isinstance(spec[1], dict) else {}
            step, low, high = limits.get("step", 1), limits.get("min", 0), limits.get("max")
            custom = param.custom
            if custom is not None and custom.step % step:
                problems.append(
                    f"parameter {param.id}: custom step {custom.step} is no multiple of "
                    f"{class_type}.{target.input}'s step {step}"
                )
            bad = sorted(s for s in sides if s % step or s < low or (high and s > high))
            if bad:
                problems.append(
                    f"parameter {param.id}: sizes {bad} do not suit {class_type}.{target.input}"
                )
    return problems


def _mask_problems(tool: Tool, graph: dict, masked: tuple[str, ...]) -> list[str]:
    """A painted mask (LoadImage's MASK output) reaches every sampler's latent, or nothing."""
    problems = []
    for slot in tool.slots:
        if not slot.mask:
            continue
        mask_link = [slot.node, 1]
        readers = {nid for nid, n in graph.items() for _, link in links_of(n) if link == mask_link}
        if slot.id not in masked:
            if readers:
                problems.append(f"slot {slot.id}: the mask path stays without a mask {readers}")
            continue
        for node_id, node in graph.items():
            link = node["inputs"].get("latent_image")
            if is_link(link) and not readers & ancestors(graph, [link[0]]):
                problems.append(f"slot {slot.id}: the mask does not reach sampler {node_id}")
        if not readers:
            problems.append(f"slot {slot.id}: nothing reads the mask ({slot.node} output 1)")
    return problems


def _sources(graph: dict, role: str) -> set[str]:
    """Every node feeding any sampler/guider input named `role`."""
    starts = [link[0] for node in graph.values() for name, link in links_of(node) if name == role]
    return ancestors(graph, starts)


def _holds(graph: dict, node_ids: set[str], text: str) -> bool:
    return any(
        isinstance(value, str) and text in value
        for node_id in node_ids
        for value in graph[node_id]["inputs"].values()
    )


def _size_problems(
    graph: dict, value: str, size: tuple[int, int] | None, params: dict
) -> list[str]:
    """Every sampler's latent has the value's size (None: follows the input image)."""
    problems = []
    for node_id, node in graph.items():
        link = node["inputs"].get("latent_image")
        if not isinstance(link, list):
            continue
        feeding = [graph[i]["inputs"] for i in ancestors(graph, [link[0]])]
        sized = [(i.get("width"), i.get("height")) for i in feeding if "width" in i]
        if size is None:
            if sized or not any(
                graph[i]["class_type"] == "LoadImage" for i in ancestors(graph, [link[0]])
            ):
                problems.append(f"'{value}': sampler {node_id} latent does not follow the input")
        elif sized != [size]:
            problems.append(f"'{value}': sampler {node_id} gets size {sized}")
        batch = params.get("batch_size")
        if batch and not any(i.get("batch_size", i.get("amount")) == batch for i in feeding):
            problems.append(f"'{value}': batch_size {batch} does not reach sampler {node_id}")
    return problems


def check_lora_list(param: Any) -> list[dict]:
    """A LoRA list for a loras parameter: up to three of CHECK_LORAS, strengths in range."""
    strengths = (0.5, param.max, param.min)
    count = min(len(CHECK_LORAS), param.max_items or 1)
    return [
        {"name": name, "strength": strength}
        for name, strength in zip(CHECK_LORAS[:count], strengths[:count], strict=True)
    ]


def optional_lora_models(tool: Tool) -> dict[str, list[str]]:
    """An engine's loras folder that has every optional LoRA of `tool`, in a subfolder."""
    return {"loras": [f"catalog-check/{lora.file}" for lora in tool.optional_loras]}


def lora_problems(tool: Tool, params: dict, graph: dict, models: dict | None) -> list[str]:
    """The user's LoRAs and the installed optional LoRAs (and no others) sit in the graph,
    chained so every sampler's model (and every CLIP reader) passes through them."""
    problems, expected = [], set()
    for param in tool.parameters:
        if param.type == "loras" and param.attach:
            chain = [
                (LORA_NODE_ID.format(number), entry["name"], entry["strength"])
                for number, entry in enumerate(params.get(param.id) or [], start=1)
            ]
            expected |= {node_id for node_id, _name, _strength in chain}
            problems += _chain_problems(graph, param.attach, chain, f"'{param.id}'")
    for number, lora in enumerate(tool.optional_loras, start=1):
        name = installed_lora(lora, models)
        if name is not None:
            node_id = OPTIONAL_LORA_NODE_ID.format(number)
            expected.add(node_id)
            chain = [(node_id, name, lora.strength)]
            problems += _chain_problems(graph, lora.attach, chain, f"optional LoRA {lora.file}")
    inserted = {node_id for node_id in graph if INSERTED_LORA_ID.fullmatch(node_id)}
    if inserted != expected:
        problems.append(f"LoRA nodes {sorted(inserted)} where {sorted(expected)} belong")
    return problems


def _chain_problems(graph: dict, attach: LoraAttach, chain: list, what: str) -> list[str]:
    if not chain:
        return []
    problems = []
    ids = [node_id for node_id, _name, _strength in chain]
    for node_id, name, strength in chain:
        inputs = graph.get(node_id, {}).get("inputs", {})
        wanted = {"lora_name": name, "strength_model": strength}
        if attach.clip:
            wanted["strength_clip"] = strength
        if any(inputs.get(key) != value for key, value in wanted.items()):
            problems.append(f"{what}: {node_id} does not load {name} at {strength}")
    outputs = {attach.model, attach.clip} - {None}
    bypass = sorted(
        node_id
        for node_id, node in graph.items()
        for _name, link in links_of(node)
        if tuple(link) in outputs and node_id != ids[0]
    )
    if bypass:
        problems.append(f"{what}: {bypass} still read the outputs the LoRAs attach to")
    for node_id, node in graph.items():
        if node["class_type"] in SEED_INPUTS:
            link = node["inputs"].get("model")
            start = [link[0]] if is_link(link) else [node_id]
            if not set(ids) <= ancestors(graph, start):
                problems.append(f"{what}: sampler {node_id}'s model does not pass the LoRAs")
        link = node["inputs"].get("clip")
        reader = attach.clip and node_id not in ids and is_link(link)
        if reader and ids[-1] not in ancestors(graph, [link[0]]):
            problems.append(f"{what}: {node_id}'s clip does not pass the LoRAs")
    return problems
