"""Validation (protocol §4.1): error shapes over HTTP, and the reusable validate_prompt."""

from __future__ import annotations

import pytest
import websocket

from comfy_schema.validation import validate_prompt
from comfyui_sim.config import DEFAULT_MODELS
from tests.graphs import empty_save, t2i
from tests.sim.helpers import tag

TOP = {"type", "message", "details", "extra_info"}


def node_error(info, prompt, node_id="1", input_exists=None):
    error, node_errors, good = validate_prompt(prompt, info, input_exists)
    assert error["type"] == "prompt_outputs_failed_validation" and set(error) == TOP
    assert good == []
    return error, node_errors[node_id]


def test_no_prompt_and_invalid_prompt_over_http(sim):
    no_prompt = sim.post("/prompt", json={"client_id": "x"})
    assert no_prompt.status_code == 400
    assert no_prompt.json() == {
        "error": {
            "type": "no_prompt",
            "message": "No prompt provided",
            "details": "No prompt provided",
            "extra_info": {},
        },
        "node_errors": {},
    }
    unknown = sim.post(
        "/prompt", json={"prompt": {"1": {"class_type": "NoSuchNode", "inputs": {}}}}
    ).json()
    assert unknown["error"] == {
        "type": "invalid_prompt",
        "message": "Cannot execute because node NoSuchNode does not exist.",
        "details": "Node ID '#1'",
        "extra_info": {},
    }
    missing = sim.post("/prompt", json={"prompt": {"1": {"inputs": {}}}}).json()
    assert (
        missing["error"]["message"]
        == "Cannot execute because a node is missing the class_type property."
    )
    empty = sim.post("/prompt", json={"prompt": {}})
    assert empty.status_code == 400 and empty.json()["error"]["type"] == "prompt_no_outputs"
    no_output = {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0},
        }
    }
    assert (
        sim.post("/prompt", json={"prompt": no_output}).json()["error"]["message"]
        == "Prompt has no outputs"
    )


def test_failed_validation_over_http_sends_nothing_on_ws(sim):
    client_id = f"val-{tag()}"
    client = sim.ws(client_id)
    graph = empty_save("x")
    del graph["1"]["inputs"]["color"]
    response = sim.post("/prompt", json={"prompt": graph, "client_id": client_id})
    assert response.status_code == 400
    assert response.json()["node_errors"] == {
        "1": {
            "errors": [
                {
                    "type": "required_input_missing",
                    "message": "Required input is missing",
                    "details": "color",
                    "extra_info": {"input_name": "color"},
                }
            ],
            "dependent_outputs": ["2"],
            "class_type": "EmptyImage",
        }
    }
    assert response.json()["error"]["details"] == ""
    with pytest.raises(websocket.WebSocketTimeoutException):
        client.recv(timeout=0.2)
    client.close()


def test_range_errors_list_every_failure(info):
    graph = empty_save("x", width=99999, height=0)
    _, err = node_error(info, graph)
    kinds = {e["type"]: e for e in err["errors"]}
    assert kinds["value_bigger_than_max"]["message"] == "Value 99999 bigger than max of 16384"
    assert kinds["value_bigger_than_max"]["extra_info"] == {
        "input_name": "width",
        "input_config": ["INT", {"default": 512, "max": 16384, "min": 1, "step": 1}],
        "received_value": 99999,
    }
    assert kinds["value_smaller_than_min"]["message"] == "Value 0 smaller than min of 1"
    assert err["dependent_outputs"] == ["2"] and err["class_type"] == "EmptyImage"


def test_type_conversion_and_coercion(info):
    graph = empty_save("x", width="abc")
    _, err = node_error(info, graph)
    assert err["errors"][0]["type"] == "invalid_input_type"
    assert err["errors"][0]["message"] == "Failed to convert an input value to a INT value"
    assert (
        err["errors"][0]["details"] == "width, abc, invalid literal for int() with base 10: 'abc'"
    )
    ok = empty_save("x", width="8", height=8.7)
    assert validate_prompt(ok, info)[0] is None
    assert ok["1"]["inputs"]["width"] == 8 and ok["1"]["inputs"]["height"] == 8  # coerced in place


