"""A graph's values as a tool's parameters ("load parameters from a PNG").

A graph this studio built keeps the tool's template node ids, so every mapped input is read
back exactly; any other graph is mapped by roles (prompt, seed, size...). Every value is
checked against the tool, and what finds no place is listed, never dropped silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from studio_core.catalog.manifest import Param, ToolSpec
from studio_core.importer.packs import MAIN_LOADERS
from studio_core.importer.propose import primary_latent
from studio_core.importer.roles import LORA_CLASSES, Roles, graph_roles
from studio_core.importer.values import refusal
from studio_core.models.files import installed_name

logger = logging.getLogger(__name__)

TEXT_SHOWN = 80  # characters of a value quoted in `unmatched` (a long prompt is cut)
# Below this a tool shares too little with the graph (a LoadImage and a SaveImage) to say
# that the graph was made with it.
MIN_SCORE = 0.3
STUDIO_LORA = re.compile(r"lora_([0-9]{1,4})")  # the chain build_graph inserts (contract 3)


def params_from_graph(
    tool: ToolSpec,
    graph: Mapping[str, Any],
    models_by_folder: Mapping[str, list[str]] | None = None,
) -> dict:
    """`{"tool", "params", "matched", "unmatched"}` for an API-format graph.

    With `models_by_folder` a model is matched to the installed file of the same base name
    (the graph may come from a ComfyUI that keeps it in another subfolder).
    """
    roles = graph_roles(graph)
    if is_studio_built(tool, graph):
        found, unmatched = _read_targets(tool, graph), []
    else:
        found, unmatched = _by_roles(tool, graph, roles)
    params, matched = {}, []
    for param_id, value in found.items():
        param = _param(tool, param_id)
        value = _installed_name(param, value, models_by_folder)
        if param is None:
            unmatched.append(f"{param_id}={_shown(value)}")
            continue
        if value == "" and param.type in ("string", "text"):
            continue  # an empty prompt is nothing to load
        reason = refusal(tool, param, value)
        if reason:
            unmatched.append(f"{param_id}={_shown(value)} ({reason})")
            continue
        params[param_id] = value
        matched.append(param_id)
    logger.info(
        "graph params tool=%s matched=%s unmatched=%s", tool.id, len(matched), len(unmatched)
    )
    return {"tool": tool.id, "params": params, "matched": matched, "unmatched": unmatched}


def is_studio_built(tool: ToolSpec, graph: Mapping[str, Any]) -> bool:
    """True when the graph keeps the tool's template ids: its outputs and mapped nodes."""
    template = tool.workflow
    if not tool.outputs or not all(_same_node(template, graph, o) for o in tool.outputs):
        return False
    mapped = {t.node for p in tool.parameters for t in (*p.targets, *p.width_targets)}
    return any(_same_node(template, graph, n) for n in mapped)


def best_tool(tools: Iterable[ToolSpec], graph: Mapping[str, Any]) -> ToolSpec | None:
    """The tool whose template looks most like the graph (None when too little overlaps).

    Node ids shared with the same class count twice the class overlap (both as shares of
    the union, so a template with nodes the graph lacks scores lower). A tool that needs
    more images than the graph loads cannot have made it."""
    pairs = {(node_id, node["class_type"]) for node_id, node in graph.items()}
    classes = {class_type for _node_id, class_type in pairs}
    images = sum(1 for _node_id, class_type in pairs if class_type == "LoadImage")
    best, best_score = None, MIN_SCORE
    for tool in tools:
        own_pairs = {(node_id, node["class_type"]) for node_id, node in tool.workflow.items()}
        own = {class_type for _node_id, class_type in own_pairs}
        same_ids = len(own_pairs & pairs) / len(own_pairs | pairs)
        overlap = len(own & classes) / len(own | classes)
        required = sum(1 for slot in tool.slots if slot.required)
        score = 2 * same_ids + overlap - (1.0 if required > images else 0.0)
        if score > best_score or (best is None and score >= best_score):
            best, best_score = tool, score
    return best


def _same_node(template: Mapping[str, Any], graph: Mapping[str, Any], node_id: str) -> bool:
    return node_id in graph and graph[node_id].get("class_type") == template[node_id]["class_type"]


def _param(tool: ToolSpec, param_id: str) -> Param | None:
    return next((p for p in tool.parameters if p.id == param_id), None)


def _value_at(graph: Mapping[str, Any], targets: Iterable[Any]) -> Any:
    for target in targets:
        value = graph.get(target.node, {}).get("inputs", {}).get(target.input)
        if value is not None and not isinstance(value, list):
            return value
    return None


