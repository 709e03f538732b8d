"""Issue 11 LoRAs: the "loras" parameter (parsing, checking, a LoraLoader chain in the graph),
a manifest's optional LoRAs (face_swap's bfs_head_v3 when the engine has it), the public view."""

from __future__ import annotations

import copy
import dataclasses
import json
import random

import pytest

from studio_core.catalog.build import build_graph
from studio_core.catalog.check import check_catalog
from studio_core.catalog.loras import LoraAttach
from studio_core.catalog.manifest import ManifestError, parse_tool
from studio_core.catalog.params import resolve_seed
from studio_core.catalog.probes import lora_problems
from studio_core.catalog.tools import DEFAULT_DIR
from studio_core.errors import InvalidInput

HEAD = "bfs_head_v3_qwen_image_edit_2509.safetensors"
LIGHTNING = "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors"
FACES = {"face": "studio/job-1_face.png", "body": "studio/job-1_body.png"}
THREE = [
    {"name": "detail.safetensors", "strength": 0.8},
    {"name": "SD15/style.safetensors", "strength": -1.5},
    {"name": "chars\\hero.safetensors", "strength": 2},
]


def read(tool_id, name):
    return json.loads((DEFAULT_DIR / tool_id / f"{name}.json").read_text(encoding="utf-8"))


def classic_graph(tool, models=None, **raw):
    params = tool.validate({"prompt": "a fox", "seed": 5, **raw}, models_by_folder=models)
    return build_graph(tool, params, {}, "studio/job-1", models=models)


def face_graph(tool, models=None, **raw):
    params = resolve_seed(tool.validate(raw, images=list(FACES)), random.Random(1))
    return build_graph(tool, params, FACES, "studio/job-1", models=models)


def without_loras(tool):
    """The tool as it was before issue 11: no loras parameter, no optional LoRA."""
    params = [p for p in tool.parameters if p.type != "loras"]
    return dataclasses.replace(tool, parameters=params, optional_loras=[])


def readers(graph, link):
    return sorted(
        (node_id, name) for node_id, node in graph.items()
        for name, value in node["inputs"].items() if value == link
    )  # fmt: skip


# ---- the manifest ----------------------------------------------------------------------


def loras_param(manifest):
    return next(p for p in manifest["parameters"] if p["id"] == "loras")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: loras_param(m).pop("attach"), "parameter 'loras': missing 'attach'"),
        (lambda m: loras_param(m)["attach"].pop("model"), "parameter 'loras': 'attach' must be"),
        (lambda m: loras_param(m)["attach"].update(vae=["checkpoint", 2]), "'attach' must be"),
        (lambda m: loras_param(m)["attach"].update(model=["nowhere", 0]), "attach model"),
        (lambda m: loras_param(m)["attach"].update(model=["checkpoint", "0"]), "attach model"),
        (lambda m: loras_param(m)["attach"].update(model=["checkpoint", 2]),
         "no template node reads attach model"),  # output 2 is the VAE, read as 'vae'
        (lambda m: loras_param(m)["attach"].update(clip=["checkpoint", 0]),
         "no template node reads attach clip"),
        (lambda m: loras_param(m).update(max_items=0), "'max_items' must be"),
        (lambda m: loras_param(m).update(max_items=True), "'max_items' must be"),
        (lambda m: loras_param(m).update(min=2.0), "'min' must be below 'max'"),
        (lambda m: loras_param(m).update(max="2"), "'max' must be a finite number"),
        (lambda m: loras_param(m).update(folder=""), "'folder' must be"),
        (lambda m: loras_param(m).update(default=[{"name": "a"}]), "default is the empty list"),
        (lambda m: loras_param(m).update(targets=[]), "takes no 'targets'"),
        (lambda m: loras_param(m).update(choices=["a"]), "takes no 'choices'"),
        (lambda m: m["parameters"].append({**loras_param(m), "id": "more"}),
         "at most one parameter of type 'loras'"),
        (lambda m: m.update(optional_loras={}), "'optional_loras' must be a list"),
    ],
)  # fmt: skip
def test_malformed_loras_parameter(edit, match):
    manifest = read("text_to_image_classic", "manifest")
    edit(manifest)
    with pytest.raises(ManifestError, match=match) as caught:
        parse_tool(manifest, read("text_to_image_classic", "workflow"))
    assert "text_to_image_classic" in str(caught.value)


