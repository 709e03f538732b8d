"""What stands between an imported draft and a tool that runs: each problem with its fix.

`check_draft` never drops a finding: what it cannot verify (the installed models while no
engine answers) is itself a warning. Errors block publishing, warnings are for the admin.
The graph's own checks (classes, links, inputs) are in graph_check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio_core.catalog.manifest import ManifestError, ToolSpec, parse_tool
from studio_core.catalog.probes import is_widget
from studio_core.catalog.workflow import SEED_INPUTS, is_link
from studio_core.importer.graph_check import (
    Problem,
    input_spec,
    link_problems,
    node_schemas,
    problem,
    schema_problems,
    unknown_classes,
)
from studio_core.importer.packs import model_inputs
from studio_core.importer.propose import REPLACED_NOTE
from studio_core.importer.roles import id_order
from studio_core.importer.values import refusal
from studio_core.models.files import base_name, installed_name

__all__ = ["Problem", "check_draft"]


def check_draft(
    manifest: dict,
    graph: dict,
    object_info: Mapping[str, Any],
    models_by_folder: Mapping[str, list[str]] | None,
) -> list[Problem]:
    """Every problem of a draft (manifest + workflow) against ComfyUI's node schemas and,
    when known, the engine's model files."""
    schemas = node_schemas(object_info)
    problems = unknown_classes(graph, schemas)
    problems += link_problems(graph)
    problems += schema_problems(graph, schemas)
    spec = _manifest(manifest, graph, problems)
    problems += _models(graph, spec, models_by_folder)
    problems += _outputs(manifest, graph, spec)
    if spec is not None:
        problems += _unmapped_images(graph, spec)
        problems += _targets(spec, schemas)
        problems += _defaults(spec)
        problems += _seeds(graph, spec)
    return problems


def _models(
    graph: Mapping[str, Any],
    spec: ToolSpec | None,
    models_by_folder: Mapping[str, list[str]] | None,
) -> list[Problem]:
    """Every model file the draft loads must be installed (in any subfolder, by base name).

    A loader mapped to a model parameter loads the parameter's default, and the studio falls
    back to another installed file of that folder when the default is missing (a warning);
    an unmapped loader always loads its literal file (an error when it is missing)."""
    mapped = {
        (t.node, t.input): p
        for p in (spec.parameters if spec else [])
        if p.type == "model"
        for t in p.targets
    }
    wanted: list[tuple[str, str, str, Any]] = []  # (node, folder, file, parameter or None)
    for node_id in sorted(graph, key=id_order):
        node = graph[node_id]
        for name, folder in model_inputs(node["class_type"]):
            param = mapped.get((node_id, name))
            value = param.default if param is not None else node["inputs"].get(name)
            if isinstance(value, str) and value:
                wanted.append((node_id, folder, value, param))
    if not wanted:
        return []
    if models_by_folder is None:
        return [
            problem(
                "models_unchecked",
                "warning",
                f"the installed model files are unknown (no ComfyUI answers), so {len(wanted)} "
                "model file(s) were not checked",
                "start ComfyUI and check the draft again",
            )
        ]
    problems = []
    for node_id, folder, name, param in wanted:
        installed = list(models_by_folder.get(folder) or [])
        if installed_name(name, installed) is not None:
            continue  # a file in a subfolder is found by its base name (contract 4)
        put = (
            f"put '{base_name(name)}' into ComfyUI's models/{folder}/ folder (a subfolder is fine)"
        )
        fitting = [m for m in installed if param is not None and param.fits(m)]
        if fitting:
            problems.append(
                problem(
                    "missing_model",
                    "warning",
                    f"parameter '{param.id}': its default model '{name}' is not installed in "
                    f"ComfyUI's {folder} folder; runs use '{sorted(fitting)[0]}' until it is",
                    f"{put}, or set the default of '{param.id}' to an installed file",
                    node_id,
                )
            )
            continue
        how = (
            f"set the default of '{param.id}' to an installed file"
            if param is not None
            else "map this loader to a model parameter with an installed default"
        )
        problems.append(
            problem(
                "missing_model",
                "error",
                f"model '{name}' (node {node_id}) is not installed in ComfyUI's {folder} folder",
                f"{put} and refresh, or {how}",
                node_id,
            )
        )
    return problems


def _manifest(manifest: dict, graph: Mapping[str, Any], problems: list[Problem]) -> ToolSpec | None:
    try:
        return parse_tool(manifest, dict(graph))
    except ManifestError as exc:
        problems.append(
            problem(
                "manifest_invalid",
                "error",
                str(exc),
                "point the entry at a node and input that exist in the workflow, or remove it",
            )
        )
    except (
        TypeError,
        AttributeError,
        ValueError,
    ) as exc:  # a manifest that is not even shaped right
        problems.append(
            problem(
                "manifest_invalid",
                "error",
                f"malformed manifest: {exc}",
                "send the manifest as the proposal shapes it",
            )
        )
    return None