def _read_targets(tool: ToolSpec, graph: Mapping[str, Any]) -> dict:
    found: dict[str, Any] = {}
    for param in tool.parameters:
        if param.type == "aspect":
            value = _aspect_back(param, graph)
        elif param.type == "loras":
            value = _loras(
                sorted((n for n in graph if STUDIO_LORA.fullmatch(n)), key=_number), graph
            )
        else:
            value = _value_at(graph, param.targets)
            if isinstance(value, str) and param.template:
                value = _untemplate(param, value)
        if value is not None:
            found[param.id] = value
    return found


def _number(node_id: str) -> int:
    return int(node_id.rsplit("_", 1)[1])


def _aspect_back(param: Param, graph: Mapping[str, Any]) -> str | None:
    width, height = _value_at(graph, param.width_targets), _value_at(graph, param.height_targets)
    if width is None or height is None:
        # the latent node was dropped: a 'keep the input's ratio' preset rewired the sampler
        for preset in param.presets:
            if preset.rewire and all(
                graph.get(r.node, {}).get("inputs", {}).get(r.input) == list(r.link)
                for r in preset.rewire
            ):
                return preset.id
        return None
    return _size_value(param, width, height)


def _size_value(param: Param, width: Any, height: Any) -> str:
    """The preset with this size, else the literal "<W>x<H>" (refused later when the
    parameter takes no custom size)."""
    for preset in param.presets:
        if (preset.width, preset.height) == (width, height):
            return preset.id
    return f"{width}x{height}"


def _untemplate(param: Param, value: str) -> str:
    head, _, tail = (param.template or "").partition("{" + param.id + "}")
    head, tail = head.strip(), tail.strip()
    if value.startswith(head) and value.endswith(tail):
        return value[len(head) : len(value) - len(tail) if tail else None].strip()
    return value


def _loras(node_ids: list[str], graph: Mapping[str, Any]) -> list[dict]:
    found = []
    for node_id in node_ids:
        node = graph[node_id]
        if node.get("class_type") not in LORA_CLASSES:
            continue
        name, strength = node["inputs"].get("lora_name"), node["inputs"].get("strength_model", 1.0)
        if isinstance(name, str) and isinstance(strength, (int, float)):
            found.append({"name": name, "strength": float(strength)})
    return found


def _by_roles(tool: ToolSpec, graph: Mapping[str, Any], roles: Roles) -> tuple[dict, list[str]]:
    """Values a foreign graph holds, under the tool's parameter ids; the rest as `unmatched`."""
    candidates: list[tuple[str, str | None, Any]] = []  # (role, param id, value)

    def first(refs: list) -> Any:
        return graph[refs[0][0]]["inputs"][refs[0][1]] if refs else None

    candidates.append(("prompt", "prompt", first(roles.positive)))
    candidates.append(("negative_prompt", "negative_prompt", first(roles.negative)))
    seed = next((p.id for p in tool.parameters if p.type == "seed"), None)
    candidates.append(("seed", seed, first(roles.seeds)))
    for name in ("steps", "cfg", "denoise", "sampler_name", "scheduler"):
        candidates.append((name, name, first(roles.settings.get(name, []))))
    latent = primary_latent(graph, roles)
    if latent is not None:
        inputs = graph[latent]["inputs"]
        aspect = next((p for p in tool.parameters if p.type == "aspect"), None)
        size = _size_value(aspect, inputs["width"], inputs["height"]) if aspect else None
        candidates.append(
            ("size", aspect.id if aspect else None, size or f"{inputs['width']}x{inputs['height']}")
        )
        candidates.append(("batch_size", "batch_size", inputs.get("batch_size")))
    if roles.main_loader is not None:
        candidates.append(_model_candidate(tool, graph[roles.main_loader]))
    loras = _loras(roles.loras, graph)
    if loras:
        candidates.append(("loras", "loras" if _param(tool, "loras") else None, loras))
    found, unmatched = {}, []
    for role, param_id, value in candidates:
        if value is None:
            continue
        if param_id is None or _param(tool, param_id) is None:
            unmatched.append(f"{role}={_shown(value)}")
            continue
        found[param_id] = value
    return found, unmatched


def _model_candidate(tool: ToolSpec, loader: Mapping[str, Any]) -> tuple[str, str | None, Any]:
    """("model", the tool's model parameter or None, the file): a file from another folder
    (a diffusion model for a checkpoint tool) has no place, whatever its name."""
    input_name, folder = MAIN_LOADERS[loader["class_type"]]
    name = loader["inputs"].get(input_name)
    model = next((p for p in tool.parameters if p.type == "model"), None)
    if model is None or model.folder != folder:
        return ("model", None, f"{folder}/{name}" if isinstance(name, str) else None)
    return ("model", model.id, name if isinstance(name, str) else None)


def _installed_name(param: Param | None, value: Any, models: Mapping[str, list[str]] | None) -> Any:
    if param is None or param.type != "model" or models is None or not isinstance(value, str):
        return value
    return installed_name(value, models.get(param.folder or "", [])) or value


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"
