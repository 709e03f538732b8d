"""Issue 11 over HTTP: /api/models and /api/tools show model families and size classes, and
a generate request's size follows its model (stored as the literal that ran)."""

from __future__ import annotations

import pytest

from tests.backend.helpers import publish_engine, services, submit, token_client

SD15, SDXL = "SD15/dreamshaper_8.safetensors", "SDXL/juggernautXL_v9.safetensors"
FLUX, PLAIN = "flux1-dev-fp8.safetensors", "my_checkpoint.safetensors"
FAMILIES = {
    "checkpoints": {
        SD15: {"family": "sd15", "size_class": 512, "source": "metadata"},
        SDXL: {"family": "sdxl", "size_class": 1024, "source": "metadata"},
        FLUX: {"family": "flux", "size_class": 1024, "source": "filename"},
        PLAIN: {"family": "unknown", "size_class": None, "source": "unknown"},
    },
    "loras": {
        "SD15/detail.safetensors": {"family": "sd15", "size_class": 512, "source": "metadata"}
    },
}


@pytest.fixture
def engine(app):
    """An online engine with the catalog's files plus checkpoints of several families."""
    s = services(app)
    models: dict[str, set[str]] = {}
    for tool in s.catalog.tools:
        for folder, files in tool.required_models.items():
            models.setdefault(folder, set()).update(files)
    models["checkpoints"] |= {SD15, SDXL, FLUX, PLAIN}
    models["loras"] = {"SD15/detail.safetensors"}
    publish_engine(app, models={k: sorted(v) for k, v in models.items()}, families=FAMILIES)


def classic(client, **params):
    body = {"workflow": "text_to_image_classic", "params": {"prompt": "a cat", **params}}
    return submit(client, body)


def tool_param(client, tool_id, param_id):
    tools = {t["id"]: t for t in client.get("/api/tools?lang=en").get_json()["tools"]}
    return next(p for p in tools[tool_id]["parameters"] if p["id"] == param_id)


def test_api_models_lists_families(client, engine):
    body = client.get("/api/models").get_json()
    assert body["families"]["checkpoints"][SD15] == FAMILIES["checkpoints"][SD15]
    assert body["families"]["loras"] == FAMILIES["loras"]
    assert SD15 in body["models"] and SD15 in body["by_folder"]["checkpoints"]  # old fields


def test_api_tools_shows_families_size_classes_and_custom(client, engine):
    model = tool_param(client, "text_to_image_classic", "model")
    assert FLUX not in model["choices"] and {SD15, SDXL, PLAIN} <= set(model["choices"])
    assert model["families"][SD15]["size_class"] == 512 and FLUX not in model["families"]
    aspect = tool_param(client, "text_to_image_classic", "aspect_ratio")
    assert {"id": "1:1", "width": 512, "height": 512} in aspect["size_classes"]["512"]
    assert {"id": "1:1", "width": 768, "height": 768} in aspect["size_classes"]["768"]
    assert aspect["presets"][0] == {"id": "1:1", "width": 1024, "height": 1024}  # kept
    assert aspect["custom"] == {"step": 8, "min": 64, "max": 2048, "max_pixels": 2359296}
    z_image = tool_param(client, "text_to_image", "aspect_ratio")
    assert z_image["custom"]["step"] == 16 and "size_classes" not in z_image


@pytest.mark.parametrize(
    ("model", "ratio", "stored"),
    [(SD15, "1:1", "512x512"), (SD15, "2:3", "512x768"), (SDXL, "1:1", "1024x1024"),
     (PLAIN, "16:9", "1344x768"), (SDXL, "768x512", "768x512")],
)  # fmt: skip
def test_submit_resolves_the_size_from_the_model(client, engine, model, ratio, stored):
    answer = classic(client, model=model, aspect_ratio=ratio)
    assert answer.status_code == 202, answer.get_json()
    job = client.get(f"/api/jobs/{answer.get_json()['job_id']}").get_json()
    assert job["aspect_ratio"] == stored and job["params"]["aspect_ratio"] == stored
    assert job["model"] == model


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"aspect_ratio": "770x512"}, "aspect_ratio", "multiples of 8"),
        ({"aspect_ratio": "2048x2048"}, "aspect_ratio", "at most 2359296"),
        ({"aspect_ratio": "4096x64"}, "aspect_ratio", "between 64 and 2048"),
        ({"model": FLUX}, "model", "does not fit this tool"),
        ({"model": "SD15/missing.safetensors"}, "model", "not installed"),
    ],
)
def test_submit_refuses_sizes_and_models(client, engine, params, field, message):
    answer = classic(client, **params)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["field"] == field and message in error["message"], error


def test_max_pixels_setting(make_app):
    app = make_app(max_pixels=512 * 512)
    publish_engine(app)
    client = token_client(app)
    assert classic(client, aspect_ratio="512x512").status_code == 202
    refused = classic(client, aspect_ratio="512x520").get_json()["error"]
    assert refused["field"] == "aspect_ratio" and "at most 262144" in refused["message"]
    # the class size of a ratio counts too: SDXL's 1:1 is over this cap
    refused = classic(client, aspect_ratio="1:1").get_json()["error"]
    assert refused["field"] == "aspect_ratio"
    assert tool_param(client, "text_to_image_classic", "aspect_ratio")["custom"]["max_pixels"] == (
        512 * 512
    )