def test_v1_combo_checked_v3_combo_not(info):
    graph = empty_save("x")
    graph["3"] = {
        "class_type": "ImageScale",
        "inputs": {
            "image": ["1", 0],
            "upscale_method": "magic",
            "width": 8,
            "height": 8,
            "crop": "disabled",
        },
    }
    graph["2"]["inputs"]["images"] = ["3", 0]
    _, err = node_error(info, graph, "3")
    assert err["errors"][0]["type"] == "value_not_in_list"
    assert (
        err["errors"][0]["details"]
        == "upscale_method: 'magic' not in ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']"
    )
    blend = empty_save("x")
    blend["3"] = {
        "class_type": "ImageBlend",
        "inputs": {
            "image1": ["1", 0],
            "image2": ["1", 0],
            "blend_factor": 0.5,
            "blend_mode": "nope",
        },
    }
    blend["2"]["inputs"]["images"] = ["3", 0]
    assert validate_prompt(blend, info) == (None, {}, ["2"])


def test_model_combo_uses_filled_lists(info):
    graph = t2i("cat")
    assert validate_prompt(graph, info)[0] is None
    graph["4"]["inputs"]["ckpt_name"] = "missing.safetensors"
    _, err = node_error(info, graph, "4")
    assert (
        err["errors"][0]["details"]
        == f"ckpt_name: 'missing.safetensors' not in {DEFAULT_MODELS['checkpoints']}"
    )
    assert err["dependent_outputs"] == ["9"]


def test_load_image_custom_validation(info):
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "no_such_file.png"}},
        "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
    }
    _, err = node_error(info, graph, input_exists=lambda name: False)
    assert err["errors"] == [
        {
            "type": "custom_validation_failed",
            "message": "Custom validation failed for node",
            "details": "image - Invalid image file: no_such_file.png",
            "extra_info": {"input_name": "image"},
        }
    ]
    seen = []
    assert validate_prompt(graph, info, lambda name: seen.append(name) or True)[0] is None
    assert seen == ["no_such_file.png"]  # not checked against the combo list
    assert validate_prompt(graph, info, None)[0] is None  # no file check without input_exists


def test_link_to_missing_node_and_type_mismatch(info):
    graph = empty_save("x")
    graph["2"]["inputs"]["images"] = ["99", 0]
    error, err = node_error(info, graph, "2")
    assert error["details"] == "Exception when validating node: '99'"
    assert err["errors"][0]["type"] == "exception_during_validation"
    assert err["errors"][0]["extra_info"]["exception_type"] == "KeyError"
    mask = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "top.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 1], "filename_prefix": "x"}},
    }
    error, err = node_error(info, mask, "2")
    assert (
        error["details"]
        == "Return type mismatch between linked nodes: images, received_type(MASK) mismatch input_type(IMAGE)"
    )
    assert err["errors"][0]["extra_info"] == {
        "input_name": "images",
        "input_config": ["IMAGE", {}],
        "received_type": "MASK",
        "linked_node": ["1", 1],
    }


def test_partial_validity_runs_valid_branch(sim):
    client_id = f"partial-{tag()}"
    client = sim.ws(client_id)
    graph = empty_save(f"partial{tag()}")
    graph["3"] = {
        "class_type": "ImageScale",
        "inputs": {
            "image": ["1", 0],
            "upscale_method": "magic",
            "width": 8,
            "height": 8,
            "crop": "disabled",
        },
    }
    graph["4"] = {
        "class_type": "SaveImage",
        "inputs": {"images": ["3", 0], "filename_prefix": "never"},
    }
    response = sim.post("/prompt", json={"prompt": graph, "client_id": client_id}).json()
    assert list(response["node_errors"]) == ["3"]
    assert response["node_errors"]["3"]["dependent_outputs"] == ["4"]
    frames = client.until_done(response["prompt_id"])
    assert any(f["type"] == "execution_success" for f in frames)
    assert sim.history(response["prompt_id"])["prompt"][4] == ["2"]
    client.close()


def test_partial_execution_targets(sim):
    graph = empty_save(f"pet{tag()}")
    graph["3"] = {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}
    prompt_id = sim.submit(graph, partial_execution_targets=["3"])
    entry = sim.history(prompt_id)
    assert entry["prompt"][4] == ["3"] and list(entry["outputs"]) == ["3"]
