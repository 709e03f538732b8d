"""POST /api/graph/params: a ComfyUI graph (from a PNG's `prompt` chunk) back into a tool's
form, for any signed-in user."""

from __future__ import annotations

import json

import pytest

from backend.api.graph import MAX_BODY_BYTES
from tests.importer.conftest import graph

URL = "/api/graph/params"


def test_a_stranger_gets_401(anon_client):
    response = anon_client.post(URL, json={"graph": graph("checkpoint_lora")})
    assert response.status_code == 401


def test_a_plain_user_gets_the_mapped_parameters(user_client):
    response = user_client["a"].post(URL, json={"graph": graph("checkpoint_lora")})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["tool"] == "text_to_image_classic"
    assert body["params"]["prompt"] == "a lighthouse on a cliff at dusk"
    assert body["params"]["seed"] == 156680208700286
    assert {"prompt", "negative_prompt", "seed", "steps", "cfg"} <= set(body["matched"])
    assert "denoise=1.0" in body["unmatched"]


def test_a_named_tool_is_used(client):
    response = client.post(URL, json={"graph": graph("gguf"), "tool": "text_to_image"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["tool"], body["params"]["prompt"]) == ("text_to_image", "a watercolor harbour")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "graph", "JSON object of nodes"),
        ({"graph": []}, "graph", "JSON object of nodes"),
        ({"graph": graph("ui_format")}, "graph", "Export (API)"),
        ({"graph": {"1": {"inputs": {}}}}, "graph", "no class_type"),
        ({"graph": graph("invert"), "tool": "nope"}, "tool", "unknown tool"),
        ({"graph": graph("invert"), "tool": 3}, "tool", "tool id"),
        ({"graph": graph("invert")}, "tool", "no tool looks like this graph"),
        ({"graph": graph("invert"), "extra": 1}, "extra", "unknown field"),
    ],
)
def test_bad_bodies_are_400_with_the_field(client, body, field, words):
    response = client.post(URL, json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.get("field") == field and words in error["message"]


def test_not_json_and_too_large_bodies(client):
    assert client.post(URL, data="graph", content_type="text/plain").status_code == 415
    assert client.post(URL, data="[1", content_type="application/json").status_code == 400
    huge = json.dumps({"graph": graph("invert"), "pad": "x" * MAX_BODY_BYTES})
    response = client.post(URL, data=huge, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
