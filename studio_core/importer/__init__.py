"""Importing ComfyUI workflows as studio tools: pure analysis, no Flask, no database.

Modules, each importing only those above it:

    files       read_workflow_file: the API graph in an uploaded .json / ComfyUI .png / .webp
    roles       graph_roles: which nodes hold the prompt, seed, sizes, images, models, outputs
    packs       custom node packs by class name; the model-file inputs of loaders
    labels      en / zh-TW labels of proposed parameters
    propose     propose_manifest: a first manifest (+ the adjusted workflow) for a graph
    draft_check check_draft: what stops a draft from running, each with its fix
    readback    params_from_graph / best_tool: a graph's values as a tool's parameters
"""

from studio_core.importer.draft_check import Problem, check_draft
from studio_core.importer.files import read_workflow_file
from studio_core.importer.propose import propose_manifest
from studio_core.importer.readback import best_tool, params_from_graph
from studio_core.importer.roles import Roles, graph_roles

__all__ = [
    "Problem",
    "Roles",
    "best_tool",
    "check_draft",
    "graph_roles",
    "params_from_graph",
    "propose_manifest",
    "read_workflow_file",
]
