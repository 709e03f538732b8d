"""HTTP routes: paths (also under /api), status codes, bodies and content types (protocol §0-§1)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from comfyui_sim.config import DEFAULT_MODELS
from tests.graphs import empty_save
from tests.sim.helpers import tag

JSON = "application/json; charset=utf-8"


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_info_routes_and_api_prefix(sim, prefix):
    stats = sim.get(prefix + "/system_stats")
    assert stats.headers["Content-Type"] == JSON
    system = stats.json()["system"]
    assert system["simulator"] is True and system["comfyui_version"] == "0.3.64"
    assert stats.json()["devices"][0]["type"] == "cpu"
    assert sim.get(prefix + "/features").json() == {
        "supports_preview_metadata": True,
        "max_upload_size": 104857600,
    }
    assert sim.get(prefix + "/embeddings").json() == []
    assert sim.get(prefix + "/prompt").json() == {"exec_info": {"queue_remaining": 0}}
    assert sim.get(prefix + "/queue").json() == {"queue_running": [], "queue_pending": []}
    folders = sim.get(prefix + "/models").json()
    assert folders[:6] == [
        "checkpoints",
        "configs",
        "loras",
        "vae",
        "text_encoders",
        "diffusion_models",
    ]
    assert sim.get(prefix + "/models/checkpoints").json() == DEFAULT_MODELS["checkpoints"]
    assert sim.get(prefix + "/models/configs").json() == []
    missing = sim.get(prefix + "/models/nope")
    assert missing.status_code == 404 and missing.content == b""


def test_object_info_fills_model_and_input_lists(sim):
    name = f"oi-{tag()}.png"
    assert sim.upload(name, _png((8, 8), "red")).status_code == 200
    info = sim.get("/object_info").json()
    assert len(info) == 478
    assert (
        info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0]
        == DEFAULT_MODELS["checkpoints"]
    )
    assert (
        "z_image_turbo_bf16.safetensors" in info["UNETLoader"]["input"]["required"]["unet_name"][0]
    )
    assert info["VAELoader"]["input"]["required"]["vae_name"][0] == [
        "ae.safetensors",
        "qwen_image_vae.safetensors",
        "pixel_space",
    ]
    assert name in info["LoadImage"]["input"]["required"]["image"][0]
    assert info["SaveImage"]["output_node"] is True
    single = sim.get("/api/object_info/KSampler").json()
    assert list(single) == ["KSampler"] and single["KSampler"]["output"] == ["LATENT"]
    assert sim.get("/object_info/NoSuchNode").json() == {}


def test_models_follow_sim_config(sim):
    sim.configure(models={"checkpoints": ["only.safetensors"], "embeddings": ["neg.pt"]})
    assert sim.get("/models/checkpoints").json() == ["only.safetensors"]
    assert sim.get("/models/loras").json() == []
    assert sim.get("/embeddings").json() == ["neg"]
    info = sim.get("/object_info/CheckpointLoaderSimple").json()
    assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == [
        "only.safetensors"
    ]
    assert sim.get("/sim/config").json()["models"]["checkpoints"] == ["only.safetensors"]


def test_sim_config_rejects_unknown_keys(sim):
    assert sim.post("/sim/config", json={"nope": 1}).status_code == 400
    assert sim.post("/sim/config", json={"faults": {"explode": "1"}}).status_code == 400
    assert sim.post("/sim/config", json={"node_ms": -1}).status_code == 400
    body = sim.post("/sim/config", json={"faults": {"fail_at_node": "3"}}).json()
    assert body["faults"]["fail_at_node"] == "3"
    assert sim.post("/sim/reset").json()["faults"]["fail_at_node"] is None


@pytest.mark.parametrize("body", [b"{not json", b"a=1&b=2"])
def test_non_json_prompt_body_is_500_text(sim, body):
    response = sim.post("/prompt", data=body)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "500 Internal Server Error\n\nServer got itself in trouble"


def test_post_routes_answer_200_empty(sim):
    for path, body in [
        ("/queue", {"delete": ["nope"]}),
        ("/interrupt", {}),
        ("/history", {"delete": ["nope"]}),
        ("/free", {"unload_models": True}),
    ]:
        response = sim.post(path, json=body)
        assert response.status_code == 200 and response.content == b""
        assert "Content-Type" not in response.headers
    assert sim.post("/interrupt").status_code == 200  # no body at all


def _png(size, color, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_naming_rules(sim):
    folder = f"up-{tag()}"
    first = sim.upload("bench.png", _png((4, 4), "red"), subfolder=folder)
    assert first.json() == {"name": "bench.png", "subfolder": folder, "type": "input"}
    same = sim.upload("bench.png", _png((4, 4), "red"), subfolder=folder)
    assert same.json()["name"] == "bench.png"
    different = sim.upload("bench.png", _png((4, 4), "blue"), subfolder=folder)
    assert different.json()["name"] == "bench (1).png"
    again = sim.upload("bench.png", _png((4, 4), "blue"), subfolder=folder)
    assert again.json()["name"] == "bench (1).png"  # identical to the renamed copy
    overwritten = sim.upload("bench.png", _png((4, 4), "green"), subfolder=folder, overwrite="true")
    assert overwritten.json()["name"] == "bench.png"
    view = sim.get("/view", params={"filename": "bench.png", "subfolder": folder, "type": "input"})
    assert Image.open(io.BytesIO(view.content)).getpixel((0, 0)) == (0, 128, 0)
    temp = sim.upload(f"t-{tag()}.png", _png((4, 4), "red"), type="temp")
    assert temp.json()["type"] == "temp" and temp.json()["subfolder"] == ""


def test_upload_errors(sim):
    assert sim.post("/upload/image", data={"subfolder": "x"}).status_code == 400
    escape = sim.upload("x.png", _png((2, 2), "red"), subfolder="../..")
    assert escape.status_code == 400 and escape.content == b""


def test_view_rules(sim):
    prefix = f"view{tag()}/pic"
    sim.history(sim.submit(empty_save(prefix, 16, 8, color=0x112233)))
    name = f"{prefix.split('/')[1]}_00001_.png"
    sub = prefix.split("/")[0]
    ok = sim.get("/view", params={"filename": name, "subfolder": sub, "type": "output"})
    assert ok.status_code == 200 and ok.headers["Content-Type"] == "image/png"
    assert ok.headers["Content-Disposition"] == f'filename="{name}"'
    assert "ETag" in ok.headers and "Last-Modified" in ok.headers
    assert Image.open(io.BytesIO(ok.content)).size == (16, 8)
    assert sim.get("/api/view", params={"filename": name, "subfolder": sub}).content == ok.content
    assert sim.get("/view", params={"filename": f"{sub}/{name}"}).status_code == 404  # basename'd
    assert sim.get("/view", params={"filename": "nope.png"}).status_code == 404
    assert sim.get("/view").status_code == 404
    assert sim.get("/view", params={"filename": "../x.png"}).status_code == 400
    assert sim.get("/view", params={"filename": "/etc/passwd"}).status_code == 400
    assert sim.get("/view", params={"filename": name, "subfolder": "../.."}).status_code == 403
    webp = sim.get("/view", params={"filename": name, "subfolder": sub, "preview": "webp;50"})
    assert webp.headers["Content-Type"] == "image/webp" and webp.content[8:12] == b"WEBP"
    jpeg = sim.get("/view", params={"filename": name, "subfolder": sub, "preview": "jpeg;90"})
    assert jpeg.headers["Content-Type"] == "image/jpeg" and jpeg.content[:2] == b"\xff\xd8"
    rgb = Image.open(
        io.BytesIO(
            sim.get("/view", params={"filename": name, "subfolder": sub, "channel": "rgb"}).content
        )
    )
    assert rgb.mode == "RGB" and rgb.getpixel((0, 0)) == (0x11, 0x22, 0x33)
    alpha = Image.open(
        io.BytesIO(
            sim.get("/view", params={"filename": name, "subfolder": sub, "channel": "a"}).content
        )
    )
    assert alpha.mode == "RGBA" and alpha.getpixel((0, 0))[3] == 255


def test_view_annotated_and_input_type(sim):
    name = f"in-{tag()}.png"
    sim.upload(name, _png((3, 3), "red"))
    assert sim.get("/view", params={"filename": name, "type": "input"}).status_code == 200
    assert sim.get("/view", params={"filename": f"{name} [input]"}).status_code == 200
    assert sim.get("/view", params={"filename": name}).status_code == 404  # type defaults to output
    assert sim.get("/view", params={"filename": name, "type": "bogus"}).status_code == 400