def _outputs(manifest: dict, graph: Mapping[str, Any], spec: ToolSpec | None) -> list[Problem]:
    problems = []
    saves = [n for n in sorted(graph, key=id_order) if graph[n]["class_type"] == "SaveImage"]
    raw = manifest.get("outputs") if isinstance(manifest, dict) else None
    listed = [o for o in raw if isinstance(o, str) and o in graph] if isinstance(raw, list) else []
    outputs = spec.outputs if spec else listed
    if not saves:
        problems.append(
            problem(
                "no_output",
                "error",
                "the workflow has no SaveImage node: the studio keeps only what SaveImage writes",
                "add a Save Image node at the end of the workflow in ComfyUI and import it again",
            )
        )
    elif spec is not None and not outputs:
        problems.append(
            problem(
                "no_output",
                "error",
                "the manifest lists no output",
                f"list the SaveImage node(s) {', '.join(saves)} in 'outputs'",
            )
        )
    for node_id in outputs:
        if graph[node_id]["class_type"] != "SaveImage":
            problems.append(
                problem(
                    "bad_output",
                    "error",
                    f"output {node_id} is a {graph[node_id]['class_type']}, not a SaveImage",
                    f"list only SaveImage nodes ({', '.join(saves) or 'none'}) in 'outputs'",
                    node_id,
                )
            )
    for node_id in saves:
        if (graph[node_id].get("_meta") or {}).get("studio_note") == REPLACED_NOTE:
            problems.append(
                problem(
                    "preview_replaced",
                    "warning",
                    f"node {node_id} was a PreviewImage: the studio saves its images instead "
                    "(it needs SaveImage to keep results)",
                    "nothing to do, unless the preview was not meant as a result",
                    node_id,
                )
            )
    return problems


def _unmapped_images(graph: Mapping[str, Any], spec: ToolSpec) -> list[Problem]:
    mapped = {slot.node for slot in spec.slots}
    return [
        problem(
            "unmapped_image",
            "error",
            f"unmapped required image: LoadImage node {node_id} is not an image slot, so it "
            "would load a file the studio never uploads",
            f"add a slot {{id, label, node: '{node_id}', input: 'image'}} to 'slots'",
            node_id,
        )
        for node_id in sorted(graph, key=id_order)
        if graph[node_id]["class_type"] == "LoadImage" and node_id not in mapped
    ]


def _targets(spec: ToolSpec, schemas: Mapping[str, dict]) -> list[Problem]:
    """A parameter may only write values into widget inputs (never replace a link)."""
    problems = []
    mapped = [
        (param.id, target)
        for param in spec.parameters
        for target in (*param.targets, *param.width_targets, *param.height_targets)
    ]
    for owner, target in mapped:
        class_type = spec.workflow[target.node]["class_type"]
        entry = input_spec(schemas.get(class_type) or {}, target.input)
        current = spec.workflow[target.node]["inputs"].get(target.input)
        if (entry and not is_widget(entry)) or is_link(current):
            problems.append(
                problem(
                    "bad_target",
                    "error",
                    f"parameter '{owner}' writes into {target.node}.{target.input}, which takes "
                    "a link from another node, not a value",
                    f"remove {target.node}.{target.input} from '{owner}' targets",
                    target.node,
                )
            )
    return problems


def _defaults(spec: ToolSpec) -> list[Problem]:
    problems = []
    for param in spec.parameters:
        if param.default is None or (param.required and param.default == ""):
            continue  # a required text starts empty: the user types it
        reason = refusal(spec, param, param.default)
        if reason:
            problems.append(
                problem(
                    "bad_default",
                    "error",
                    f"parameter '{param.id}': its default {param.default!r} is refused: {reason}",
                    f"set a default for '{param.id}' within its limits or choices",
                )
            )
    return problems


def _seeds(graph: Mapping[str, Any], spec: ToolSpec) -> list[Problem]:
    samplers = [n for n in sorted(graph, key=id_order) if graph[n]["class_type"] in SEED_INPUTS]
    if not samplers or any(p.type == "seed" for p in spec.parameters):
        return []
    return [
        problem(
            "fixed_seed",
            "warning",
            f"no seed parameter: sampler(s) {', '.join(samplers)} give the same image on every run",
            "add a parameter {id: 'seed', type: 'seed', default: -1} targeting the sampler's seed",
            samplers[0],
        )
    ]