def head(manifest):
    return manifest["optional_loras"][0]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: head(m).update(file="Qwen_Edit/" + HEAD), "plain file name"),
        (lambda m: head(m).update(file="..\\" + HEAD), "plain file name"),
        (lambda m: head(m).update(file="C:" + HEAD), "plain file name"),
        (lambda m: head(m).update(file=""), "plain file name"),
        (lambda m: head(m).update(strength=float("nan")), "'strength' must be a finite number"),
        (lambda m: head(m).update(strength=True), "'strength' must be a finite number"),
        (lambda m: head(m).update(weight=1), "unknown key 'weight'"),
        (lambda m: head(m).pop("label"), "missing 'label'"),
        (lambda m: head(m)["label"].pop("zh-TW"), "zh-TW"),
        (lambda m: head(m).pop("attach"), "missing 'attach'"),
        (lambda m: head(m)["attach"].update(model=["clip", 0]), "reads attach model"),
        (lambda m: m["optional_loras"].append(copy.deepcopy(head(m))), "lists a file twice"),
        (lambda m: m["optional_loras"].append("x"), r"optional_loras\[1\]: must be"),
    ],
)  # fmt: skip
def test_malformed_optional_lora(edit, match):
    manifest = read("face_swap", "manifest")
    edit(manifest)
    with pytest.raises(ManifestError, match=match) as caught:
        parse_tool(manifest, read("face_swap", "workflow"))
    assert "face_swap optional_loras[" in str(caught.value)


@pytest.mark.parametrize("node_id", ["lora_1", "optional_lora_2"])
def test_template_node_ids_of_inserted_loras_are_reserved(node_id):
    workflow = read("text_to_image_classic", "workflow")
    workflow[node_id] = copy.deepcopy(workflow["checkpoint"])
    with pytest.raises(ManifestError, match="reserved for inserted LoRAs"):
        parse_tool(read("text_to_image_classic", "manifest"), workflow)


def test_shipped_manifests_declare_the_loras(catalog):
    param = catalog.get("text_to_image_classic").param("loras")
    assert (param.folder, param.max_items, param.min, param.max) == ("loras", 4, -2.0, 2.0)
    assert param.attach == LoraAttach(("checkpoint", 0), ("checkpoint", 1))
    assert param.advanced is False and param.default == []
    (lora,) = catalog.get("face_swap").optional_loras
    assert (lora.file, lora.strength, lora.attach) == (HEAD, 1.0, LoraAttach(("lora", 0)))


def test_the_catalog_check_wants_the_lora_loader_declared(catalog_copy):
    manifest = catalog_copy.read("text_to_image_classic", "manifest")
    manifest["requires"]["nodes"].remove("LoraLoader")
    catalog_copy.write("text_to_image_classic", "manifest", manifest)
    problems = check_catalog(catalog_copy.root)
    assert len(problems) == 1 and "requires.nodes" in problems[0] and "LoraLoader" in problems[0]


# ---- checking a user's list ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ([], []),
        ("[]", []),
        ([{"name": "a.safetensors"}], [{"name": "a.safetensors", "strength": 1.0}]),
        ([{"name": "a.safetensors", "strength": None}], [{"name": "a.safetensors", "strength": 1.0}]),
        ('[{"name": "SD15/a.safetensors", "strength": 0.25}]',
         [{"name": "SD15/a.safetensors", "strength": 0.25}]),
        ([{"name": "a.safetensors", "strength": "-2"}], [{"name": "a.safetensors", "strength": -2.0}]),
        ([*THREE, {"name": "four.safetensors", "strength": 0}],
         [*THREE[:2], {**THREE[2], "strength": 2.0}, {"name": "four.safetensors", "strength": 0.0}]),
    ],
)  # fmt: skip
def test_a_lora_list_is_checked_and_completed(catalog, value, expected):
    params = catalog.get("text_to_image_classic").validate({"prompt": "x", "loras": value})
    assert params["loras"] == expected
    assert all(isinstance(entry["strength"], float) for entry in params["loras"])


