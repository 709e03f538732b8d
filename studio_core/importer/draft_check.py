"""What stands between an imported draft and a tool that runs: each problem with its fix.

`check_draft` never drops a finding: what it cannot verify (the installed models while no
engine answers) is itself a warning. Errors block publishing, warnings are for the admin.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from comfy_schema.node_validation import NodeChecker
from comfy_schema.object_info import (
    FILE_VALIDATED_INPUTS,
    is_output_node,
    shipped_object_info,
    with_file_lists,
)
from studio_core.catalog.manifest import PARAM_TYPES, ManifestError, ToolSpec, parse_tool
from studio_core.catalog.probes import is_widget
from studio_core.catalog.tools import combo_options
from studio_core.catalog.workflow import SEED_INPUTS, dangling_links, is_link, links_of
from studio_core.importer.packs import model_inputs, pack_for
from studio_core.importer.propose import REPLACED_NOTE, parseable
from studio_core.importer.roles import id_order
from studio_core.importer.values import refusal

Problem = dict  # {"code", "severity": "error"|"warning", "message", "fix", "node"?}
REIMPORT = "fix it in ComfyUI, export the API format again and import the new file"
# validate_prompt error types that are about the value (the rest are about links/structure)
VALUE_ERRORS = {
    "value_smaller_than_min",
    "value_bigger_than_max",
    "value_not_in_list",
    "invalid_input_type",
}
STUB_OUTPUTS = 32  # an unknown class may have any outputs; its links are taken as they are


def problem(code: str, severity: str, message: str, fix: str, node: str | None = None) -> Problem:
    """One finding in the shared Problem shape."""
    found: Problem = {"code": code, "severity": severity, "message": message, "fix": fix}
    if node is not None:
        found["node"] = node
    return found


def check_draft(
    manifest: dict,
    graph: dict,
    object_info: Mapping[str, Any],
    models_by_folder: Mapping[str, list[str]] | None,
) -> list[Problem]:
    """Every problem of a draft (manifest + workflow) against ComfyUI's node schemas and,
    when known, the engine's model files."""
    schemas = _schemas(object_info)
    problems = _unknown_classes(graph, schemas)
    problems += _links(graph)
    problems += _schema_problems(graph, schemas)
    spec = _manifest(manifest, graph, problems)
    problems += _models(graph, spec, models_by_folder)
    problems += _outputs(manifest, graph, spec)
    if spec is not None:
        problems += _unmapped_images(graph, spec)
        problems += _targets(spec, schemas)
        problems += _defaults(spec)
        problems += _seeds(graph, spec)
    problems += _loras_param(manifest, graph)
    return problems


def _schemas(object_info: Mapping[str, Any]) -> dict[str, dict]:
    """Class -> schema: the engine's, else the shipped one for a class the engine lists by
    name only (GET /api/tools' merged listing has no inputs)."""
    shipped = shipped_object_info()
    schemas = {}
    for class_type, info in (object_info or {}).items():
        if isinstance(info, dict) and "input" in info:
            schemas[class_type] = info
        elif class_type in shipped:
            schemas[class_type] = shipped[class_type]
        else:
            schemas[class_type] = {}  # known to the engine, inputs unknown: not checked
    return schemas


