"""Reading a ComfyUI graph back into a tool's form ("load parameters from a PNG").

The page pulls the `prompt` text chunk out of the dropped PNG itself and posts the graph;
the mapping is studio_core.importer's.
"""

from __future__ import annotations

from flask import Blueprint

from backend.api.common import json_object
from backend.services import studio
from studio_core.engines import merged_models
from studio_core.errors import InvalidInput, UnknownTool
from studio_core.importer import best_tool, params_from_graph
from studio_core.importer.files import as_api_graph

bp = Blueprint("graph", __name__, url_prefix="/api")

MAX_BODY_BYTES = 2 * 1024 * 1024  # a big ComfyUI graph is ~100 KB; 500 nodes fit well below


@bp.post("/graph/params")
def graph_params():
    """The parameters of a tool (given, or the one the graph looks most like) that the graph sets."""
    body = json_object(max_bytes=MAX_BODY_BYTES)
    unknown = sorted(set(body) - {"graph", "tool"})
    if unknown:
        raise InvalidInput(f"unknown field '{unknown[0]}'", field=unknown[0])
    graph = as_api_graph(body.get("graph"), field="graph")
    catalog = studio().catalog
    tool_id = body.get("tool")
    if tool_id is not None:
        if not isinstance(tool_id, str):
            raise InvalidInput("'tool' must be a tool id", field="tool")
        if tool_id not in catalog:
            raise UnknownTool(f"unknown tool '{tool_id}'", field="tool")
        tool = catalog.get(tool_id)
    else:
        tool = best_tool(catalog.tools, graph)
        if tool is None:
            raise InvalidInput("no tool looks like this graph: choose one", field="tool")
    # the engines' files let a model kept in another subfolder be matched by its base name
    online = studio().online_engines.get()
    return params_from_graph(tool, graph, merged_models(online) if online else None)