def test_the_default_list_is_a_fresh_one(catalog):
    tool = catalog.get("text_to_image_classic")
    tool.validate({"prompt": "x"})["loras"].append({"name": "leak"})
    assert tool.validate({"prompt": "x"})["loras"] == [] and tool.param("loras").default == []


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("a.safetensors", "loras", "must be a list"),
        ("[{]", "loras", "must be a list"),
        ({"name": "a.safetensors"}, "loras", "must be a list"),
        ([{"name": f"{n}.safetensors"} for n in range(5)], "loras", "at most 4 LoRAs"),
        (["a.safetensors"], "loras.0", "must be an object"),
        ([{"name": "a.safetensors", "weight": 1}], "loras.0.weight", "no field 'weight'"),
        ([{"strength": 1}], "loras.0.name", "must be a LoRA file name"),
        ([{"name": ""}], "loras.0.name", "must be a LoRA file name"),
        ([{"name": 7}], "loras.0.name", "must be a LoRA file name"),
        ([{"name": "x" * 256}], "loras.0.name", "must be a LoRA file name"),
        ([{"name": "/etc/a.safetensors"}], "loras.0.name", "not a valid"),
        ([{"name": "\\\\server\\a.safetensors"}], "loras.0.name", "not a valid"),
        ([{"name": "a/../../b.safetensors"}], "loras.0.name", "not a valid"),
        ([{"name": "C:a.safetensors"}], "loras.0.name", "not a valid"),
        ([{"name": "a\x00.safetensors"}], "loras.0.name", "not a valid"),
        ([{"name": "a.safetensors"}, {"name": "a.safetensors"}], "loras.1.name", "listed twice"),
        ([{"name": "a.safetensors", "strength": 2.5}], "loras.0.strength", "at most 2.0"),
        ([{"name": "a.safetensors", "strength": -3}], "loras.0.strength", "at least -2.0"),
        ([{"name": "a.safetensors", "strength": True}], "loras.0.strength", "must be a number"),
        ([{"name": "a.safetensors", "strength": "strong"}], "loras.0.strength", "must be a number"),
        ([{"name": "a.safetensors", "strength": [1]}], "loras.0.strength", "must be a number"),
        ([{"name": "a.safetensors", "strength": "nan"}], "loras.0.strength", "finite"),
        ([{"name": "b.safetensors"}, {"name": "a.safetensors", "strength": "inf"}],
         "loras.1.strength", "finite"),
    ],
)  # fmt: skip
def test_a_bad_lora_list_names_the_field(catalog, value, field, message):
    with pytest.raises(InvalidInput) as caught:
        catalog.get("text_to_image_classic").validate({"prompt": "x", "loras": value})
    assert (caught.value.field, caught.value.status) == (field, 400)
    assert message in caught.value.message


def test_a_lora_must_be_installed_when_the_files_are_known(catalog):
    tool = catalog.get("text_to_image_classic")
    models = {"checkpoints": ["sd_xl_base_1.0.safetensors"], "loras": ["SD15/style.safetensors"]}
    ok = tool.validate(
        {"prompt": "x", "loras": [{"name": "SD15/style.safetensors"}]}, models_by_folder=models
    )
    assert ok["loras"] == [{"name": "SD15/style.safetensors", "strength": 1.0}]
    for name in ("style.safetensors", "SD15/other.safetensors"):
        with pytest.raises(InvalidInput, match="not installed in ComfyUI's loras folder") as caught:
            tool.validate({"prompt": "x", "loras": [{"name": name}]}, models_by_folder=models)
        assert caught.value.field == "loras.0.name"


def test_only_tools_with_a_loras_parameter_take_loras(catalog):
    with pytest.raises(InvalidInput) as caught:
        catalog.get("text_to_image").validate({"prompt": "x", "loras": []})
    assert caught.value.field == "loras"


# ---- the graph -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, [], ""])
def test_without_loras_comfyui_gets_the_graph_it_got_before(catalog, value):
    tool = catalog.get("text_to_image_classic")
    raw = {} if value is None else {"loras": value}
    graph = classic_graph(tool, **raw)
    assert graph == classic_graph(without_loras(tool))
    assert not any(node["class_type"].startswith("LoraLoader") for node in graph.values())


