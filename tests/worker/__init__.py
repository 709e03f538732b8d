"""Worker tests; the graph builders below are shared by the ComfyUI client tests."""

from __future__ import annotations

import uuid

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def new_id(prefix: str = "p") -> str:
    """A unique prompt or client id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def image_graph(prefix: str = "test/img", color: int = 0, width: int = 8) -> dict:
    """EmptyImage(1) -> SaveImage(2): the smallest graph with an output."""
    return {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": width, "height": 8, "batch_size": 1, "color": color},
        },
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


def load_image_graph(image: str, prefix: str = "test/load") -> dict:
    """LoadImage(1) -> SaveImage(2)."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


def t2i_graph(steps: int = 4, seed: int = 1, prefix: str = "test/t2i") -> dict:
    """The text-to-image graph (checkpoint, 2 prompts, KSampler, VAEDecode, SaveImage)."""
    return {
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "sd15-demo.safetensors"},
        },
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": 64, "height": 64, "batch_size": 1},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": seed,
                "steps": steps,
                "cfg": 7.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": prefix}},
    }
