"""Reading API-format workflows: links, ancestors, and the node classes the studio knows.

Pure helpers on `{node_id: {"class_type", "inputs"}}` graphs; every other catalog module
builds on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Every sampler-like class and the input that carries its seed (the original studio only ever
# set KSampler.seed, so a SamplerCustom template silently kept its fixed seed).
SEED_INPUTS: dict[str, str] = {
    "KSampler": "seed",
    "KSamplerAdvanced": "noise_seed",
    "SamplerCustom": "noise_seed",
    "RandomNoise": "noise_seed",
}

# Loader classes, the input naming the file, and the ComfyUI model folder that input lists.
LOADER_INPUTS: dict[str, tuple[str, str]] = {
    "CheckpointLoaderSimple": ("ckpt_name", "checkpoints"),
    "UNETLoader": ("unet_name", "diffusion_models"),
    "CLIPLoader": ("clip_name", "text_encoders"),
    "VAELoader": ("vae_name", "vae"),
    "LoraLoaderModelOnly": ("lora_name", "loras"),
    "LoraLoader": ("lora_name", "loras"),
}


# Ids of the LoRA loaders build_graph inserts: "lora_1".. for the user's list (the "loras"
# parameter), "optional_lora_1".. for a manifest's optional LoRAs; no template node may use one.
LORA_NODE_ID = "lora_{}"
OPTIONAL_LORA_NODE_ID = "optional_lora_{}"
INSERTED_LORA_ID = re.compile(r"(optional_)?lora_[0-9]+")


def is_link(value: Any) -> bool:
    """True for an API-format link `[source_node_id, output_index]`."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def links_of(node: Mapping[str, Any]) -> Iterable[tuple[str, list]]:
    """The (input name, link) pairs of one node."""
    for name, value in node.get("inputs", {}).items():
        if is_link(value):
            yield name, value


def ancestors(graph: Mapping[str, Any], start: Iterable[str]) -> set[str]:
    """Ids of the start nodes and every node they read from, transitively (missing ids skipped)."""
    seen: set[str] = set()
    todo = [node_id for node_id in start if node_id in graph]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        for _name, link in links_of(graph[node_id]):
            if link[0] in graph and link[0] not in seen:
                todo.append(link[0])
    return seen


def dangling_links(graph: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(node, input, missing source) for every link that points at a node not in the graph."""
    return [
        (node_id, name, link[0])
        for node_id, node in graph.items()
        for name, link in links_of(node)
        if link[0] not in graph
    ]