def test_one_lora_sits_between_the_checkpoint_and_its_readers(catalog):
    graph = classic_graph(catalog.get("text_to_image_classic"), loras=THREE[:1])
    assert graph["lora_1"]["class_type"] == "LoraLoader"
    assert graph["lora_1"]["inputs"] == {
        "model": ["checkpoint", 0], "clip": ["checkpoint", 1], "lora_name": "detail.safetensors",
        "strength_model": 0.8, "strength_clip": 0.8,
    }  # fmt: skip
    assert readers(graph, ["lora_1", 0]) == [("sampler", "model")]
    assert readers(graph, ["lora_1", 1]) == [("negative", "clip"), ("positive", "clip")]
    assert readers(graph, ["checkpoint", 0]) == [("lora_1", "model")]
    assert readers(graph, ["checkpoint", 1]) == [("lora_1", "clip")]
    assert readers(graph, ["checkpoint", 2]) == [("decode", "vae")]  # the VAE stays


def test_three_loras_chain_in_the_order_given(catalog):
    tool = catalog.get("text_to_image_classic")
    graph = classic_graph(tool, loras=THREE)
    chain = [graph[f"lora_{n}"]["inputs"] for n in (1, 2, 3)]
    assert [(i["lora_name"], i["strength_model"], i["strength_clip"]) for i in chain] == [
        ("detail.safetensors", 0.8, 0.8),
        ("SD15/style.safetensors", -1.5, -1.5),
        ("chars\\hero.safetensors", 2.0, 2.0),
    ]
    assert [(i["model"], i["clip"]) for i in chain[1:]] == [
        (["lora_1", 0], ["lora_1", 1]), (["lora_2", 0], ["lora_2", 1]),
    ]  # fmt: skip
    assert readers(graph, ["lora_3", 0]) == [("sampler", "model")]
    assert readers(graph, ["lora_3", 1]) == [("negative", "clip"), ("positive", "clip")]
    params = tool.validate({"prompt": "a fox", "seed": 5, "loras": THREE})
    assert lora_problems(tool, params, graph, None) == []
    # everything else is the graph without LoRAs
    rest = {k: v for k, v in graph.items() if not k.startswith("lora_")}
    before = classic_graph(without_loras(tool))
    for node_id, node in rest.items():
        if node_id not in ("sampler", "positive", "negative"):
            assert node == before[node_id]


