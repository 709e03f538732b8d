"""Tool.validate: one test per kind of bad input, defaults, and form-style coercion."""

from __future__ import annotations

import pytest

from studio_core.errors import InvalidInput

EDIT_IMAGES = {"input": "upload-1"}


@pytest.mark.parametrize(
    ("tool_id", "raw", "field", "message"),
    [
        ("text_to_image", {"prompt": "x", "strength": 1}, "strength", "no parameter"),
        ("text_to_image", {"prompt": "x", "steps": "many"}, "steps", "whole number"),
        ("text_to_image", {"prompt": "x", "steps": True}, "steps", "whole number"),
        ("text_to_image", {"prompt": "x", "cfg": "nan"}, "cfg", "finite"),
        ("text_to_image", {"prompt": 42}, "prompt", "must be text"),
        ("text_to_image", {"prompt": "x", "steps": 999}, "steps", "at most 30"),
        ("text_to_image", {"prompt": "x", "cfg": 0.2}, "cfg", "at least 1.0"),
        ("text_to_image", {"prompt": "x", "seed": -2}, "seed", "at least -1"),
        ("text_to_image", {"prompt": "x", "seed": 2**53}, "seed", "at most"),
        ("text_to_image", {"prompt": "x" * 2001}, "prompt", "too long"),
        ("text_to_image", {"prompt": "x", "batch_size": 3}, "batch_size", "one of: 1, 2, 4"),
        ("text_to_image", {"prompt": "x", "aspect_ratio": "5:4"}, "aspect_ratio", "one of"),
        ("text_to_image", {"prompt": "x", "aspect_ratio": "keep"}, "aspect_ratio", "one of"),
        ("text_to_image_classic", {"prompt": "x", "sampler_name": "magic"}, "sampler_name", "one of"),
        ("text_to_image", {"prompt": "x", "model": "../../etc/passwd"}, "model", "not a valid"),
        ("text_to_image", {"prompt": "x", "model": "C:\\models\\a.safetensors"}, "model", "not a valid"),
        ("text_to_image", {}, "prompt", "required"),
        ("text_to_image", {"prompt": "   "}, "prompt", "required"),
        ("single_image_edit", {"prompt": "x"}, "input", "required"),
        ("single_image_edit", {"prompt": "x", "images": {"input": "u", "other": "v"}}, "other", "no image slot"),
        ("multi_image_blend", {"prompt": "x", "images": {"image_a": "u"}}, "image_b", "required"),
        ("multi_image_blend", {"prompt": "x", "images": ["image_a"]}, "images", "slot ids"),
    ],
)  # fmt: skip
def test_invalid_input_names_the_field(catalog, tool_id, raw, field, message):
    with pytest.raises(InvalidInput) as caught:
        catalog.get(tool_id).validate(raw)
    assert caught.value.field == field
    assert message in caught.value.message
    assert caught.value.status == 400


def test_defaults_are_filled(catalog):
    params = catalog.get("text_to_image").validate({"prompt": "a cat"})
    assert params == {
        "prompt": "a cat",
        "negative_prompt": "",
        "seed": -1,
        "aspect_ratio": "1:1",
        "batch_size": 1,
        "steps": 8,
        "cfg": 1.0,
        "model": "z_image_turbo_bf16.safetensors",
    }


def test_form_strings_are_coerced(catalog):
    raw = {"prompt": "x", "seed": "0", "batch_size": "4", "steps": "10", "cfg": "2.5"}
    params = catalog.get("text_to_image").validate(raw)
    assert (params["seed"], params["batch_size"], params["steps"], params["cfg"]) == (0, 4, 10, 2.5)


def test_images_given_in_raw_or_as_argument(catalog):
    tool = catalog.get("single_image_edit")
    assert "images" not in tool.validate({"prompt": "x", "images": EDIT_IMAGES})
    assert tool.validate({"prompt": "x"}, images=["input"])["aspect_ratio"] == "keep"


def test_optional_prompt_and_optional_slot(catalog):
    assert catalog.get("face_swap").validate({}, images=["face", "body"])["prompt"] == ""
    blend = catalog.get("multi_image_blend")
    assert blend.validate({"prompt": "x"}, images=["image_a", "image_b"])["prompt"] == "x"


def test_model_must_be_installed_when_the_list_is_known(catalog):
    tool = catalog.get("text_to_image_classic")
    installed = {"checkpoints": ["sd15/dreamshaper_8.safetensors", "anything.ckpt"]}
    with pytest.raises(InvalidInput) as caught:
        tool.validate({"prompt": "x", "model": "missing.safetensors"}, models_by_folder=installed)
    assert caught.value.field == "model"
    chosen = tool.validate({"prompt": "x", "model": "anything.ckpt"}, models_by_folder=installed)
    assert chosen["model"] == "anything.ckpt"
    # the default file is not installed: fall back to an installed one instead of failing later
    fallback = tool.validate({"prompt": "x"}, models_by_folder=installed)
    assert fallback["model"] == "anything.ckpt"
