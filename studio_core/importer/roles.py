"""What each node of an API-format graph does for the studio: the analysis behind both the
manifest proposal and reading parameters back from a graph.

Pure and schema-free: it only looks at class names, input names and the links, so it works
on any graph, including ones with custom nodes the schemas do not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio_core.catalog.workflow import LOADER_INPUTS, SEED_INPUTS, ancestors, is_link, links_of
from studio_core.importer.packs import MAIN_LOADERS

Ref = tuple[str, str]  # (node id, input name)

# Nodes that sample or guide: where the positive/negative conditioning and the sampling
# settings meet. Guiders feed SamplerCustomAdvanced, which has no conditioning of its own.
SAMPLER_CLASSES = frozenset(
    {
        "KSampler",
        "KSamplerAdvanced",
        "SamplerCustom",
        "SamplerCustomAdvanced",
        "CFGGuider",
        "BasicGuider",
        "DualCFGGuider",
        "PerpNegGuider",
    }
)
# Conditioning inputs of samplers/guiders read as the positive or the negative prompt.
POSITIVE_INPUTS = frozenset({"positive", "conditioning", "cond1", "cond2"})
NEGATIVE_INPUTS = frozenset({"negative", "empty_conditioning"})
# Literal STRING inputs of text encoders that hold the prompt (SDXL and Flux split it).
TEXT_INPUTS = ("text", "prompt", "text_g", "text_l", "clip_l", "t5xxl")
PRIMITIVE_TEXT = ("value",)  # PrimitiveString / PrimitiveStringMultiline
SEED_SOURCE_INPUTS = ("seed", "noise_seed", "value")
SETTING_INPUTS = ("steps", "cfg", "guidance", "denoise", "sampler_name", "scheduler")
SETTING_TYPES: dict[str, type | tuple] = {
    "steps": int,
    "cfg": (int, float),
    "guidance": (int, float),
    "denoise": (int, float),
    "sampler_name": str,
    "scheduler": str,
}
IMAGE_LOADERS = frozenset({"LoadImage"})
LORA_CLASSES = frozenset({"LoraLoader", "LoraLoaderModelOnly"})
OUTPUT_CLASSES = frozenset({"SaveImage"})
PREVIEW_CLASSES = frozenset({"PreviewImage"})


def id_order(node_id: str) -> tuple:
    """Sort key for node ids: numbers numerically ("2" before "10"), then names."""
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


@dataclass
class Roles:
    """Node ids (in id order unless said) and the (node, input) refs each role maps to."""

    samplers: list[str] = field(default_factory=list)  # upstream first (base before refiner)
    positive: list[Ref] = field(default_factory=list)  # prompt text inputs
    negative: list[Ref] = field(default_factory=list)
    seeds: list[Ref] = field(default_factory=list)  # literal seeds only (linked ones follow)
    settings: dict[str, list[Ref]] = field(default_factory=dict)  # steps, cfg... -> refs
    images: list[str] = field(default_factory=list)  # LoadImage nodes
    latents: list[str] = field(default_factory=list)  # Empty*Latent* with width/height
    loaders: list[str] = field(default_factory=list)  # model loaders except LoRAs
    loras: list[str] = field(default_factory=list)  # LoraLoader(ModelOnly), chain order
    outputs: list[str] = field(default_factory=list)  # SaveImage
    previews: list[str] = field(default_factory=list)  # PreviewImage
    # The first checkpoint or diffusion-model loader: the model the user picks.
    main_loader: str | None = None


def graph_roles(graph: Mapping[str, Any]) -> Roles:
    """Analyse an API-format graph (as `read_workflow_file` returns it)."""
    roles = Roles()
    ordered = sorted(graph, key=id_order)
    roles.samplers = _upstream_first(
        graph, [n for n in ordered if graph[n]["class_type"] in SAMPLER_CLASSES]
    )
    positive_nodes = _conditioning_sources(graph, roles.samplers, POSITIVE_INPUTS, "positive")
    negative_nodes = _conditioning_sources(graph, roles.samplers, NEGATIVE_INPUTS, "negative")
    # An encoder feeding both (a negative made by ConditioningZeroOut of the positive) is the
    # prompt: zeroing it out is not a negative text.
    negative_nodes -= positive_nodes
    roles.positive = _text_refs(graph, positive_nodes)
    roles.negative = _text_refs(graph, negative_nodes)
    for node_id in ordered:
        node = graph[node_id]
        class_type, inputs = node["class_type"], node.get("inputs", {})
        seed_input = SEED_INPUTS.get(class_type)
        if seed_input:
            ref = _seed_ref(graph, node_id, seed_input)
            if ref and ref not in roles.seeds:
                roles.seeds.append(ref)
        if class_type in IMAGE_LOADERS:
            roles.images.append(node_id)
        elif _is_latent_size(class_type, inputs):
            roles.latents.append(node_id)
        elif class_type in LORA_CLASSES:
            roles.loras.append(node_id)
        elif class_type in LOADER_INPUTS or class_type in MAIN_LOADERS:
            roles.loaders.append(node_id)
            if class_type in MAIN_LOADERS and roles.main_loader is None:
                roles.main_loader = node_id
        elif class_type in OUTPUT_CLASSES:
            roles.outputs.append(node_id)
        elif class_type in PREVIEW_CLASSES:
            roles.previews.append(node_id)
    roles.loras = _chain_order(graph, roles.loras)
    roles.settings = _settings(graph, roles.samplers)
    return roles


def _literal(value: Any, kind: type | tuple) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _seed_ref(graph: Mapping[str, Any], node_id: str, name: str) -> Ref | None:
    """Where a sampler's seed is written: its own input, or the literal of the primitive node
    it links to (a shared "seed" widget node feeding several samplers)."""
    value = graph[node_id]["inputs"].get(name)
    if _literal(value, int):
        return (node_id, name)
    if is_link(value) and value[0] in graph:
        source = graph[value[0]].get("inputs", {})
        for source_name in SEED_SOURCE_INPUTS:
            if _literal(source.get(source_name), int):
                return (value[0], source_name)
    return None


def _is_latent_size(class_type: str, inputs: Mapping[str, Any]) -> bool:
    width, height = inputs.get("width"), inputs.get("height")
    return (
        class_type.startswith("Empty")
        and "Latent" in class_type
        and _literal(width, int)
        and _literal(height, int)
        and width > 0
        and height > 0
    )


def _upstream_first(graph: Mapping[str, Any], node_ids: list[str]) -> list[str]:
    """`node_ids` ordered so a sampler feeding another one comes first (stable otherwise)."""
    upstream = {n: ancestors(graph, [n]) - {n} for n in node_ids}
    ordered: list[str] = []
    pending = list(node_ids)
    while pending:
        ready = next(
            (n for n in pending if not (upstream[n] & set(pending) - {n})), pending[0]
        )  # a cycle (invalid anyway) falls back to id order
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def _conditioning_sources(
    graph: Mapping[str, Any], samplers: list[str], names: frozenset, role: str
) -> set[str]:
    """Nodes the samplers' `names` inputs read from, transitively. At a node that itself
    takes a positive and a negative (InstructPix2PixConditioning, ControlNetApplyAdvanced...)
    only the input named like the role is followed, so the two prompts stay apart."""
    todo = [
        link[0]
        for sampler in samplers
        for name, link in links_of(graph[sampler])
        if name in names and link[0] in graph
    ]
    seen: set[str] = set()
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        links = dict(links_of(graph[node_id]))
        split = "positive" in links and "negative" in links
        for name, link in links.items():
            if split and name in ("positive", "negative") and name != role:
                continue
            if link[0] in graph and link[0] not in seen:
                todo.append(link[0])
    return seen


def _text_refs(graph: Mapping[str, Any], node_ids: set[str]) -> list[Ref]:
    """The literal prompt texts among `node_ids`: encoders' text inputs, and the value of a
    string primitive an encoder's text input links to (one prompt shared by two encoders)."""
    refs = []
    for node_id in sorted(node_ids, key=id_order):
        node = graph[node_id]
        names = PRIMITIVE_TEXT if node["class_type"].startswith("Primitive") else TEXT_INPUTS
        refs += [(node_id, n) for n in names if isinstance(node.get("inputs", {}).get(n), str)]
    return refs