def _nodes_by_class(graph: Mapping[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node_id in sorted(graph, key=id_order):
        found.setdefault(graph[node_id]["class_type"], []).append(node_id)
    return found


def _unknown_classes(graph: Mapping[str, Any], schemas: Mapping[str, dict]) -> list[Problem]:
    problems = []
    for class_type, nodes in _nodes_by_class(graph).items():
        if class_type in schemas:
            continue
        pack = pack_for(class_type)
        fix = (
            f"install the custom node pack '{pack}' (ComfyUI Manager -> Custom Nodes Manager) "
            "and restart ComfyUI"
            if pack
            else f"find the pack that provides '{class_type}' in ComfyUI Manager (Install "
            "Missing Custom Nodes), install it and restart ComfyUI"
        )
        problems.append(
            problem(
                "unknown_node",
                "error",
                f"ComfyUI has no node '{class_type}' (nodes {', '.join(nodes)})",
                fix,
                nodes[0],
            )
        )
    return problems


def _links(graph: Mapping[str, Any]) -> list[Problem]:
    return [
        problem(
            "bad_link",
            "error",
            f"node {node_id} input '{name}' links to node {source}, which is not in the workflow",
            REIMPORT,
            node_id,
        )
        for node_id, name, source in dangling_links(graph)
    ]


def _schema_problems(graph: Mapping[str, Any], schemas: Mapping[str, dict]) -> list[Problem]:
    """ComfyUI's own /prompt checks of every node an output runs (comfy_schema's port), plus
    the input names and V3 combo values it lets through. Unknown classes get a permissive stub
    so the rest is still checked; model and image file names are left to the model check
    (they are installation, not graph, facts)."""
    info = _stubbed_schemas(graph, schemas)
    files = _file_values(graph)
    info = with_file_lists(info, files, files.get("<input>", []))
    copied = copy.deepcopy(dict(graph))  # the checker coerces values in place, as ComfyUI does
    checker = NodeChecker(copied, info, lambda _name: True)
    for node_id, _name, _source in dangling_links(graph):
        checker.validated[node_id] = (False, [], node_id)  # reported by _links
    outputs = [n for n, node in graph.items() if is_output_node(info[node["class_type"]])]
    cycles = _cycles(graph)
    problems = [
        problem(
            "invalid_graph",
            "error",
            f"the workflow has a cycle of links through node {node_id}",
            REIMPORT,
            node_id,
        )
        for node_id in cycles
    ]
    # Sources first, so each node's check finds its inputs' results memoised: ComfyUI's
    # recursive walk from the outputs would exhaust Python's stack on a long chain.
    for node_id in _sources_first(graph, outputs):
        try:
            checker.validate(node_id)
        except Exception as exc:  # ComfyUI reports any exception as the node's error
            checker.validated[node_id] = (False, [], node_id)
            if not (isinstance(exc, RecursionError) and cycles):  # a cycle: reported above
                problems.append(
                    problem("invalid_graph", "error", f"node {node_id}: {exc}", REIMPORT, node_id)
                )
    for node_id in sorted(checker.validated, key=id_order):
        for err in checker.validated[node_id][1]:
            problems.append(_validation_problem(graph, node_id, err))
    for node_id in sorted(graph, key=id_order):
        node = graph[node_id]
        schema = schemas.get(node["class_type"])
        if not schema:
            continue
        declared = {
            name
            for section in ("required", "optional", "hidden")
            for name in (schema["input"].get(section) or {})
        }
        for name, value in node["inputs"].items():
            spec = _input_spec(schema, name)
            # ComfyUI checks V3 combos only when the node runs: say it now
            options = combo_options(spec) if spec and spec[0] == "COMBO" else None
            if options and not is_link(value) and value not in options:
                problems.append(
                    problem(
                        "bad_value",
                        "error",
                        f"node {node_id} ({node['class_type']}): {name}={value!r} is not one of "
                        f"{', '.join(map(str, options))}",
                        "map the input to a parameter and set a valid default, or " + REIMPORT,
                        node_id,
                    )
                )
            if name not in declared:
                problems.append(
                    problem(
                        "unknown_input",
                        "warning",
                        f"node {node_id} ({node['class_type']}) has no input '{name}': "
                        "ComfyUI ignores it (a workflow from another ComfyUI version?)",
                        f"update ComfyUI, or {REIMPORT}",
                        node_id,
                    )
                )
    return problems


def _stubbed_schemas(graph: Mapping[str, Any], schemas: Mapping[str, dict]) -> dict[str, dict]:
    """The known schemas, and for each class without one a stub taking the node's inputs as
    anything (an unknown node counts as an output, so the nodes feeding it are checked)."""
    info = {c: s for c, s in schemas.items() if s}
    stubs: dict[str, dict] = {}
    for node in graph.values():
        class_type = node["class_type"]
        if class_type in info and class_type not in stubs:
            continue
        stub = stubs.setdefault(
            class_type,
            {
                "input": {"required": {}, "optional": {}},
                "output": ["*"] * STUB_OUTPUTS,
                "output_node": class_type not in schemas,
            },
        )
        for name in node["inputs"]:
            stub["input"]["optional"][name] = ["*", {}]
    info.update(stubs)
    return info


def _sources_first(graph: Mapping[str, Any], outputs: list[str]) -> list[str]:
    """The ancestors of `outputs`, each after the nodes it reads from (iterative DFS; a
    cycle's back edge is skipped here and found by the checker)."""
    order: list[str] = []
    done: set[str] = set()
    entered: set[str] = set()
    for start in sorted(outputs, key=id_order):
        stack = [(start, False)]
        while stack:
            node_id, expanded = stack.pop()
            if expanded:
                if node_id not in done:
                    done.add(node_id)
                    order.append(node_id)
                continue
            if node_id in entered or node_id not in graph:
                continue
            entered.add(node_id)
            stack.append((node_id, True))
            for _name, link in links_of(graph[node_id]):
                if link[0] in graph and link[0] not in entered:
                    stack.append((link[0], False))
    return order


def _cycles(graph: Mapping[str, Any]) -> list[str]:
    """One node of each cycle of links (ComfyUI's checker memoises through them silently)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    found: list[str] = []
    for start in sorted(graph, key=id_order):
        if start in state:
            continue
        stack = [(start, iter(list(links_of(graph[start]))))]
        state[start] = 1
        while stack:
            node_id, links = stack[-1]
            step = next(links, None)
            if step is None:
                state[node_id] = 2
                stack.pop()
                continue
            source = step[1][0]
            if source not in graph:
                continue
            if state.get(source) == 1:
                found.append(source)
            elif source not in state:
                state[source] = 1
                stack.append((source, iter(list(links_of(graph[source])))))
    return found


def _input_spec(schema: Mapping[str, Any], name: str) -> list | None:
    inputs = schema.get("input") or {}
    for section in ("required", "optional"):
        spec = (inputs.get(section) or {}).get(name)
        if isinstance(spec, list) and spec:
            return spec
    return None


def _file_values(graph: Mapping[str, Any]) -> dict[str, list[str]]:
    """The graph's own model and image file names per folder (so the combo check passes them)."""
    files: dict[str, set[str]] = {}
    for node in graph.values():
        class_type = node["class_type"]
        for name, folder in model_inputs(class_type):
            if isinstance(node["inputs"].get(name), str):
                files.setdefault(folder, set()).add(node["inputs"][name])
        image_input = FILE_VALIDATED_INPUTS.get(class_type)
        if image_input and isinstance(node["inputs"].get(image_input), str):
            files.setdefault("<input>", set()).add(node["inputs"][image_input])
    return {folder: sorted(names) for folder, names in files.items()}


def _validation_problem(graph: Mapping[str, Any], node_id: str, err: dict) -> Problem:
    kind = err.get("type", "")
    class_type = graph[node_id]["class_type"]
    detail = f"{err.get('message')}: {err.get('details')}"
    if kind == "required_input_missing":
        return problem(
            "missing_input",
            "error",
            f"node {node_id} ({class_type}) lacks its required input '{err.get('details')}'",
            REIMPORT,
            node_id,
        )
    if kind in VALUE_ERRORS:
        return problem(
            "bad_value",
            "error",
            f"node {node_id} ({class_type}): {detail}",
            "map the input to a parameter and set a valid default, or " + REIMPORT,
            node_id,
        )
    return problem(
        "invalid_graph", "error", f"node {node_id} ({class_type}): {detail}", REIMPORT, node_id
    )


def _base(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


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
        if name in installed or _base(name) in {_base(n) for n in installed}:
            continue  # a file in a subfolder is found by its base name (contract 4)
        put = f"put '{_base(name)}' into ComfyUI's models/{folder}/ folder (a subfolder is fine)"
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
        return parse_tool(parseable(manifest), dict(graph))
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
        entry = _input_spec(schemas.get(class_type) or {}, target.input)
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


def _loras_param(manifest: dict, graph: Mapping[str, Any]) -> list[Problem]:
    """While the parser lacks the "loras" type (contract 3) `parseable` hides it from
    parse_tool: its attach links are checked here instead."""
    problems: list[Problem] = []
    if "loras" in PARAM_TYPES:
        return problems  # parse_tool checks it
    params = manifest.get("parameters") if isinstance(manifest, dict) else None
    for raw in params if isinstance(params, list) else []:
        if not isinstance(raw, dict) or raw.get("type") != "loras":
            continue
        attach = raw.get("attach")
        if not isinstance(attach, dict) or "model" not in attach:
            problems.append(
                problem(
                    "manifest_invalid",
                    "error",
                    f"parameter '{raw.get('id')}': 'attach' needs a 'model' link",
                    'attach it to the model loader\'s output: {"model": ["<loader>", 0]}',
                )
            )
            continue
        for key, link in attach.items():
            if key not in ("model", "clip") or not is_link(link) or link[0] not in graph:
                problems.append(
                    problem(
                        "manifest_invalid",
                        "error",
                        f"parameter '{raw.get('id')}': attach.{key} {link!r} does not point at a node of the workflow",
                        'attach it to the model loader: {"model": ["<loader>", 0], "clip": ["<loader>", 1]}',
                    )
                )
    return problems
