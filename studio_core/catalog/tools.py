"""The tools of a catalog folder: `Tool` (a parsed tool and what it can do) and `Catalog`.

catalog = Catalog.load()              # or Catalog.load("/path/to/folder")
tool = catalog.get("text_to_image")   # UnknownTool if absent
params = tool.validate(raw, images=slot_ids)
params = resolve_seed(params, rng)    # studio_core.catalog.params: -1 -> a real seed
params = resolve_size(tool, params, families)  # .sizing: "1:1" -> "512x512" for SD 1.5
graph = build_graph(tool, params, {"input": "studio/abc.png"}, "studio/<job_id>")  # .build
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio_core.catalog.loras import installed_lora
from studio_core.catalog.manifest import ManifestError, Param, ToolSpec, parse_tool
from studio_core.catalog.params import validate_params
from studio_core.catalog.sizing import Families, family_of
from studio_core.catalog.workflow import LOADER_INPUTS
from studio_core.errors import InvalidInput, UnknownTool
from studio_core.models.files import installed_name
from studio_core.models.sizes import SIZE_CLASSES

logger = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "ComfyUIworkflow"


@dataclass
class Tool(ToolSpec):
    """A tool of the catalog: its manifest, its template, and what it needs to run."""

    @property
    def parameter_ids(self) -> list[str]:
        """Ids of the parameters this tool accepts."""
        return [param.id for param in self.parameters]

    def param(self, param_id: str) -> Param | None:
        """The parameter with this id, or None."""
        return next((p for p in self.parameters if p.id == param_id), None)

    @property
    def model_param(self) -> Param | None:
        """The model-file parameter, if the tool has one."""
        return next((p for p in self.parameters if p.type == "model"), None)

    @property
    def model_folder(self) -> str | None:
        """The ComfyUI model folder the model dropdown lists (e.g. 'checkpoints'), or None."""
        param = self.model_param
        return param.folder if param else None

    @property
    def required_models(self) -> dict[str, list[str]]:
        """Model files per folder that the template loads by default."""
        return {folder: list(files) for folder, files in self.requires["models"].items()}

    def validate(
        self,
        raw: Mapping[str, Any],
        images: Collection[str] | None = None,
        models_by_folder: Mapping[str, list[str]] | None = None,
        masks: Collection[str] = (),
        families: Families | None = None,
    ) -> dict:
        """Checked parameters with defaults filled; raises InvalidInput(field=...).

        `images` (slot ids supplied) may also come as a mapping under `raw["images"]`;
        `masks` are the slot ids that carry a painted mask; `families` the engines' model
        families (for a model parameter's family filter).
        """
        raw = dict(raw)
        if "images" in raw:
            supplied = raw.pop("images") or {}
            if not isinstance(supplied, Mapping):
                raise InvalidInput("images must map slot ids to uploads", field="images")
            if images is None:
                images = [slot for slot, ref in supplied.items() if ref]
        return validate_params(self, raw, images, models_by_folder, masks, families)

    def availability(
        self,
        object_info: Mapping[str, Any] | None,
        models_by_folder: Mapping | None = None,
        families: Families | None = None,
    ) -> dict:
        """`{"status": ready|engine_offline|missing_nodes|missing_model, "reason": str}`.

        `object_info` is ComfyUI's /object_info (None when unreachable); without
        `models_by_folder` the installed files are read from the loaders' combos in it.
        """
        if object_info is None:
            return {"status": "engine_offline", "reason": "ComfyUI is not reachable"}
        missing_nodes = sorted(n for n in self.requires["nodes"] if n not in object_info)
        if missing_nodes:
            packs = self.requires["custom_node_packs"]
            hint = f" (install: {', '.join(packs)})" if packs else ""
            return {
                "status": "missing_nodes",
                "reason": f"missing nodes: {', '.join(missing_nodes)}{hint}",
            }
        if models_by_folder is None:
            models_by_folder = models_from_object_info(object_info)
        missing = self._missing_models(models_by_folder, families)
        if missing:
            return {"status": "missing_model", "reason": f"missing model: {', '.join(missing)}"}
        return {"status": "ready", "reason": ""}

    def _missing_models(self, models_by_folder: Mapping, families: Families | None) -> list[str]:
        choice = self.model_param
        missing = []
        for folder, files in sorted(self.requires["models"].items()):
            installed = set(models_by_folder.get(folder) or [])
            for name in files:
                # found in a subfolder too: build_graph writes the subfolder name
                if installed_name(name, installed) is not None:
                    continue
                # the dropdown can pick any other file of its folder instead of the default
                if (
                    choice
                    and choice.folder == folder
                    and name == choice.default
                    and self.fitting_models(models_by_folder, families)
                ):
                    continue
                missing.append(f"{folder}/{name}")
        if choice and not self.fitting_models(models_by_folder, families):
            filtered = choice.match or choice.exclude or choice.families
            suffix = " that fits this tool" if filtered else ""
            missing.append(f"any file in {choice.folder}{suffix}")
        return sorted(set(missing))

    def fitting_models(
        self, models_by_folder: Mapping, families: Families | None = None
    ) -> list[str]:
        """The installed files the model dropdown offers: its folder's, filtered by name and
        (with `families`) by family (sorted)."""
        choice = self.model_param
        if choice is None:
            return []
        return sorted(
            m
            for m in models_by_folder.get(choice.folder) or []
            if choice.fits(m, family_of(families, choice.folder, m))
        )

    def public_dict(
        self,
        lang: str | None = None,
        models_by_folder: Mapping | None = None,
        families: Families | None = None,
        max_pixels: int | None = None,
    ) -> dict:
        """The tool as `GET /api/tools` shows it: no node ids, no template.

        With `lang` ("en" or "zh-TW") labels are plain strings, otherwise `{en, zh-TW}`.
        With `models_by_folder` (the engines' files) the model parameter's `choices` are the
        installed files that fit the tool, so the dropdown never offers one that does not,
        and with `families` its `families` say each choice's family and size class; a
        loras parameter's are the installed LoRA files, and `optional_loras` say `installed`
        (None without it).
        `max_pixels` (the MAX_PIXELS setting) is shown with a custom size.
        """

        def text(value: Any) -> Any:
            if lang is None or not isinstance(value, dict):
                return value
            return value.get(lang) or value.get("en")

        return {
            "id": self.id,
            "name": text(self.name),
            "description": text(self.description),
            "icon": self.icon,
            "category": self.category,
            "variant_of": self.variant_of,
            "slots": [
                {"id": s.id, "label": text(s.label), "required": s.required, "mask": bool(s.mask)}
                for s in self.slots
            ],
            "parameters": [
                self._public_param(p, text, models_by_folder, families, max_pixels)
                for p in self.parameters
            ],
            "optional_loras": self._public_optional_loras(text, models_by_folder),
            "requires": {
                "nodes": sorted(self.requires["nodes"]),
                "models": self.required_models,
                "custom_node_packs": list(self.requires["custom_node_packs"]),
            },
        }

    def _public_param(
        self,
        param: Param,
        text: Any,
        models_by_folder: Mapping | None,
        families: Families | None,
        max_pixels: int | None,
    ) -> dict:
        out = _public_param(param, text)
        if param.type == "model" and models_by_folder is not None:
            out["choices"] = self.fitting_models(models_by_folder, families)
            known = (families or {}).get(param.folder or "") or {}
            out["families"] = {m: dict(known[m]) for m in out["choices"] if m in known}
        if param.type == "loras":
            out["max_items"] = param.max_items
            if models_by_folder is not None:
                out["choices"] = sorted(models_by_folder.get(param.folder) or [])
        if param.type == "aspect":
            out.update(_public_sizes(param, max_pixels))
        return out

    def _public_optional_loras(self, text: Any, models_by_folder: Mapping | None) -> list[dict]:
        """The optional LoRAs and whether the engines have each (None: not known)."""
        return [
            {
                "file": lora.file,
                "label": text(lora.label),
                "installed": None
                if models_by_folder is None
                else installed_lora(lora, models_by_folder) is not None,
            }
            for lora in self.optional_loras
        ]


def _public_param(param: Param, text: Any) -> dict:
    out: dict[str, Any] = {
        "id": param.id,
        "type": param.type,
        "label": text(param.label),
        "default": param.default,
        "required": param.required,
        "advanced": param.advanced,
    }
    for key in ("min", "max", "step", "max_length", "folder"):
        if getattr(param, key) is not None:
            out[key] = getattr(param, key)
    if param.type == "aspect":
        out["presets"] = [
            {"id": p.id, "width": p.width, "height": p.height, "label": text(p.label)}
            if p.label
            else {"id": p.id, "width": p.width, "height": p.height}
            for p in param.presets
        ]
    elif param.choices is not None:
        out["choices"] = list(param.choices)
    return out


def _public_sizes(param: Param, max_pixels: int | None) -> dict:
    """An aspect parameter's `size_classes` tables and `custom` limits (contract 2)."""
    out: dict[str, Any] = {}
    if param.size_classes:
        ids = set(param.choices or ())
        out["size_classes"] = {
            str(size_class): [
                {"id": ratio, "width": w, "height": h}
                for ratio, (w, h) in table.items()
                if ratio in ids
            ]
            for size_class, table in SIZE_CLASSES.items()
        }
    if param.custom is not None:
        custom = param.custom
        out["custom"] = {"step": custom.step, "min": custom.min, "max": custom.max}
        out["custom"]["max_pixels"] = max_pixels
    return out


def models_from_object_info(object_info: Mapping[str, Any]) -> dict[str, list[str]]:
    """Installed model files per folder, read from the loader nodes' combo inputs."""
    found: dict[str, set[str]] = {}
    for class_type, (input_name, folder) in LOADER_INPUTS.items():
        spec = object_info.get(class_type, {}).get("input", {}).get("required", {})
        found.setdefault(folder, set()).update(combo_options(spec.get(input_name)))
    return {folder: sorted(files) for folder, files in found.items()}


def combo_options(spec: Any) -> list:
    """The options of a combo input spec in either schema form (V1 list or V3 "COMBO")."""
    if not isinstance(spec, list) or not spec:
        return []
    if isinstance(spec[0], list):
        return list(spec[0])
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return list(spec[1].get("options", []))
    return []


def load_tool(folder: str | Path) -> Tool:
    """Read and parse one tool folder; raises ManifestError naming the problem."""
    folder = Path(folder)
    documents = []
    for name in ("manifest.json", "workflow.json"):
        try:
            documents.append(json.loads((folder / name).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ManifestError(f"{folder.name}/{name}: {exc}") from exc
    manifest, workflow = documents
    spec = parse_tool(manifest, workflow, str(folder))
    if spec.id != folder.name:
        raise ManifestError(f"{folder.name}: manifest id '{spec.id}' differs from its folder")
    return Tool(**vars(spec))


class Catalog:
    """All tools of a catalog folder, in display order."""

    def __init__(self, tools: list[Tool], path: Path):
        self.tools = sorted(tools, key=lambda tool: (tool.order, tool.id))
        self.path = path
        self._by_id = {tool.id: tool for tool in self.tools}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """Load every `<tool>/manifest.json` under `path` (default: the repo's ComfyUIworkflow/)."""
        root = Path(path) if path is not None else DEFAULT_DIR
        folders = sorted(p for p in root.iterdir() if (p / "manifest.json").is_file())
        tools = [load_tool(folder) for folder in folders]
        for tool in tools:
            if tool.variant_of and tool.variant_of not in {t.id for t in tools}:
                raise ManifestError(f"{tool.id}: variant_of '{tool.variant_of}' is not a tool")
        logger.info("catalog loaded path=%s tools=%s", root, len(tools))
        return cls(tools, root)

    def get(self, tool_id: str) -> Tool:
        """The tool with this id; raises UnknownTool."""
        tool = self._by_id.get(tool_id) if isinstance(tool_id, str) else None
        if tool is None:
            raise UnknownTool(f"unknown tool '{tool_id}'", field="workflow")
        return tool

    def __contains__(self, tool_id: object) -> bool:
        return tool_id in self._by_id
