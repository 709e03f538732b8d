"""Reading a workflow file an admin uploads: an API-format graph from JSON, PNG or WebP.

ComfyUI writes the graph it ran ("API format": `{node_id: {"class_type", "inputs"}}`) into
every image it saves: SaveImage as a PNG text chunk `prompt`, SaveAnimatedWEBP / SaveWEBM as
an EXIF string `prompt:<json>` (tag 0x0110 Model; the UI workflow goes from 0x010f Make down).
The UI's own format (`{"nodes": [...], "links": [...]}`) keeps widget values by position only,
so it cannot be read without the node definitions' exact widget order: we refuse it and say
how to export the API format instead.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from PIL import Image, UnidentifiedImageError

from studio_core.errors import InvalidInput

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NODES = 500
MAX_PIXELS = 64_000_000  # a PNG's text can sit after its pixels; never decode a bomb to reach it
EXPORT_HINT = (
    "In ComfyUI, open Settings and turn on the dev mode options, then use Workflow -> "
    "Export (API) (older menus: 'Save (API Format)') and upload that .json file, or upload "
    "a PNG or WebP image ComfyUI saved with this workflow."
)
FIELD = "file"


def read_workflow_file(filename: str, data: bytes) -> dict:
    """The API-format graph in an uploaded .json, ComfyUI .png or .webp (InvalidInput otherwise)."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InvalidInput("the file is empty", field=FIELD)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", field=FIELD
        )
    name = (filename or "").lower()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        graph = _from_png(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        graph = _from_webp(data)
    elif name.endswith((".png", ".webp")):
        raise InvalidInput(f"{filename} is not a PNG or WebP image", field=FIELD)
    else:
        graph = _from_json(data)
    logger.info("workflow read file=%s nodes=%s", filename, len(graph))
    return graph


def as_api_graph(value: Any, field: str = FIELD) -> dict:
    """`value` if it is an API-format graph within the size bounds, else InvalidInput(field)."""
    if isinstance(value, dict) and isinstance(value.get("nodes"), list) and "links" in value:
        raise InvalidInput(
            "this is a ComfyUI workflow in the UI format (nodes and links), which holds no "
            f"input names. {EXPORT_HINT}",
            field=field,
        )
    if isinstance(value, dict) and value.get("format") == "comfyui-studio-tool":
        raise InvalidInput(
            "this is an exported studio tool: import it as a tool, not as a workflow", field=field
        )
    if not isinstance(value, dict) or not value:
        raise InvalidInput(
            "the workflow must be a JSON object of nodes ({id: {class_type, inputs}})",
            field=field,
        )
    if len(value) > MAX_NODES:
        raise InvalidInput(
            f"the workflow has {len(value)} nodes, at most {MAX_NODES} are accepted", field=field
        )
    for node_id, node in value.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise InvalidInput(
                f"node {node_id!r} has no class_type: this is not an API-format workflow. "
                f"{EXPORT_HINT}",
                field=field,
            )
        if not isinstance(node.get("inputs", {}), dict):
            raise InvalidInput(f"node {node_id!r}: 'inputs' must be an object", field=field)
    return {
        node_id: {**node, "inputs": dict(node.get("inputs", {}))} for node_id, node in value.items()
    }


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which no browser or database takes back
    raise ValueError(f"{name} is not a JSON number")


def _from_json(data: bytes) -> dict:
    try:
        value = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInput(
            "the file is neither JSON nor a PNG/WebP image from ComfyUI", field=FIELD
        ) from None
    # A saved /prompt request body carries the graph under "prompt".
    if (
        isinstance(value, dict)
        and isinstance(value.get("prompt"), dict)
        and "class_type" not in value.get("prompt", {})
    ):
        value = value["prompt"]
    return as_api_graph(value)


def _parse_embedded(text: str, where: str) -> dict:
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput(
            f"the {where} holds a 'prompt' that is not valid JSON", field=FIELD
        ) from None
    return as_api_graph(value)


def _open_image(data: bytes, kind: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(f"the {kind} image cannot be read", field=FIELD) from None
    if image.width * image.height > MAX_PIXELS:
        raise InvalidInput(f"the {kind} image is too large to read its metadata", field=FIELD)
    return image


def _from_png(data: bytes) -> dict:
    image = _open_image(data, "PNG")
    with image:
        texts = dict(image.info)
        if "prompt" not in texts:
            try:
                texts.update(image.text)  # chunks after the pixel data need a full load
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
                raise InvalidInput("the PNG image is damaged", field=FIELD) from None
    prompt = texts.get("prompt")
    if isinstance(prompt, str):
        return _parse_embedded(prompt, "PNG")
    if "workflow" in texts:
        raise InvalidInput(
            f"this PNG carries only the UI workflow, not the API-format graph. {EXPORT_HINT}",
            field=FIELD,
        )
    raise InvalidInput(
        "this PNG carries no ComfyUI workflow (no 'prompt' text chunk): upload an image "
        "saved by ComfyUI's Save Image node with metadata on",
        field=FIELD,
    )


def _from_webp(data: bytes) -> dict:
    image = _open_image(data, "WebP")
    with image:
        try:
            exif = image.getexif()
        except (OSError, ValueError, SyntaxError):
            raise InvalidInput("the WebP image's EXIF data is damaged", field=FIELD) from None
        values = [v for v in exif.values() if isinstance(v, (str, bytes))]
    texts = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]
    for text in texts:
        if text.startswith("prompt:"):
            return _parse_embedded(text[len("prompt:") :], "WebP")
    if any(text.startswith("workflow:") for text in texts):
        raise InvalidInput(
            f"this WebP carries only the UI workflow, not the API-format graph. {EXPORT_HINT}",
            field=FIELD,
        )
    raise InvalidInput(
        "this WebP carries no ComfyUI workflow (no EXIF 'prompt:'): upload an image saved by "
        "ComfyUI's Save Animated WEBP node with metadata on",
        field=FIELD,
    )
