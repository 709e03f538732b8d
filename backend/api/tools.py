"""The tool catalog with live availability, and the models the engines have."""

from __future__ import annotations

from flask import Blueprint, request

from backend.api.common import one_arg
from backend.services import studio
from studio_core.engines import merged_families, merged_models, merged_object_info
from studio_core.errors import InvalidInput

bp = Blueprint("tools", __name__, url_prefix="/api")

LANGS = ("en", "zh-TW")
# ComfyUI folders the original studio's two lists came from.
CHECKPOINT_FOLDER, UNET_FOLDER = "checkpoints", "diffusion_models"


@bp.get("/tools")
def tools():
    """Every tool with its parameters and whether the engines can run it right now."""
    lang = one_arg(request.args, "lang")
    if lang is not None and lang not in LANGS:
        raise InvalidInput(f"lang must be one of {', '.join(LANGS)}", field="lang")
    s = studio()
    online = s.engines.online()
    object_info = merged_object_info(online)
    models = merged_models(online) if online else None
    families = merged_families(online) if online else None
    listing = []
    for tool in s.catalog.tools:
        item = tool.public_dict(lang, models, families, s.settings.max_pixels)
        item["availability"] = tool.availability(object_info, models, families)
        listing.append(item)
    return {"tools": listing}


@bp.get("/models")
def models():
    """Model files per folder over the online engines (the original's two lists kept), and
    each file's family and native size class where the engines could tell."""
    online = studio().engines.online()
    by_folder = merged_models(online)
    unet = sorted(set(by_folder.get(UNET_FOLDER, [])) | set(by_folder.get("unet", [])))
    return {
        "models": by_folder.get(CHECKPOINT_FOLDER, []),
        "unet_models": unet,
        "by_folder": by_folder,
        "families": merged_families(online),
    }
