"""Prove the catalog sound: `python -m studio_core.catalog.check [--catalog DIR] [--object-info F]`.

For every tool folder: templates valid against the node schemas, every mapping pointing at a
real node input, the prompt in the positive conditioning, the seed in every sampler, each
aspect preset, class size and custom size giving its size (custom steps suiting the latent
node's), the model parameter changing the loader, a LoRA list (and an installed optional
LoRA) chained in front of every sampler's model and CLIP reader, no backslashes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from comfy_schema.object_info import load_object_info, with_file_lists
from studio_core.catalog.build import build_graph
from studio_core.catalog.loras import lora_node_classes
from studio_core.catalog.manifest import ManifestError, Target
from studio_core.catalog.probes import (
    CHECK_LORAS,
    NEGATIVE,
    PREFIX,
    PROMPT,
    alt_model,
    built_graph_problems,
    check_lora_list,
    custom_size_problems,
    input_spec,
    is_widget,
    lora_problems,
    optional_lora_models,
    size_values,
    validate_graph,
)
from studio_core.catalog.tools import DEFAULT_DIR, Tool, load_tool
from studio_core.catalog.workflow import LOADER_INPUTS, SEED_INPUTS
from studio_core.errors import InvalidInput

logger = logging.getLogger(__name__)

SEED = 424242


def check_catalog(path: str | Path | None = None, object_info: Mapping | None = None) -> list[str]:
    """Every problem in the catalog folder as 'tool: message' (an empty list means all good)."""
    return [p for problems in check_folders(path, object_info).values() for p in problems]


def check_folders(path: str | Path | None = None, object_info: Mapping | None = None) -> dict:
    """Problems per tool folder name, for every folder with a manifest under `path`."""
    root = Path(path) if path is not None else DEFAULT_DIR
    info = object_info if object_info is not None else load_object_info()
    folders = sorted(p for p in root.iterdir() if (p / "manifest.json").is_file())
    if not folders:
        return {root.name: [f"{root}: no tool folders"]}
    results = {folder.name: check_folder(folder, info) for folder in folders}
    failed = sorted(name for name, problems in results.items() if problems)
    logger.info("catalog check path=%s tools=%s failed=%s", root, len(results), failed)
    return results


def check_folder(folder: Path, object_info: Mapping) -> list[str]:
    """Problems of one tool folder, each prefixed with the folder name."""
    problems = _backslashes(folder)
    try:
        tool = load_tool(folder)
    except ManifestError as exc:
        return [f"{folder.name}: {exc}", *problems]
    problems += [f"{tool.id}: {p}" for p in check_tool(tool, object_info)]
    return problems


def check_tool(tool: Tool, object_info: Mapping) -> list[str]:
    """Problems of one loaded tool against the node schemas."""
    problems = _static_problems(tool, object_info)
    images = {slot.id: f"catalog-check-{slot.id}.png" for slot in tool.slots}
    models = {folder: list(files) for folder, files in tool.requires["models"].items()}
    if tool.model_param:
        models.setdefault(tool.model_param.folder, []).append(alt_model(tool.model_param))
    with_loras = optional_lora_models(tool)
    models.setdefault("loras", []).extend([*CHECK_LORAS, *with_loras["loras"]])
    info = with_file_lists(dict(object_info), models, list(images.values()))
    try:
        base = tool.validate(_base_raw(tool), images=list(images))
    except InvalidInput as exc:
        return [f"defaults do not validate: {exc.field}: {exc.message}"]
    base = {**base, "seed": SEED} if tool.param("seed") else base
    variants = [(*variant, None) for variant in _variants(tool, base, images)]
    if tool.optional_loras:  # the engine has them (in a subfolder): they join the graph
        variants.append(("optional LoRAs installed", base, images, (), with_loras))
    for label, params, given, masked, engine_models in variants:
        try:
            tool.validate(params, images=list(given), masks=masked)
            graph = build_graph(tool, params, given, PREFIX, masked, models=engine_models)
        except (ValueError, KeyError, InvalidInput) as exc:
            problems.append(f"[{label}] build failed: {exc}")
            continue
        found = validate_graph(graph, info, list(given.values()))
        found += built_graph_problems(tool, label, params, given, images, graph, masked)
        found += lora_problems(tool, params, graph, engine_models)
        problems += [f"[{label}] {p}" for p in found]
    return problems


def _backslashes(folder: Path) -> list[str]:
    problems = []
    for name in ("manifest.json", "workflow.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # load_tool reports unreadable files
        for text in _strings(data):
            if "\\" in text:
                problems.append(f"{folder.name}/{name}: backslash in {text!r} (use /)")
    return problems


def _strings(data: Any):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _static_problems(tool: Tool, info: Mapping) -> list[str]:
    problems = []
    workflow = tool.workflow
    # what the template uses and the LoRA loaders build_graph may add to it
    used = {node["class_type"] for node in workflow.values()} | lora_node_classes(tool)
    missing = sorted(c for c in used if c not in info)
    if missing and not tool.requires["custom_node_packs"]:
        problems.append(f"node classes not in ComfyUI core: {missing} (declare the pack)")
    if used != set(tool.requires["nodes"]):
        problems.append(f"requires.nodes {sorted(tool.requires['nodes'])} != used {sorted(used)}")
    loaded: dict[str, set[str]] = {}
    for node in workflow.values():
        if node["class_type"] in LOADER_INPUTS:
            name, folder = LOADER_INPUTS[node["class_type"]]
            loaded.setdefault(folder, set()).add(node["inputs"].get(name))
    declared = {folder: set(files) for folder, files in tool.requires["models"].items() if files}
    if loaded != declared:
        problems.append(f"requires.models {declared} != files the loaders load {loaded}")
    problems += _mapping_problems(tool, info)
    problems += custom_size_problems(tool, info)
    for param in tool.parameters:
        for target in param.targets if param.type == "model" else ():
            loader = LOADER_INPUTS.get(workflow[target.node]["class_type"])
            if loader != (target.input, param.folder):
                problems.append(f"parameter {param.id}: {target.node} is no {param.folder} loader")
    for slot in tool.slots:
        if workflow[slot.node]["class_type"] != "LoadImage":
            problems.append(f"slot {slot.id}: node {slot.node} is not a LoadImage")
    saves = sorted(i for i, n in workflow.items() if n["class_type"] == "SaveImage")
    if saves != sorted(tool.outputs) or len(saves) != 1:
        problems.append(f"needs exactly one SaveImage listed in outputs (has {saves})")
    seed = tool.param("seed")
    seed_targets = {(t.node, t.input) for t in seed.targets} if seed else set()
    for node_id, node in workflow.items():
        seed_input = SEED_INPUTS.get(node["class_type"])
        if seed_input and (node_id, seed_input) not in seed_targets:
            problems.append(f"sampler {node_id}: its {seed_input} is not mapped by a 'seed' param")
    return problems


def _mapping_problems(tool: Tool, info: Mapping) -> list[str]:
    """Every mapped input must exist in its node's schema and take what is written to it."""
    problems = []
    # (owner, target, what the input must be): a widget for values, a link for rewires,
    # and an optional input for what an absent optional slot detaches
    mapped = [
        (f"parameter {p.id}", t, "widget")
        for p in tool.parameters
        for t in (*p.targets, *p.width_targets, *p.height_targets)
    ]
    mapped += [
        (f"parameter {p.id}", Target(r.node, r.input), "link")
        for p in tool.parameters
        for preset in p.presets
        for r in preset.rewire
    ]
    mapped += [(f"slot {s.id}", s, "widget") for s in tool.slots]
    mapped += [(f"slot {s.id}", t, "optional") for s in tool.slots for t in s.detach]
    mapped += [
        (f"slot {s.id} mask", Target(r.node, r.input), "link") for s in tool.slots for r in s.mask
    ]
    for owner, target, kind in mapped:
        class_type = tool.workflow[target.node]["class_type"]
        if class_type not in info:
            continue
        spec = input_spec(info, class_type, target.input)
        if spec is None:
            problems.append(f"{owner}: {class_type} has no input '{target.input}'")
        elif kind == "optional":
            if target.input in info[class_type]["input"].get("required", {}):
                problems.append(
                    f"{owner}: {target.node}.{target.input} is required, not detachable"
                )
        elif is_widget(spec) != (kind == "widget"):
            wrong = "a value" if kind == "widget" else "a link"
            problems.append(f"{owner}: {target.node}.{target.input} cannot take {wrong}")
    return problems


