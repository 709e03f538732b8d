"""A first manifest for an imported graph: every role the analysis finds becomes a parameter
or slot with limits from the node schemas. The admin reviews it before publishing."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

from comfy_schema.object_info import shipped_object_info
from studio_core.catalog.manifest import PARAM_TYPES, parse_tool
from studio_core.catalog.tools import combo_options
from studio_core.catalog.workflow import LOADER_INPUTS, ancestors, links_of
from studio_core.errors import InvalidInput
from studio_core.importer import labels
from studio_core.importer.packs import MAIN_LOADERS, model_inputs, pack_for
from studio_core.importer.roles import SETTING_INPUTS, Ref, Roles, graph_roles, id_order

logger = logging.getLogger(__name__)

TOOL_ID = re.compile(r"[a-z][a-z0-9_]{0,47}")
TEXT_MAX = 2000
BATCH_CHOICES = (1, 2, 4)
CUSTOM_SIZE = {"step": 8, "min": 64, "max": 2048}
LORAS_PARAM = {"folder": "loras", "max_items": 4, "min": -2.0, "max": 2.0}
# Ceilings under the schemas' (steps up to 10000, cfg up to 100): one click must not hold the
# engine for an hour. Never below the workflow's own value.
CAPS = {"steps": 150, "cfg": 30.0, "guidance": 30.0}
REPLACED_NOTE = "studio: was PreviewImage"  # _meta marker check_draft turns into a warning


def propose_manifest(
    graph: dict, object_info: Mapping[str, Any], tool_id: str
) -> tuple[dict, dict]:
    """(manifest, workflow) for an API-format graph; the workflow is a copy, adjusted where
    the studio needs it (PreviewImage becomes SaveImage). The manifest passes parse_tool."""
    if not isinstance(tool_id, str) or not TOOL_ID.fullmatch(tool_id):
        raise InvalidInput(
            "a tool id is 1-48 lowercase letters, digits and '_', starting with a letter",
            field="id",
        )
    workflow = copy.deepcopy(graph)
    roles = graph_roles(workflow)
    outputs = _outputs(workflow, roles)
    schemas = _Schemas(object_info)
    params: list[dict] = []
    params += _prompt_params(workflow, roles)
    params += _seed_param(roles)
    params += _size_params(workflow, roles, schemas)
    params += _setting_params(workflow, roles, schemas)
    params += _model_params(workflow, roles)
    params += _lora_params(workflow, roles, schemas)
    name, description = labels.tool_texts(tool_id)
    manifest = {
        "id": tool_id,
        "name": name,
        "description": description,
        "icon": "image",
        "category": "edit" if roles.images else "generate",
        "slots": _slots(workflow, roles),
        "parameters": params,
        "outputs": outputs,
        "requires": requires(workflow),
    }
    parse_tool(parseable(manifest), workflow)  # a proposal that does not parse is our bug
    logger.info(
        "manifest proposed tool=%s params=%s slots=%s",
        tool_id,
        len(params),
        len(manifest["slots"]),
    )
    return manifest, workflow


def parseable(manifest: dict) -> dict:
    """The manifest without parameter types this checkout's parser does not know yet.

    The "loras" type (contract 3) lands with the LoRA work; until then parse_tool refuses it,
    so checks parse a copy without it. `custom`/`size_classes` on the aspect parameter are
    ignored by the current parser, so they need no stripping.
    """
    copied = dict(manifest)
    copied["parameters"] = [
        p for p in manifest.get("parameters", []) if p.get("type") in PARAM_TYPES
    ]
    return copied


def requires(workflow: Mapping[str, Any]) -> dict:
    """requires.nodes (every class), .models (the files the loaders read), .custom_node_packs."""
    classes = sorted({node["class_type"] for node in workflow.values()})
    models: dict[str, set[str]] = {}
    for node in workflow.values():
        for name, folder in model_inputs(node["class_type"]):
            value = node["inputs"].get(name)
            if isinstance(value, str) and value:
                models.setdefault(folder, set()).add(value)
    packs = sorted({pack for c in classes if (pack := pack_for(c))})
    return {
        "nodes": classes,
        "models": {folder: sorted(files) for folder, files in sorted(models.items())},
        "custom_node_packs": packs,
    }


class _Schemas:
    """Input specs from the engine's object_info, else the shipped schemas (an engine's
    class-name-only listing has no inputs)."""

    def __init__(self, object_info: Mapping[str, Any]):
        self.info = object_info or {}

    def spec(self, class_type: str, name: str) -> list | None:
        for info in (self.info, shipped_object_info()):
            inputs = (info.get(class_type) or {}).get("input") or {}
            for section in ("required", "optional"):
                spec = (inputs.get(section) or {}).get(name)
                if isinstance(spec, list) and spec:
                    return spec
        return None

    def extra(self, class_type: str, name: str) -> dict:
        spec = self.spec(class_type, name)
        return spec[1] if spec and len(spec) > 1 and isinstance(spec[1], dict) else {}


def _target(ref: Ref) -> dict:
    return {"node": ref[0], "input": ref[1]}


def _same_value(workflow: Mapping[str, Any], refs: list[Ref]) -> list[Ref]:
    """The refs holding the first ref's value: one parameter writes one value, so inputs the
    workflow set differently (a refiner's own cfg) stay as they are."""
    if not refs:
        return []
    first = workflow[refs[0][0]]["inputs"][refs[0][1]]
    return [r for r in refs if workflow[r[0]]["inputs"][r[1]] == first]


def _outputs(workflow: dict, roles: Roles) -> list[str]:
    if roles.outputs or not roles.previews:
        return list(roles.outputs)
    # The studio keeps what SaveImage writes; a preview would be lost after the run.
    for node_id in roles.previews:
        node = workflow[node_id]
        meta = dict(node.get("_meta") or {})
        meta["studio_note"] = REPLACED_NOTE
        workflow[node_id] = {
            "class_type": "SaveImage",
            "inputs": {**node["inputs"], "filename_prefix": "ComfyUI"},
            "_meta": meta,
        }
    return list(roles.previews)


def _prompt_params(workflow: Mapping[str, Any], roles: Roles) -> list[dict]:
    params = []
    for param_id, refs in (("prompt", roles.positive), ("negative_prompt", roles.negative)):
        refs = _same_value(workflow, refs)
        if not refs:
            continue
        text = workflow[refs[0][0]]["inputs"][refs[0][1]]
        params.append(
            {
                "id": param_id,
                "type": "text",
                "label": labels.LABELS[param_id],
                "default": text,
                "max_length": max(TEXT_MAX, len(text)),
                "targets": [_target(r) for r in refs],
            }
        )
    return params


def _seed_param(roles: Roles) -> list[dict]:
    if not roles.seeds:
        return []
    return [
        {
            "id": "seed",
            "type": "seed",
            "label": labels.LABELS["seed"],
            "default": -1,
            "targets": [_target(r) for r in roles.seeds],
        }
    ]


def primary_latent(workflow: Mapping[str, Any], roles: Roles) -> str | None:
    """The latent-size node the first sampler starts from (else the first one)."""
    if roles.samplers:
        feeding = ancestors(workflow, [roles.samplers[0]])
        for node_id in roles.latents:
            if node_id in feeding:
                return node_id
    return roles.latents[0] if roles.latents else None


def _size_params(workflow: Mapping[str, Any], roles: Roles, schemas: _Schemas) -> list[dict]:
    primary = primary_latent(workflow, roles)
    if primary is None:
        return []
    inputs = workflow[primary]["inputs"]
    width, height = inputs["width"], inputs["height"]
    same = [
        n
        for n in roles.latents
        if workflow[n]["inputs"]["width"] == width and workflow[n]["inputs"]["height"] == height
    ]
    step = schemas.extra(workflow[primary]["class_type"], "width").get("step")
    step = step if isinstance(step, int) and not isinstance(step, bool) and step > 0 else 8
    # min and max are multiples of the step (the parser insists) around the graph's own size
    low = max(step, min(CUSTOM_SIZE["min"], width, height) // step * step)
    high = -(-max(CUSTOM_SIZE["max"], width, height) // step) * step
    custom = {"step": step, "min": low, "max": high}
    params = [
        {
            "id": "aspect_ratio",
            "type": "aspect",
            "label": labels.LABELS["aspect_ratio"],
            "default": f"{width}x{height}",
            "targets": {
                "width": [{"node": n, "input": "width"} for n in same],
                "height": [{"node": n, "input": "height"} for n in same],
            },
            "presets": [
                {
                    "id": f"{width}x{height}",
                    "width": width,
                    "height": height,
                    "label": labels.PRESET_LABEL,
                }
            ],
            "custom": custom,
            # ratio presets sized for the chosen model's class (contract 2) when a model is
            # picked; a model-free graph keeps its own size and custom sizes only
            "size_classes": roles.main_loader is not None,
        }
    ]
    batch = inputs.get("batch_size")
    if isinstance(batch, int) and not isinstance(batch, bool):
        batched = [n for n in same if workflow[n]["inputs"].get("batch_size") == batch]
        params.append(
            {
                "id": "batch_size",
                "type": "int",
                "label": labels.LABELS["batch_size"],
                "default": batch,
                "choices": sorted({*BATCH_CHOICES, batch}),
                "targets": [{"node": n, "input": "batch_size"} for n in batched],
            }
        )
    return params


def _setting_params(workflow: Mapping[str, Any], roles: Roles, schemas: _Schemas) -> list[dict]:
    params = []
    for name in SETTING_INPUTS:
        refs = _same_value(workflow, roles.settings.get(name, []))
        if not refs:
            continue
        node_id, input_name = refs[0]
        value = workflow[node_id]["inputs"][input_name]
        class_type = workflow[node_id]["class_type"]
        param: dict[str, Any] = {
            "id": name,
            "label": labels.LABELS[name],
            "default": value,
            "advanced": name != "steps",
            "targets": [_target(r) for r in refs],
        }
        if name in ("sampler_name", "scheduler"):
            choices = combo_options(schemas.spec(class_type, input_name))
            # an unknown value stays offered so the proposal parses; check_draft flags it
            param.update(
                type="choice", choices=[*choices, *([value] if value not in choices else [])]
            )
        else:
            param.update(_number_limits(name, value, schemas.extra(class_type, input_name)))
        params.append(param)
    return params


def _number_limits(name: str, value: Any, extra: dict) -> dict:
    is_int = name == "steps"
    kind = "int" if is_int else "float"
    low = extra.get("min", 0 if not is_int else 1)
    high = extra.get("max", 100 if not is_int else 10000)
    if name in CAPS:
        high = min(high, max(CAPS[name], value))
    step = extra.get("step", 1 if is_int else 0.01)
    cast = int if is_int else float
    return {"type": kind, "min": cast(low), "max": cast(high), "step": cast(step)}


def _model_params(workflow: Mapping[str, Any], roles: Roles) -> list[dict]:
    params = []
    taken: set[str] = set()
    for node_id in roles.loaders:
        class_type = workflow[node_id]["class_type"]
        input_name, folder = MAIN_LOADERS.get(class_type) or LOADER_INPUTS[class_type]
        value = workflow[node_id]["inputs"].get(input_name)
        if not isinstance(value, str):
            continue
        main = node_id == roles.main_loader
        kind = {"text_encoders": "text_encoder", "vae": "vae"}.get(folder, "model")
        param_id = "model" if main else kind if kind not in taken else f"{kind}_{node_id}"
        param_id = re.sub(r"[^A-Za-z0-9_]", "_", param_id)
        taken.add(param_id)
        params.append(
            {
                "id": param_id,
                "type": "model",
                "label": labels.folder_label(folder),
                "folder": folder,
                "default": value,
                "advanced": not main,
                "targets": [{"node": node_id, "input": input_name}],
            }
        )
    return params


def _lora_params(workflow: Mapping[str, Any], roles: Roles, schemas: _Schemas) -> list[dict]:
    params = []
    several = len(roles.loras) > 1
    for number, node_id in enumerate(roles.loras, start=1):
        inputs = workflow[node_id]["inputs"]
        if not isinstance(inputs.get("lora_name"), str):
            continue
        shown = number if several else None
        params.append(
            {
                "id": f"lora_{number}",
                "type": "model",
                "label": labels.folder_label("loras", shown),
                "folder": "loras",
                "default": inputs["lora_name"],
                "advanced": True,
                "targets": [{"node": node_id, "input": "lora_name"}],
            }
        )
        strength = inputs.get("strength_model")
        if isinstance(strength, (int, float)) and not isinstance(strength, bool):
            refs = [(node_id, "strength_model")]
            if inputs.get("strength_clip") == strength:
                refs.append((node_id, "strength_clip"))
            params.append(
                {
                    "id": f"lora_{number}_strength",
                    "type": "float",
                    "label": labels.strength_label(shown),
                    "default": float(strength),
                    "min": min(LORAS_PARAM["min"], float(strength)),
                    "max": max(LORAS_PARAM["max"], float(strength)),
                    "step": 0.05,
                    "advanced": True,
                    "targets": [_target(r) for r in refs],
                }
            )
    main = roles.main_loader
    # a chain goes where a node reads the loader's MODEL (and CLIP) under that input name
    read = {(name, tuple(link)) for node in workflow.values() for name, link in links_of(node)}
    if main is not None and ("model", (main, 0)) in read:
        attach = {"model": [main, 0]}
        if workflow[main]["class_type"] == "CheckpointLoaderSimple" and ("clip", (main, 1)) in read:
            attach["clip"] = [main, 1]  # CheckpointLoaderSimple: MODEL, CLIP, VAE
        params.append(
            {
                "id": "loras",
                "type": "loras",
                "label": labels.LABELS["loras"],
                "default": [],
                **LORAS_PARAM,
                "attach": attach,
            }
        )
    return params


def _slots(workflow: Mapping[str, Any], roles: Roles) -> list[dict]:
    images = [n for n in roles.images if "image" in workflow[n]["inputs"]]
    several = len(images) > 1
    return [
        {
            "id": f"image_{number}" if several else "image",
            "label": labels.image_label(number if several else None),
            "required": True,
            "node": node_id,
            "input": "image",
        }
        for number, node_id in enumerate(sorted(images, key=id_order), start=1)
    ]
