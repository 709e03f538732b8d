"""Model files (issue 11): subfolder listings, loader combos, /view_metadata, LoRAs and sizes."""

from __future__ import annotations

import io
import json
import struct

import pytest
from PIL import Image

from comfy_schema.object_info import load_object_info, with_file_lists
from comfy_schema.validation import validate_prompt
from comfyui_sim.config import DEFAULT_MODEL_METADATA, DEFAULT_MODELS, SimConfig
from comfyui_sim.model_files import MAX_METADATA_HEADER, ModelFiles, read_metadata
from tests.graphs import t2i
from tests.sim.helpers import tag

DREAMSHAPER = "SD15/dreamshaper_8.safetensors"
ADD_DETAIL = "SD15/add_detail.safetensors"


def _with_lora(graph: dict, name: str, strength: float = 1.0, model_only: bool = False) -> dict:
    """Insert a LoRA (node 20) after the checkpoint; the sampler and the encoders read it."""
    if model_only:
        inputs = {"model": ["4", 0], "lora_name": name, "strength_model": strength}
        graph["20"] = {"class_type": "LoraLoaderModelOnly", "inputs": inputs}
    else:
        inputs = {
            "model": ["4", 0],
            "clip": ["4", 1],
            "lora_name": name,
            "strength_model": strength,
            "strength_clip": strength,
        }
        graph["20"] = {"class_type": "LoraLoader", "inputs": inputs}
        graph["6"]["inputs"]["clip"] = ["20", 1]
        graph["7"]["inputs"]["clip"] = ["20", 1]
    graph["3"]["inputs"]["model"] = ["20", 0]
    return graph


def _run(sim, graph: dict) -> Image.Image:
    """Submit, wait, and fetch SaveImage's (node 9) first picture."""
    entry = sim.history(sim.submit(graph))
    assert entry["status"]["status_str"] == "success", entry["status"]
    ref = entry["outputs"]["9"]["images"][0]
    return Image.open(io.BytesIO(sim.get("/view", params=ref).content)).convert("RGB")


def _combo(info: dict, class_type: str, name: str) -> list:
    return info[class_type]["input"]["required"][name][0]


# --- listings and combos --------------------------------------------------------------------


def test_default_lists_are_sorted_and_carry_subfolders(sim):
    for folder, files in DEFAULT_MODELS.items():
        assert files == sorted(files), folder
        assert sim.get(f"/models/{folder}").json() == files
        assert sim.get(f"/api/models/{folder}").json() == files
    checkpoints = sim.get("/models/checkpoints").json()
    assert checkpoints[:3] == [DREAMSHAPER, "SDXL/juggernautXL_v9.safetensors", "ponyDiffusionV6XL.safetensors"]  # fmt: skip
    assert {"sd15-demo.safetensors", "sd_xl_base_1.0.safetensors"} <= set(checkpoints)
    assert ADD_DETAIL in sim.get("/models/loras").json()
    assert sim.get("/models/vae").json()[0] == "ae.safetensors"
    assert not any(n.startswith("bfs_head") for n in sim.get("/models/loras").json())


def test_listing_follows_the_files_sorted_like_comfyui(sim):
    names = ["zeta.safetensors", "SDXL/b.safetensors", "SD15/deep/c.safetensors", "alpha.ckpt", "SD15/a.safetensors"]  # fmt: skip
    sim.configure(models={"checkpoints": names, "custom": ["Sub/x.pt"]})
    expected = ["SD15/a.safetensors", "SD15/deep/c.safetensors", "SDXL/b.safetensors", "alpha.ckpt", "zeta.safetensors"]  # fmt: skip
    assert sim.get("/models/checkpoints").json() == expected
    assert sim.get("/models/custom").json() == ["Sub/x.pt"]
    assert sim.get("/models/loras").json() == []  # a known folder with no files
    missing = sim.get("/models/nope")
    assert missing.status_code == 404 and missing.content == b""


def test_object_info_loader_combos_list_the_same_names(sim):
    info = sim.get("/object_info").json()
    listed = {f: sim.get(f"/models/{f}").json() for f in DEFAULT_MODELS}
    assert _combo(info, "CheckpointLoaderSimple", "ckpt_name") == listed["checkpoints"]
    assert _combo(info, "UNETLoader", "unet_name") == listed["diffusion_models"]
    assert _combo(info, "LoraLoader", "lora_name") == listed["loras"]
    assert _combo(info, "LoraLoaderModelOnly", "lora_name") == listed["loras"]
    assert _combo(info, "CLIPLoader", "clip_name") == listed["text_encoders"]
    assert _combo(info, "VAELoader", "vae_name") == [*listed["vae"], "pixel_space"]
    assert DREAMSHAPER in _combo(info, "CheckpointLoaderSimple", "ckpt_name")


