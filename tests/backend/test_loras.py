"""Issue 11 LoRAs over HTTP: POST /api/generate takes a LoRA list (JSON body or multipart form),
refuses a bad one naming the field, stores it with the job for a remix; GET /api/tools shows the
installed LoRAs and face_swap's optional head-swap LoRA."""

from __future__ import annotations

import json

import pytest

from tests.backend.helpers import publish_engine, submit
from tests.openapi_contract import DOC, response_problems, schema_problems

HEAD = "bfs_head_v3_qwen_image_edit_2509.safetensors"
LIGHTNING = "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors"
ENGINE_LORAS = [LIGHTNING, "SD15/style.safetensors", "detail.safetensors"]
LORAS = [{"name": "SD15/style.safetensors", "strength": 0.6}, {"name": "detail.safetensors"}]
STORED = [
    {"name": "SD15/style.safetensors", "strength": 0.6},
    {"name": "detail.safetensors", "strength": 1.0},
]


def engine_with_loras(app, loras=ENGINE_LORAS):
    publish_engine(
        app,
        models={
            "checkpoints": ["sd_xl_base_1.0.safetensors"],
            "diffusion_models": ["qwen_image_edit_2509_fp8_e4m3fn.safetensors"],
            "text_encoders": ["qwen_2.5_vl_7b_fp8_scaled.safetensors"],
            "vae": ["qwen_image_vae.safetensors"],
            "loras": loras,
        },
    )


def classic(**params):
    return {"workflow": "text_to_image_classic", "prompt": "a fox", "params": params}


def tools(client, lang="en"):
    resp = client.get(f"/api/tools?lang={lang}")
    assert not response_problems("GET", "/api/tools", 200, resp.mimetype, resp.get_json())
    return {t["id"]: t for t in resp.get_json()["tools"]}


def test_a_lora_list_is_stored_with_the_job_and_comes_back_for_a_remix(client, app):
    engine_with_loras(app)
    resp = submit(client, classic(loras=LORAS, seed=11))
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()["job"]
    assert job["params"]["loras"] == STORED
    shown = client.get(f"/api/jobs/{job['job_id']}").get_json()
    assert shown["params"]["loras"] == STORED and shown["seed"] == 11
    # a remix sends back what the job shows
    again = submit(client, {"workflow": shown["tool"], "params": shown["params"]})
    assert again.status_code == 202, again.get_json()
    remixed = again.get_json()["job"]
    assert remixed["params"] == shown["params"] and remixed["job_id"] != job["job_id"]


@pytest.mark.parametrize("encoded", [False, True])
def test_a_multipart_form_sends_the_list_in_params(client, app, encoded):
    engine_with_loras(app)
    value = json.dumps(LORAS) if encoded else LORAS  # a form may JSON-encode each value
    data = {
        "workflow": "text_to_image_classic",
        "prompt": "a fox",
        "params": json.dumps({"loras": value, "steps": "12"}),
    }
    resp = client.post("/api/generate", data=data, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["job"]["params"]["loras"] == STORED


def test_without_loras_the_job_records_an_empty_list(client, app):
    engine_with_loras(app)
    resp = submit(client, classic())
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["job"]["params"]["loras"] == []


@pytest.mark.parametrize(
    ("loras", "field", "message"),
    [
        ([{"name": "missing.safetensors"}], "loras.0.name", "not installed"),
        ([{"name": "style.safetensors"}], "loras.0.name", "not installed"),  # it is in SD15/
        ([{"name": "../detail.safetensors"}], "loras.0.name", "not a valid"),
        ([*LORAS, {"name": "SD15/style.safetensors"}], "loras.2.name", "listed twice"),
        ([{"name": "detail.safetensors", "strength": 3}], "loras.0.strength", "at most 2.0"),
        ([{"name": "detail.safetensors", "strength": "lots"}], "loras.0.strength", "a number"),
        ([{"name": "detail.safetensors", "clip": 1}], "loras.0.clip", "no field"),
        ([{"name": f"{n}.safetensors"} for n in range(5)], "loras", "at most 4"),
        ({"name": "detail.safetensors"}, "loras", "must be a list"),
        ("detail.safetensors", "loras", "must be a list"),
    ],
)
def test_a_bad_lora_list_is_a_400_naming_the_field(client, app, loras, field, message):
    engine_with_loras(app)
    resp = submit(client, classic(loras=loras))
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["field"] == field and message in error["message"]
    assert client.get("/api/jobs").get_json()["jobs"] == []  # nothing recorded


def test_a_tool_without_a_loras_parameter_refuses_them(client, app):
    engine_with_loras(app)
    resp = submit(client, {"workflow": "text_to_image", "prompt": "x", "params": {"loras": []}})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "loras"


def test_tools_show_the_installed_loras_and_the_optional_head_lora(client, app):
    offline = tools(client)
    loras = next(p for p in offline["text_to_image_classic"]["parameters"] if p["id"] == "loras")
    assert "choices" not in loras  # no engine: nothing is known to be installed
    assert (loras["folder"], loras["max_items"], loras["min"], loras["max"]) == (
        "loras", 4, -2.0, 2.0,
    )  # fmt: skip
    assert offline["face_swap"]["optional_loras"][0]["installed"] is None

    engine_with_loras(app)
    listed = tools(client)
    loras = next(p for p in listed["text_to_image_classic"]["parameters"] if p["id"] == "loras")
    assert loras["choices"] == sorted(ENGINE_LORAS)
    assert listed["face_swap"]["optional_loras"] == [
        {"file": HEAD, "label": listed["face_swap"]["optional_loras"][0]["label"],
         "installed": False}
    ]  # fmt: skip
    assert listed["face_swap"]["availability"]["status"] == "ready"  # never blocks the tool
    assert all(t["optional_loras"] == [] for k, t in listed.items() if k != "face_swap")

    engine_with_loras(app, [*ENGINE_LORAS, f"Qwen_Edit/{HEAD}"])
    face = tools(client, "zh-TW")["face_swap"]
    assert face["optional_loras"][0]["installed"] is True
    assert "bfs_head_v3" in face["optional_loras"][0]["label"]


def test_the_documented_shapes_hold_the_lora_fields():
    """The schemas say what the tests above see (and refuse what the API never sends)."""
    entry = {"$ref": "#/components/schemas/LoraEntry"}
    assert schema_problems(entry, STORED[0]) == []
    assert schema_problems(entry, {"name": "a", "strength": 1, "clip": 1}) != []
    optional = DOC["components"]["schemas"]["OptionalLora"]
    assert schema_problems(optional, {"file": HEAD, "label": "x", "installed": None}) == []
    assert schema_problems(optional, {"file": HEAD, "label": "x", "installed": "yes"}) != []
    wrong = {"tools": [{"parameters": [{"id": "loras", "type": "loras", "folder": "loras"}]}]}
    assert response_problems("GET", "/api/tools", 200, "application/json", wrong) != []
