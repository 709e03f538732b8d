"""read_workflow_file: API graphs from JSON, ComfyUI PNGs and WebPs; everything else refused
with a message that says what to upload instead."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from studio_core.errors import InvalidInput
from studio_core.importer import read_workflow_file
from studio_core.importer.files import MAX_FILE_BYTES, MAX_NODES
from tests.importer.conftest import graph, graph_bytes, png_with, webp_with


def refusal(filename: str, data: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_workflow_file(filename, data)
    assert caught.value.field == "file"
    return caught.value


def test_an_api_json_is_read_as_is():
    assert read_workflow_file("invert.json", graph_bytes("invert")) == graph("invert")


def test_a_saved_prompt_request_body_is_unwrapped():
    body = json.dumps({"prompt": graph("invert"), "client_id": "x"}).encode()
    assert read_workflow_file("request.json", body) == graph("invert")


def test_the_ui_format_is_refused_with_how_to_export_the_api_format():
    message = refusal("workflow.json", graph_bytes("ui_format")).message
    assert "UI format" in message
    assert "Export (API)" in message and "dev mode" in message


def test_a_png_from_comfyui_gives_its_prompt_chunk():
    data = png_with(
        {
            "prompt": json.dumps(graph("checkpoint_lora")),
            "workflow": graph_bytes("ui_format").decode(),
        }
    )
    assert read_workflow_file("ComfyUI_00001_.png", data) == graph("checkpoint_lora")


def test_a_png_with_only_the_ui_workflow_says_so():
    message = refusal("x.png", png_with({"workflow": graph_bytes("ui_format").decode()})).message
    assert "only the UI workflow" in message and "Export (API)" in message


def test_a_png_without_metadata_is_refused():
    assert "no ComfyUI workflow" in refusal("photo.png", png_with({"Software": "GIMP"})).message


def test_a_png_whose_prompt_is_not_json_is_refused():
    assert "not valid JSON" in refusal("x.png", png_with({"prompt": "{not json"})).message


def test_a_webp_from_comfyui_gives_its_exif_prompt():
    data = webp_with({0x0110: "prompt:" + json.dumps(graph("two_images")), 0x010F: "workflow:{}"})
    assert read_workflow_file("ComfyUI_00001_.webp", data) == graph("two_images")


def test_a_webp_with_the_prompt_under_make_is_read_too():
    data = webp_with({0x010F: "prompt:" + json.dumps(graph("invert"))})
    assert read_workflow_file("x.webp", data) == graph("invert")


def test_a_webp_with_only_the_workflow_or_nothing_is_refused():
    assert "only the UI workflow" in refusal("x.webp", webp_with({0x010F: "workflow:{}"})).message
    assert "no ComfyUI workflow" in refusal("x.webp", webp_with({0x0131: "GIMP"})).message


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("x.json", b"", "empty"),
        ("x.json", b"\xff\xfe not json", "neither JSON"),
        ("x.json", b"[1, 2]", "JSON object of nodes"),
        ("x.json", b"{}", "JSON object of nodes"),
        ("x.json", b'{"1": {"inputs": {}}}', "no class_type"),
        ("x.json", b'{"1": {"class_type": "X", "inputs": []}}', "'inputs' must be an object"),
        ("x.json", b'{"format": "comfyui-studio-tool", "manifest": {}}', "exported studio tool"),
        ("x.png", b"GIF89a not a png", "not a PNG or WebP"),
        ("x.png", b"\x89PNG\r\n\x1a\n broken", "cannot be read"),
    ],
)
def test_bad_files_are_refused_clearly(filename, data, words):
    assert words in refusal(filename, data).message


def test_sizes_are_bounded():
    assert "larger than 10 MB" in refusal("big.json", b" " * (MAX_FILE_BYTES + 1)).message
    many = {str(i): {"class_type": "ImageInvert", "inputs": {}} for i in range(MAX_NODES + 1)}
    assert f"at most {MAX_NODES}" in refusal("many.json", json.dumps(many).encode()).message


def test_a_compressed_international_text_chunk_is_read():
    g = graph("checkpoint_lora")
    g["6"]["inputs"]["text"] = "海邊的燈塔，黃昏"
    info = PngInfo()
    info.add_itxt("prompt", json.dumps(g, ensure_ascii=False), zip=True)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG", pnginfo=info)
    assert read_workflow_file("x.png", out.getvalue())["6"]["inputs"]["text"] == "海邊的燈塔，黃昏"


def test_nan_is_not_a_number_we_take():
    data = json.dumps(graph("checkpoint_lora")).replace('"cfg": 7.5', '"cfg": NaN').encode()
    assert "neither JSON" in refusal("x.json", data).message
