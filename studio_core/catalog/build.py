"""The pure template builder: writes validated parameters, seeds, sizes and images into a copy."""

from __future__ import annotations

import copy
import logging
from collections.abc import Collection, Mapping
from typing import Any

from studio_core.catalog.loras import insert_loras
from studio_core.catalog.manifest import Param, Rewire, ToolSpec
from studio_core.catalog.params import check_mask_slots
from studio_core.catalog.sizing import aspect_size
from studio_core.catalog.workflow import (
    LOADER_INPUTS,
    SEED_INPUTS,
    ancestors,
    dangling_links,
    is_link,
)
from studio_core.errors import InvalidInput
from studio_core.models.files import installed_name

logger = logging.getLogger(__name__)


def build_graph(
    tool: ToolSpec,
    params: Mapping[str, Any],
    images: Mapping[str, str],
    filename_prefix: str,
    masked: Collection[str] = (),
    models: Mapping[str, list[str]] | None = None,
) -> dict:
    """Return a new API-format graph for `tool` (pure: the template is deep-copied, no I/O).

    `params` must come from `tool.validate` with the seed already resolved (never -1);
    `images` maps slot ids to image names ComfyUI knows (as returned by /upload/image, or by
    /upload/mask for the slots in `masked`, whose mask path is then wired in).
    `models` are the model files per folder of the ComfyUI that will run the graph, as its
    `/models/{folder}` lists them (None: unknown, e.g. the catalog check): a template's
    loader file installed only in a subfolder is written with that subfolder, and a
    manifest's optional LoRAs are inserted only when it lists their file.
    """
    _check_prefix(filename_prefix)
    graph = copy.deepcopy(tool.workflow)
    given = _place_images(tool, graph, images)
    mask_rewires = _mask_rewires(tool, masked, given)
    for param in tool.parameters:
        value = params.get(param.id, param.default)
        if param.type == "aspect":
            _apply_aspect(param, graph, value)
        elif param.type == "seed":
            _apply_seed(param, graph, value)
        else:
            if param.template is not None:
                value = param.template.replace("{" + param.id + "}", str(value)).strip()
            for target in param.targets:
                graph[target.node]["inputs"][target.input] = value
    # After the aspect preset: a mask edits the input in place, so its links win.
    for rewire in mask_rewires:
        graph[rewire.node]["inputs"][rewire.input] = list(rewire.link)
    for slot in tool.slots:
        if slot.id not in given:
            for target in slot.detach:
                graph[target.node]["inputs"].pop(target.input, None)
    # Last of the rewirings: a LoRA chain takes over every reader of its attach outputs.
    insert_loras(tool, graph, params, models)
    for node_id in tool.outputs:
        graph[node_id]["inputs"]["filename_prefix"] = filename_prefix
    # ComfyUI only runs ancestors of outputs; dropping the rest removes unused branches (the
    # other latent source, the chain of an absent optional slot) instead of shipping them.
    keep = ancestors(graph, tool.outputs)
    graph = {node_id: node for node_id, node in graph.items() if node_id in keep}
    broken = dangling_links(graph)
    if broken:
        raise ValueError(f"tool {tool.id}: graph links to missing nodes: {broken}")
    if models is not None:
        _find_loader_files(graph, models)
    return graph


def _find_loader_files(graph: dict, models: Mapping[str, list[str]]) -> None:
    """Point literal loader inputs at the installed file: "ae.safetensors" kept by the user
    as "z-image/ae.safetensors" is loaded from there (ComfyUI wants the name it lists)."""
    for node_id, node in graph.items():
        loader = LOADER_INPUTS.get(node.get("class_type", ""))
        if loader is None:
            continue
        name_input, folder = loader
        name = node["inputs"].get(name_input)
        files = models.get(folder) or []
        if not isinstance(name, str) or name in files:
            continue
        found = installed_name(name, files)
        if found is not None:
            logger.info("loader file in a subfolder node=%s file=%s found=%s", node_id, name, found)
            node["inputs"][name_input] = found


def _check_prefix(prefix: str) -> None:
    """Refuse prefixes ComfyUI would write outside its output folder."""
    if not prefix or "\\" in prefix or prefix.startswith("/") or ".." in prefix.split("/"):
        raise ValueError(f"bad filename_prefix {prefix!r}")


def _place_images(tool: ToolSpec, graph: dict, images: Mapping[str, str]) -> set[str]:
    """Write uploaded image names into the slots' LoadImage nodes; return the given slot ids."""
    slots = {slot.id: slot for slot in tool.slots}
    for slot_id in images:
        if slot_id not in slots:
            raise InvalidInput(f"{tool.id} has no image slot '{slot_id}'", field=slot_id)
    for slot in tool.slots:
        name = images.get(slot.id)
        if name is None:
            if slot.required:
                raise InvalidInput(f"image '{slot.id}' is required", field=slot.id)
            continue
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"image '{slot.id}' must be an uploaded image name", field=slot.id)
        graph[slot.node]["inputs"][slot.input] = name
    return {slot_id for slot_id, name in images.items() if name is not None}


def _mask_rewires(tool: ToolSpec, masked: Collection[str], given: set[str]) -> list[Rewire]:
    """The links of every masked slot (a slot without a mask path or image is refused)."""
    check_mask_slots(tool, given, masked)
    return [rewire for slot in tool.slots if slot.id in masked for rewire in slot.mask]


def _apply_aspect(param: Param, graph: dict, value: str) -> None:
    """Write the size (a preset's or a "<W>x<H>" literal's) to every target, or rewire for
    'keep input ratio'."""
    size = aspect_size(param, value)
    if size is None:
        for rewire in param.preset(value).rewire:
            graph[rewire.node]["inputs"][rewire.input] = list(rewire.link)
        return
    for target in param.width_targets:
        graph[target.node]["inputs"][target.input] = size[0]
    for target in param.height_targets:
        graph[target.node]["inputs"][target.input] = size[1]


def _apply_seed(param: Param, graph: dict, value: int) -> None:
    """Write the seed to the mapped inputs and to every sampler that carries a literal seed."""
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"seed {value!r} must be resolved before building (see resolve_seed)")
    for target in param.targets:
        graph[target.node]["inputs"][target.input] = value
    for node in graph.values():
        seed_input = SEED_INPUTS.get(node.get("class_type", ""))
        if seed_input and not is_link(node["inputs"].get(seed_input)):
            node["inputs"][seed_input] = value
