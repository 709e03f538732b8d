"""Graphs of different shapes to import as tools, and a hand-written manifest for one of
them (so the store and catalog tests do not depend on the importer's proposals)."""

from __future__ import annotations

import copy
import json

from tests.graphs import t2i


def invert_graph() -> dict:
    """A model-free image op: LoadImage(1) -> ImageInvert(2) -> SaveImage(3)."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {
            "class_type": "SaveImage",
            "inputs": {"images": ["2", 0], "filename_prefix": "inverted"},
        },
    }


def invert_manifest(tool_id: str = "invert") -> dict:
    """A parse_tool-valid manifest for invert_graph: one image slot, nothing else."""
    return {
        "id": tool_id,
        "name": {"en": "Invert", "zh-TW": "反相"},
        "description": {"en": "Invert an image's colours", "zh-TW": "反轉圖片的顏色"},
        "icon": "🔄",
        "category": "edit",
        "order": 500,
        "slots": [
            {
                "id": "image",
                "label": {"en": "Image", "zh-TW": "圖片"},
                "required": True,
                "node": "1",
                "input": "image",
            }
        ],
        "parameters": [],
        "outputs": ["3"],
        "requires": {"nodes": ["ImageInvert", "LoadImage", "SaveImage"], "models": {}},
    }


def checkpoint_lora_graph(ckpt: str = "sd15-demo.safetensors", lora: str = "") -> dict:
    """The classic checkpoint text-to-image graph with a LoraLoader between loader and users."""
    graph = t2i("a lighthouse at dusk", seed=7, width=64, height=64, prefix="imported_t2i")
    graph["4"]["inputs"]["ckpt_name"] = ckpt
    graph["10"] = {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": lora,
            "strength_model": 0.8,
            "strength_clip": 0.8,
            "model": ["4", 0],
            "clip": ["4", 1],
        },
    }
    graph["3"]["inputs"]["model"] = ["10", 0]
    graph["6"]["inputs"]["clip"] = ["10", 1]
    graph["7"]["inputs"]["clip"] = ["10", 1]
    return graph


def two_image_graph() -> dict:
    """Two LoadImage nodes blended: LoadImage(1), LoadImage(2) -> ImageBlend(3) -> SaveImage(4)."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}},
        "2": {"class_type": "LoadImage", "inputs": {"image": "b.png"}},
        "3": {
            "class_type": "ImageBlend",
            "inputs": {
                "image1": ["1", 0],
                "image2": ["2", 0],
                "blend_factor": 0.5,
                "blend_mode": "normal",
            },
        },
        "4": {
            "class_type": "SaveImage",
            "inputs": {"images": ["3", 0], "filename_prefix": "blend"},
        },
    }


def ui_format_workflow() -> dict:
    """What ComfyUI's plain "Save" writes (the UI format): nodes and links lists, no class_type map."""
    return {
        "last_node_id": 2,
        "last_link_id": 1,
        "nodes": [
            {"id": 1, "type": "LoadImage", "widgets_values": ["example.png", "image"]},
            {"id": 2, "type": "SaveImage", "widgets_values": ["ComfyUI"]},
        ],
        "links": [[1, 1, 0, 2, 0, "IMAGE"]],
        "version": 0.4,
    }


def as_file(document: dict) -> bytes:
    """A JSON document as uploaded bytes."""
    return json.dumps(document).encode("utf-8")


def copy_of(document: dict) -> dict:
    """A deep copy (tests edit manifests in place)."""
    return copy.deepcopy(document)