def test_loaders_accept_exactly_the_listed_names(sim):
    assert sim.post("/prompt", json={"prompt": t2i("ok", prefix=tag())}).status_code == 200
    graph = t2i("subfolder", prefix=tag())
    graph["4"]["inputs"]["ckpt_name"] = DREAMSHAPER
    assert sim.post("/prompt", json={"prompt": _with_lora(graph, ADD_DETAIL)}).status_code == 200
    for node, key, wrong in [
        ("4", "ckpt_name", "dreamshaper_8.safetensors"),  # the base name alone
        ("4", "ckpt_name", "SD15\\dreamshaper_8.safetensors"),  # the Windows spelling
        ("20", "lora_name", "add_detail.safetensors"),
    ]:
        graph = _with_lora(t2i("wrong", prefix=tag()), ADD_DETAIL)
        graph[node]["inputs"][key] = wrong
        response = sim.post("/prompt", json={"prompt": graph})
        assert response.status_code == 400, wrong
        errors = response.json()["node_errors"][node]["errors"]
        assert [e["type"] for e in errors] == ["value_not_in_list"], wrong
        assert errors[0]["extra_info"]["received_value"] == wrong


def test_a_windows_listing_is_simulated_with_backslash_names(sim):
    sim.configure(models={"checkpoints": ["SDXL\\juggernaut.safetensors"]})
    assert sim.get("/models/checkpoints").json() == ["SDXL\\juggernaut.safetensors"]
    graph = t2i("windows", prefix=tag())
    graph["4"]["inputs"]["ckpt_name"] = "SDXL\\juggernaut.safetensors"
    assert sim.post("/prompt", json={"prompt": graph}).status_code == 200


# --- /view_metadata -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/api"])
@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("checkpoints", DREAMSHAPER),
        ("checkpoints", "SDXL/juggernautXL_v9.safetensors"),
        ("checkpoints", "sd_xl_base_1.0.safetensors"),
        ("checkpoints", "v1-5-pruned-emaonly.safetensors"),
        ("loras", ADD_DETAIL),
        ("loras", "SDXL/xl_more_art-full.safetensors"),
    ],
)
def test_view_metadata_answers_the_header_metadata(sim, prefix, folder, name):
    response = sim.get(f"{prefix}/view_metadata/{folder}", params={"filename": name})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == DEFAULT_MODEL_METADATA[f"{folder}/{name}"]


def test_view_metadata_kohya_and_modelspec_values(sim):
    lora = sim.get("/view_metadata/loras", params={"filename": ADD_DETAIL}).json()
    assert lora["ss_base_model_version"] == "sd_v1"
    xl = sim.get("/view_metadata/loras", params={"filename": "SDXL/xl_more_art-full.safetensors"})
    assert xl.json()["modelspec.architecture"] == "stable-diffusion-xl-v1-base/lora"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/view_metadata/checkpoints", {}),  # no filename
        ("/view_metadata/checkpoints", {"filename": ""}),
        ("/view_metadata/checkpoints", {"filename": "SD15/dreamshaper_8.ckpt"}),  # not .safetensors
        ("/view_metadata/checkpoints", {"filename": "SD15/missing.safetensors"}),  # not there
        ("/view_metadata/checkpoints", {"filename": ADD_DETAIL}),  # a LoRA, not a checkpoint
        ("/view_metadata/checkpoints", {"filename": "../loras/" + ADD_DETAIL}),  # escape
        ("/view_metadata/checkpoints", {"filename": "SD15/../../loras/" + ADD_DETAIL}),
        ("/view_metadata/checkpoints", {"filename": "/loras/" + ADD_DETAIL}),  # absolute
        ("/view_metadata/checkpoints", {"filename": "ponyDiffusionV6XL.safetensors"}),  # none
        ("/view_metadata/checkpoints", {"filename": "sd15-demo.safetensors"}),  # none
        ("/view_metadata/nope", {"filename": DREAMSHAPER}),  # unknown folder
        ("/api/view_metadata/nope", {"filename": DREAMSHAPER}),
        ("/view_metadata/loras", {"filename": DREAMSHAPER}),
    ],
)
def test_view_metadata_404_cases_have_an_empty_body(sim, path, params):
    response = sim.get(path, params=params)
    assert (response.status_code, response.content) == (404, b"")


