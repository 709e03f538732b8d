"""The graph half of a draft's check: node classes, links, and ComfyUI's per-node input
checks against the node schemas; with the shared Problem shape."""

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
from studio_core.catalog.tools import combo_options
from studio_core.catalog.workflow import dangling_links, is_link, links_of
from studio_core.importer.packs import model_inputs, pack_for
from studio_core.importer.roles import id_order

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


def node_schemas(object_info: Mapping[str, Any]) -> dict[str, dict]:
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


def unknown_classes(graph: Mapping[str, Any], schemas: Mapping[str, dict]) -> list[Problem]:
    """One error per node class the engine lacks, naming the pack to install when known."""
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


def link_problems(graph: Mapping[str, Any]) -> list[Problem]:
    """One error per link to a node that is not in the graph."""
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


def schema_problems(graph: Mapping[str, Any], schemas: Mapping[str, dict]) -> list[Problem]:
    """ComfyUI's own /prompt checks of every node an output runs (comfy_schema's port), plus
    the input names and V3 combo values it lets through. Unknown classes get a permissive stub
    so the rest is still checked; model and image file names are left to the model check
    (they are installation, not graph, facts)."""
    info = _stubbed_schemas(graph, schemas)
    files = file_values(graph)
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
            spec = input_spec(schema, name)
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


def input_spec(schema: Mapping[str, Any], name: str) -> list | None:
    """The spec of one required or optional input of a class schema (None: no such input)."""
    inputs = schema.get("input") or {}
    for section in ("required", "optional"):
        spec = (inputs.get(section) or {}).get(name)
        if isinstance(spec, list) and spec:
            return spec
    return None


def file_values(graph: Mapping[str, Any]) -> dict[str, list[str]]:
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
