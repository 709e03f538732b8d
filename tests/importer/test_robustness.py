"""Any API-shaped graph, however odd its values and links, goes through the whole analysis
without an exception: the importer reads uploads from anyone with a file."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfy_schema.object_info import shipped_object_info
from studio_core.catalog.tools import Catalog
from studio_core.importer import (
    best_tool,
    check_draft,
    graph_roles,
    params_from_graph,
    propose_manifest,
)
from tests.importer.conftest import graph as graph_

# Each class with the input names it usually has, so the odd values land where they matter.
CLASSES = {
    "KSampler": ["model", "positive", "negative", "latent_image", "seed", "steps", "cfg",
                 "sampler_name", "scheduler", "denoise"],
    "KSamplerAdvanced": ["positive", "negative", "noise_seed", "steps", "cfg"],
    "CLIPTextEncode": ["clip", "text"],
    "CheckpointLoaderSimple": ["ckpt_name"],
    "LoraLoader": ["model", "clip", "lora_name", "strength_model", "strength_clip"],
    "EmptyLatentImage": ["width", "height", "batch_size"],
    "LoadImage": ["image"],
    "SaveImage": ["images", "filename_prefix"],
    "PreviewImage": ["images"],
    "ConditioningZeroOut": ["conditioning"],
    "RandomNoise": ["noise_seed"],
    "UnetLoaderGGUF": ["unet_name"],
    "SomethingCustom": ["text", "value", "seed"],
}  # fmt: skip
IDS = [str(i) for i in range(1, 7)]
VALUES = st.one_of(
    st.integers(-2, 2),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.tuples(st.sampled_from([*IDS, "99"]), st.integers(-1, 4)).map(list),
    st.lists(st.integers(), max_size=3),
)
NODES = st.sampled_from(sorted(CLASSES)).flatmap(
    lambda class_type: st.fixed_dictionaries(
        {
            "class_type": st.just(class_type),
            "inputs": st.dictionaries(st.sampled_from(CLASSES[class_type]), VALUES),
        }
    )
)
GRAPHS = st.dictionaries(st.sampled_from(IDS), NODES, min_size=1, max_size=6)
CATALOG = Catalog.load()


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(GRAPHS)
def test_odd_graphs_never_raise(graph):

    info = shipped_object_info()
    graph_roles(graph)
    manifest, workflow = propose_manifest(graph, info, "fuzzed")
    problems = check_draft(manifest, workflow, info, {"checkpoints": ["a.safetensors"]})
    assert all(p["severity"] in ("error", "warning") for p in problems)
    tool = best_tool(CATALOG.tools, graph) or CATALOG.get("text_to_image_classic")
    result = params_from_graph(tool, graph)
    assert set(result) == {"tool", "params", "matched", "unmatched"}


ODD_GRAPHS = {
    "negative size": {
        "1": {"class_type": "EmptyLatentImage", "inputs": {"width": -1, "height": 2}}
    },
    "zero size": {"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 0, "height": 0}}},
    "text steps": {"1": {"class_type": "KSampler", "inputs": {"steps": "20", "cfg": "7"}}},
    "bool seed": {"1": {"class_type": "KSampler", "inputs": {"seed": True}}},
    "self link": {"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "seed": 1}}},
    "cycle": {
        "1": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}},
    },
    "output index out of range": {
        "1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 7], "filename_prefix": "x"}},
    },
    "dangling link": {"1": {"class_type": "SaveImage", "inputs": {"images": ["9", 0]}}},
}


@pytest.mark.parametrize("name", sorted(ODD_GRAPHS))
def test_known_odd_graphs_never_raise(name):
    test_odd_graphs_never_raise.hypothesis.inner_test(ODD_GRAPHS[name])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
MANIFEST_KEYS = [
    "id",
    "name",
    "description",
    "icon",
    "category",
    "slots",
    "parameters",
    "outputs",
    "requires",
]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(MANIFEST_KEYS), JSON) | JSON)
def test_any_manifest_json_is_reported_never_raised(manifest):
    info = shipped_object_info()
    problems = check_draft(manifest, graph_("invert"), info, None)
    assert any(p["code"] == "manifest_invalid" for p in problems)