def _settings(graph: Mapping[str, Any], samplers: list[str]) -> dict[str, list[Ref]]:
    """Literal steps/cfg/denoise/sampler_name/scheduler on the samplers and the nodes they
    read from (BasicScheduler, KSamplerSelect, a guider's cfg), upstream samplers first."""
    settings: dict[str, list[Ref]] = {}
    seen: set[str] = set()
    for sampler in samplers:
        # the sampler itself, then the settings nodes only it reads (not another sampler's)
        upstream = sorted(
            (
                n
                for n in ancestors(graph, [sampler])
                if n != sampler and graph[n]["class_type"] not in SAMPLER_CLASSES
            ),
            key=id_order,
        )
        nearby = [sampler, *upstream]
        for node_id in nearby:
            if node_id in seen:
                continue
            seen.add(node_id)
            inputs = graph[node_id].get("inputs", {})
            for name in SETTING_INPUTS:
                if _literal(inputs.get(name), SETTING_TYPES[name]):
                    settings.setdefault(name, []).append((node_id, name))
    return settings


def _chain_order(graph: Mapping[str, Any], loras: list[str]) -> list[str]:
    """LoRA loaders from the one next to the model loader to the last of the chain."""
    members = set(loras)
    feeds = {
        n: next((link[0] for name, link in links_of(graph[n]) if name == "model"), None)
        for n in loras
    }
    ordered: list[str] = []
    heads = [n for n in loras if feeds[n] not in members]
    while heads:
        head = heads.pop(0)
        ordered.append(head)
        heads += [n for n in loras if feeds[n] == head and n not in ordered]
    return ordered + [n for n in loras if n not in ordered]