def test_the_probe_catches_a_sampler_that_bypasses_the_loras(catalog):
    tool = catalog.get("text_to_image_classic")
    params = tool.validate({"prompt": "a fox", "seed": 5, "loras": THREE[:2]})
    graph = build_graph(tool, params, {}, "studio/job-1")
    graph["sampler"]["inputs"]["model"] = ["checkpoint", 0]
    graph["negative"]["inputs"]["clip"] = ["lora_1", 1]
    problems = lora_problems(tool, params, graph, None)
    assert any("still read the outputs" in p for p in problems)
    assert any("sampler sampler's model does not pass" in p for p in problems)
    assert any("negative's clip does not pass" in p for p in problems)
    assert lora_problems(tool, {**params, "loras": []}, graph, None) == [
        "LoRA nodes ['lora_1', 'lora_2'] where [] belong"
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_a_model_only_attach_chains_lora_loader_model_only(catalog, count):
    tool = catalog.get("text_to_image_classic")
    model_only = dataclasses.replace(tool.param("loras"), attach=LoraAttach(("checkpoint", 0)))
    params = [model_only if p.id == "loras" else p for p in tool.parameters]
    tool = dataclasses.replace(tool, parameters=params)
    graph = classic_graph(tool, loras=THREE[:count])
    last = f"lora_{count}"
    assert {graph[f"lora_{n}"]["class_type"] for n in range(1, count + 1)} == {
        "LoraLoaderModelOnly"
    }
    assert graph[last]["inputs"] == {
        "model": ["checkpoint", 0] if count == 1 else [f"lora_{count - 1}", 0],
        "lora_name": THREE[count - 1]["name"],
        "strength_model": float(THREE[count - 1]["strength"]),
    }
    assert readers(graph, [last, 0]) == [("sampler", "model")]
    assert readers(graph, ["checkpoint", 1]) == [("negative", "clip"), ("positive", "clip")]


def test_a_chain_after_a_template_lora_rewires_what_read_it(catalog):
    """face_swap's Lightning LoRA output feeds the sampling shift: a chain there takes over."""
    tool = catalog.get("face_swap")
    before = face_graph(tool)
    graph = face_graph(tool, models={"loras": [LIGHTNING, HEAD]})
    assert graph["optional_lora_1"] == {
        "class_type": "LoraLoaderModelOnly",
        "inputs": {"model": ["lora", 0], "lora_name": HEAD, "strength_model": 1.0},
        "_meta": graph["optional_lora_1"]["_meta"],
    }
    assert graph["shift"]["inputs"]["model"] == ["optional_lora_1", 0]
    assert graph["lora"] == before["lora"]  # the Lightning LoRA keeps its place and strength
    assert {k: v for k, v in graph.items() if k not in ("optional_lora_1", "shift")} == {
        k: v for k, v in before.items() if k != "shift"
    }


@pytest.mark.parametrize(
    ("files", "written"),
    [
        ([HEAD], HEAD),
        ([f"Qwen_Edit/{HEAD}"], f"Qwen_Edit/{HEAD}"),
        ([f"Qwen_Edit\\{HEAD}"], f"Qwen_Edit\\{HEAD}"),  # as ComfyUI on Windows lists it
        ([f"z/{HEAD}", f"a/{HEAD}", HEAD], HEAD),  # the exact name wins
        ([f"z/{HEAD}", f"a/{HEAD}"], f"a/{HEAD}"),
    ],
)
def test_the_head_lora_is_used_when_the_engine_has_it(catalog, files, written):
    tool = catalog.get("face_swap")
    models = {"loras": [LIGHTNING, *files]}
    graph = face_graph(tool, models=models)
    assert graph["optional_lora_1"]["inputs"]["lora_name"] == written
    params = resolve_seed(tool.validate({}, images=list(FACES)), random.Random(1))
    assert lora_problems(tool, params, graph, models) == []


@pytest.mark.parametrize(
    "models",
    [
        None,  # not known: left out
        {"loras": [LIGHTNING]},
        {"loras": [LIGHTNING, f"Qwen_Edit/{HEAD}.bak", "bfs_head_v3.safetensors"]},
        {"diffusion_models": [HEAD]},  # another folder's file is no LoRA
    ],
)
def test_without_the_head_lora_face_swap_runs_as_before(catalog, models):
    tool = catalog.get("face_swap")
    graph = face_graph(tool, models=models)
    assert graph == face_graph(without_loras(tool))
    assert "optional_lora_1" not in graph


# ---- the public view -------------------------------------------------------------------


def test_the_public_view_shows_the_loras_and_the_optional_lora(catalog):
    classic = catalog.get("text_to_image_classic")
    face = catalog.get("face_swap")
    loras = next(p for p in classic.public_dict("en")["parameters"] if p["id"] == "loras")
    assert loras == {
        "id": "loras", "type": "loras", "label": "LoRAs", "default": [], "required": False,
        "advanced": False, "min": -2.0, "max": 2.0, "folder": "loras", "max_items": 4,
    }  # fmt: skip
    assert "attach" not in json.dumps(classic.public_dict())  # node ids stay private
    models = {"loras": ["b.safetensors", f"Qwen_Edit/{HEAD}", "SD15/a.safetensors"]}
    shown = next(p for p in classic.public_dict("en", models)["parameters"] if p["id"] == "loras")
    assert shown["choices"] == ["Qwen_Edit/" + HEAD, "SD15/a.safetensors", "b.safetensors"]
    assert face.public_dict("zh-TW", models)["optional_loras"] == [
        {
            "file": HEAD,
            "label": "換頭 LoRA（bfs_head_v3）：ComfyUI 有此檔案時使用",
            "installed": True,
        }
    ]
    assert face.public_dict("en", {"loras": [LIGHTNING]})["optional_loras"][0]["installed"] is False
    assert face.public_dict()["optional_loras"][0]["installed"] is None
    assert face.public_dict()["optional_loras"][0]["label"]["en"].startswith("Head-swap LoRA")
    assert classic.public_dict()["optional_loras"] == []


def test_an_optional_lora_never_blocks_a_tool(catalog, object_info):
    face = catalog.get("face_swap")
    models = {
        "diffusion_models": ["qwen_image_edit_2509_fp8_e4m3fn.safetensors"],
        "loras": [LIGHTNING],
        "text_encoders": ["qwen_2.5_vl_7b_fp8_scaled.safetensors"],
        "vae": ["qwen_image_vae.safetensors"],
    }
    assert face.availability(object_info, models) == {"status": "ready", "reason": ""}
    classic = catalog.get("text_to_image_classic")
    ready = {"checkpoints": ["sd_xl_base_1.0.safetensors"], "loras": []}
    assert classic.availability(object_info, ready) == {"status": "ready", "reason": ""}
