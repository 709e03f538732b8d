"""The node schemas a draft is checked against: the live engines', else the bundled copy.

An import or a publish asks each online engine's ComfyUI for GET /object_info directly (the
worker's published record keeps class names only), with a short timeout, in parallel; with
none answering, the schemas shipped in comfy_schema (ComfyUI 0.3.64, file lists empty) stand
in, and the draft says which it was checked against.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from comfy_schema.object_info import load_object_info
from studio_core.engines import EngineInfo, merged_models

logger = logging.getLogger(__name__)

LIVE, BUNDLED = "live", "bundled"
TIMEOUT_S = (2.0, 5.0)  # connect, read: /object_info is ~0.5 MB and takes ~60 ms on ComfyUI


@dataclass(frozen=True)
class Schemas:
    """What to check a draft against."""

    object_info: dict[str, Any]
    source: str  # LIVE | BUNDLED
    models_by_folder: dict[str, list[str]] | None  # the engines' files; None: unknown


def fetch_object_info(url: str, timeout: Any = TIMEOUT_S) -> dict[str, Any] | None:
    """GET <url>/object_info, or None when it does not answer with a JSON object."""
    try:
        response = requests.get(f"{url.rstrip('/')}/object_info", timeout=timeout)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("object_info not fetched engine=%s error=%s", url, exc)
        return None
    return body if isinstance(body, dict) and body else None


def schemas_for_check(engines: list[EngineInfo], timeout: Any = TIMEOUT_S) -> Schemas:
    """The online engines' schemas merged (the first engine's class wins), else the bundled."""
    online = [engine for engine in engines if engine.online]
    models = merged_models(online) if online else None
    answers: list[dict] = []
    if online:
        with ThreadPoolExecutor(len(online), thread_name_prefix="object-info") as pool:
            found = pool.map(lambda e: fetch_object_info(e.url, timeout), online)
            answers = [info for info in found if info is not None]
    if not answers:
        logger.info("draft check against the bundled schemas engines_online=%s", len(online))
        return Schemas(load_object_info(), BUNDLED, models)
    merged: dict[str, Any] = {}
    for info in reversed(answers):
        merged.update(info)
    return Schemas(merged, LIVE, models)