def _base_raw(tool: Tool) -> dict:
    raw = {p.id: p.default for p in tool.parameters}
    if "prompt" in raw:
        raw["prompt"] = PROMPT
    if "negative_prompt" in raw:
        raw["negative_prompt"] = NEGATIVE
    return raw


def _variants(tool: Tool, base: dict, images: dict):
    """(label, params, images, masked slots) to build: defaults, each aspect preset, absent
    slots, the model, and each slot's mask (with the aspect on a preset keeping the input)."""
    for label, params, given in _plain_variants(tool, base, images):
        yield label, params, given, ()
    for slot in tool.slots:
        if slot.mask:
            params = dict(base)
            for param in tool.parameters:
                keep = [p.id for p in param.presets if p.rewire]
                if param.type == "aspect" and keep and not param.preset(base[param.id]).rewire:
                    params[param.id] = keep[0]
            yield f"mask on {slot.id}", params, images, (slot.id,)


def _plain_variants(tool: Tool, base: dict, images: dict):
    yield "defaults", base, images
    batch = tool.param("batch_size")
    largest = max(batch.choices) if batch and batch.choices else None
    for param in tool.parameters:
        if param.type == "aspect":
            # each preset, each class size and custom sizes: every one reaches the latent
            for value in [p.id for p in param.presets] + size_values(param):
                params = {**base, param.id: value}
                if largest is not None:
                    params["batch_size"] = largest
                yield f"{param.id}={value}", params, images
        elif param.type == "model":
            alternative = alt_model(param)
            yield f"{param.id}={alternative}", {**base, param.id: alternative}, images
        elif param.type == "loras":
            chain = check_lora_list(param)
            yield f"{param.id}: {len(chain)} LoRAs", {**base, param.id: chain}, images
            yield f"{param.id}: 1 LoRA", {**base, param.id: chain[:1]}, images
    for slot in tool.slots:
        if not slot.required:
            yield f"without {slot.id}", base, {k: v for k, v in images.items() if k != slot.id}


def main(argv: list[str] | None = None) -> int:
    """CLI: one line per tool, problems indented below; exit status 1 on any problem."""
    parser = argparse.ArgumentParser(prog="python -m studio_core.catalog.check")
    parser.add_argument(
        "--catalog", default=None, help="catalog folder (default: ComfyUIworkflow/)"
    )
    parser.add_argument(
        "--object-info", default=None, help="an /object_info JSON file to check against"
    )
    args = parser.parse_args(argv)
    info = None
    if args.object_info:
        info = json.loads(Path(args.object_info).read_text(encoding="utf-8"))
    results = check_folders(args.catalog, info)
    for name, problems in results.items():
        print(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems:
            print(f"     {problem}")
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
