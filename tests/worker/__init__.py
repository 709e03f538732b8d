"""Worker tests; the graph builders below are shared by the ComfyUI client tests."""

from __future__ import annotations

import uuid

from tests.graphs import empty_save, t2i

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def new_id(prefix: str = "p") -> str:
    """A unique prompt or client id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def image_graph(prefix: str = "test/img", color: int = 0, width: int = 8) -> dict:
    """EmptyImage(1) -> SaveImage(2): the smallest graph with an output."""
    return empty_save(prefix, width=width, height=8, color=color)


def load_image_graph(image: str, prefix: str = "test/load") -> dict:
    """LoadImage(1) -> SaveImage(2)."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


def t2i_graph(steps: int = 4, seed: int = 1, prefix: str = "test/t2i") -> dict:
    """The text-to-image graph (checkpoint, 2 prompts, KSampler, VAEDecode, SaveImage)."""
    return t2i("a cat", seed=seed, steps=steps, prefix=prefix)