def test_view_metadata_reroots_names_like_comfyui(sim):
    # get_full_path re-roots the name under the folder: "/x" and "a/../x" mean "x" inside it.
    for name in ("/" + DREAMSHAPER, "SDXL/../" + DREAMSHAPER):
        response = sim.get("/view_metadata/checkpoints", params={"filename": name})
        assert response.status_code == 200 and response.json()["modelspec.title"] == "DreamShaper 8"


def _value_for_header_length(target: int) -> str:
    """A metadata value that makes the file's JSON header exactly `target` bytes long."""
    base = {"__metadata__": {"big": ""}}
    base.update({"sim.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})
    return "x" * (target - len(json.dumps(base, separators=(",", ":"))))


def test_view_metadata_refuses_headers_over_one_mib(sim):
    exact = _value_for_header_length(MAX_METADATA_HEADER)
    over = exact + "x"  # 1 MiB + 1, padded to 1 MiB + 8
    models = {"checkpoints": ["exact.safetensors", "over.safetensors"]}
    metadata = {
        "checkpoints/exact.safetensors": {"big": exact},
        "checkpoints/over.safetensors": {"big": over},
    }
    sim.configure(models=models, model_metadata=metadata)
    response = sim.get("/view_metadata/checkpoints", params={"filename": "exact.safetensors"})
    assert response.status_code == 200 and response.json() == {"big": exact}
    response = sim.get("/view_metadata/checkpoints", params={"filename": "over.safetensors"})
    assert (response.status_code, response.content) == (404, b"")


# --- /sim/config ----------------------------------------------------------------------------


def test_sim_config_models_and_metadata_rewrite_the_files(sim):
    config = sim.get("/sim/config").json()
    assert config["model_metadata"] == DEFAULT_MODEL_METADATA
    head = "bfs_head_v3_qwen_image_edit_2509.safetensors"
    loras = [*config["models"]["loras"], head, "Qwen/edit_extra.safetensors"]
    meta = {"loras/Qwen/edit_extra.safetensors": {"modelspec.architecture": "qwen-image-edit/lora"}}  # fmt: skip
    sim.configure(models={**config["models"], "loras": loras}, model_metadata=meta)
    assert sim.get("/models/loras").json() == sorted(loras)
    info = sim.get("/object_info/LoraLoaderModelOnly").json()
    assert _combo(info, "LoraLoaderModelOnly", "lora_name") == sorted(loras)
    extra = sim.get("/view_metadata/loras", params={"filename": "Qwen/edit_extra.safetensors"})
    assert extra.json() == {"modelspec.architecture": "qwen-image-edit/lora"}
    # The metadata mapping is replaced as a whole: the defaults' files now have none.
    assert sim.get("/view_metadata/loras", params={"filename": ADD_DETAIL}).status_code == 404
    assert sim.get("/view_metadata/loras", params={"filename": head}).status_code == 404

    sim.configure(models={"checkpoints": ["only.safetensors"]})
    assert sim.get("/models/loras").json() == []  # the files are gone, not only hidden
    assert sim.get("/view_metadata/loras", params={"filename": "Qwen/edit_extra.safetensors"}).status_code == 404  # fmt: skip
    sim.post("/sim/reset", json={}).raise_for_status()
    assert sim.get("/models/loras").json() == DEFAULT_MODELS["loras"]
    assert sim.get("/view_metadata/loras", params={"filename": ADD_DETAIL}).status_code == 200


@pytest.mark.parametrize(
    ("patch", "word"),
    [
        ({"models": {"checkpoints": ["../escape.safetensors"]}}, "relative"),
        ({"models": {"checkpoints": ["/abs.safetensors"]}}, "relative"),
        ({"models": {"checkpoints": ["a//b.safetensors"]}}, "relative"),
        ({"models": {"checkpoints": ["SD15", "SD15/x.safetensors"]}}, "under a file"),
        ({"models": {"../up": ["x.safetensors"]}}, "plain folder"),
        ({"model_metadata": []}, "model_metadata"),
        ({"model_metadata": {"checkpoints/x.safetensors": {"n": 1}}}, "model_metadata"),
        ({"model_metadata": {"x.safetensors": {}}}, "<folder>/<file>"),
        ({"model_metadata": {"checkpoints/../x.safetensors": {}}}, "relative"),
    ],
)
def test_sim_config_rejects_bad_model_names_and_metadata(sim, patch, word):
    response = sim.post("/sim/config", json=patch)
    assert response.status_code == 400 and word in response.json()["error"]
    assert sim.get("/models/checkpoints").json() == DEFAULT_MODELS["checkpoints"]


# --- what runs ------------------------------------------------------------------------------


def test_a_lora_visibly_changes_the_picture(sim):
    text = f"a lighthouse {tag()}"

    def picture(lora: str | None = None, strength: float = 1.0, model_only: bool = False):
        graph = t2i(text, seed=7, width=64, height=64, steps=1, prefix=tag())
        if lora:
            graph = _with_lora(graph, lora, strength, model_only)
        return _run(sim, graph).tobytes()

    plain = picture()
    with_detail = picture(ADD_DETAIL)
    assert with_detail != plain
    assert picture(ADD_DETAIL) == with_detail  # deterministic
    assert picture(ADD_DETAIL, 0.5) not in (plain, with_detail)  # the strength counts
    assert picture("SDXL/xl_more_art-full.safetensors") not in (plain, with_detail)
    assert picture(ADD_DETAIL, model_only=True) not in (plain, with_detail)


@pytest.mark.parametrize(("width", "height"), [(512, 512), (1024, 1024), (768, 512)])
def test_output_size_is_the_latent_size(sim, width, height):
    graph = t2i(f"size {tag()}", width=width, height=height, steps=1, prefix=tag())
    graph["4"]["inputs"]["ckpt_name"] = "SDXL/juggernautXL_v9.safetensors"
    graph = _with_lora(graph, "SDXL/xl_more_art-full.safetensors")
    assert _run(sim, graph).size == (width, height)


# --- in process -----------------------------------------------------------------------------


def _header(path) -> tuple[int, dict, int]:
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return length, json.loads(data[8 : 8 + length]), len(data) - 8 - length


def test_sync_writes_valid_safetensors_and_removes_stale_files(tmp_path):
    files = ModelFiles(tmp_path / "models")
    files.sync(
        {"checkpoints": ["SD15/a.safetensors", "b.safetensors"], "loras": ["x/y/z.safetensors"]},
        {"checkpoints/SD15/a.safetensors": {"modelspec.architecture": "stable-diffusion-v1"}},
    )
    length, header, data_bytes = _header(tmp_path / "models/checkpoints/SD15/a.safetensors")
    assert length % 8 == 0 and header["__metadata__"] == {"modelspec.architecture": "stable-diffusion-v1"}  # fmt: skip
    tensor = header["sim.weight"]
    assert tensor["dtype"] == "F32" and tensor["data_offsets"] == [0, data_bytes] == [0, 4]
    assert "__metadata__" not in _header(tmp_path / "models/checkpoints/b.safetensors")[1]
    assert files.listing() == {
        "checkpoints": ["SD15/a.safetensors", "b.safetensors"],
        "loras": ["x/y/z.safetensors"],
    }
    untouched = (tmp_path / "models/checkpoints/b.safetensors").stat().st_mtime_ns
    files.sync({"checkpoints": ["b.safetensors", "c.safetensors"]}, {})
    assert not (tmp_path / "models/checkpoints/SD15").exists()
    assert not (tmp_path / "models/loras").exists()
    assert (tmp_path / "models/checkpoints/b.safetensors").stat().st_mtime_ns == untouched
    assert files.list("checkpoints") == ["b.safetensors", "c.safetensors"]
    assert files.metadata("checkpoints", "b.safetensors") is None


def test_read_metadata_reads_only_a_header_of_at_most_one_mib(tmp_path):
    big = tmp_path / "big.safetensors"
    # A header length over the cap: refused without reading (the file is not even that long).
    big.write_bytes(struct.pack("<Q", MAX_METADATA_HEADER + 1) + b'{"__metadata__":{}}')
    assert read_metadata(big) is None
    ok = tmp_path / "ok.safetensors"
    ok.write_bytes(struct.pack("<Q", 23) + b'{"__metadata__":{"a":"b"}}'[:23] + b"garbage")
    assert read_metadata(ok) is None  # a cut header does not parse
    header = b'{"__metadata__":{"a":"b"}}'
    ok.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 4)
    assert read_metadata(ok) == {"a": "b"}


def test_default_config_and_validator_agree_on_subfolder_names():
    config = SimConfig()
    assert config.models == DEFAULT_MODELS and config.model_metadata == DEFAULT_MODEL_METADATA
    assert all(f"{k.split('/', 1)[1]}" in DEFAULT_MODELS[k.split("/", 1)[0]] for k in DEFAULT_MODEL_METADATA)  # fmt: skip
    info = with_file_lists(load_object_info(), DEFAULT_MODELS, [])
    graph = _with_lora(t2i("x"), ADD_DETAIL)
    graph["4"]["inputs"]["ckpt_name"] = DREAMSHAPER
    assert validate_prompt(graph, info)[0] is None
