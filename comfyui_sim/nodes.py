"""What each node class computes, symbolically.

Every class in the schema runs: outputs are derived from inputs by type (IMAGE / LATENT /
MASK become `Pixels`, CONDITIONING carries its prompt text, models are `Token`s). A few
classes have their own rules (LoadImage reads the file, EmptyImage is a solid colour,
SaveImage / PreviewImage write PNGs, scaling nodes change the size, SetLatentNoiseMask
limits what the next sampler repaints to its mask, as inpainting does).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image, ImageOps

from comfy_schema.object_info import is_output_node, iter_inputs, v3_combo_options
from comfyui_sim.folders import Folders, save_image_path
from comfyui_sim.images import Pixels, encode_png, render

PIXEL_KINDS = ("IMAGE", "LATENT", "MASK")
# Nodes that move pixels around without changing what they show.
_PASSTHROUGH = {
    "VAEDecode",
    "VAEEncode",
    "VAEDecodeTiled",
    "VAEEncodeTiled",
    "ImageScale",
    "ImageScaleBy",
    "ImageScaleToTotalPixels",
    "LatentUpscale",
    "LatentUpscaleBy",
    "ImageCrop",
    "RepeatLatentBatch",
    "RepeatImageBatch",
    "ImageBatch",
    "LatentFromBatch",
    "ImageFromBatch",
    "MaskToImage",
}
_REPEATERS = {"RepeatLatentBatch", "RepeatImageBatch"}
_CONCATENATORS = {"ImageBatch", "LatentBatch"}
# LoadImage's MASK for an image without alpha: a 64x64 zero mask, whatever the image's size.
_NO_ALPHA_MASK = (64, 64)
# PreviewImage.__init__'s alphabet, typo included.
_TEMP_LETTERS = "abcdefghijklmnopqrstupvxyz"


@dataclass(frozen=True)
class Token:
    """A non-pixel value: a model, a CLIP, a conditioning (with its text), sigmas (with steps)."""

    kind: str
    fingerprint: str
    label: str = ""
    steps: int = 0
    images: tuple[Pixels, ...] = field(default=(), compare=False)


@dataclass
class NodeContext:
    """What a node sees besides its inputs."""

    node_id: str
    class_type: str
    info: dict[str, Any]
    signature: str
    folders: Folders
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    node_object: dict[str, Any]  # lives as long as ComfyUI's cached node object


NodeResult = tuple[tuple[Any, ...], dict[str, Any] | None]


def check_v3_combos(info: dict[str, Any], inputs: dict[str, Any]) -> None:
    """V3 nodes check their combo values only when they run (ValueError, like ImageBlend)."""
    for name, _, spec in iter_inputs(info):
        options = v3_combo_options(spec)
        if options and name in inputs and inputs[name] not in options:
            raise ValueError(f"Unsupported {name.replace('_', ' ')}: {inputs[name]}")


def sampler_steps(info: dict[str, Any], inputs: dict[str, Any]) -> int:
    """Sampling steps a node reports progress for (0 for plain nodes)."""
    if "LATENT" not in info["output"]:
        return 0
    if isinstance(inputs.get("steps"), int):
        steps = inputs["steps"]
        if isinstance(inputs.get("end_at_step"), int):  # KSamplerAdvanced
            steps = min(steps, inputs["end_at_step"]) - int(inputs.get("start_at_step", 0))
        return max(steps, 0)
    sigmas = next((v for v in inputs.values() if isinstance(v, Token) and v.kind == "SIGMAS"), None)
    return sigmas.steps if sigmas else 0


def compute(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    """Run one node: its output values and its UI dict (None when it shows nothing)."""
    check_v3_combos(ctx.info, inputs)
    handler = _HANDLERS.get(ctx.class_type)
    if handler is not None:
        return handler(ctx, inputs)
    outputs = tuple(
        _generic_output(ctx, inputs, kind, i) for i, kind in enumerate(ctx.info["output"])
    )
    ui = _generic_ui(ctx, inputs) if is_output_node(ctx.info) else None
    return outputs, ui


def _pixels_inputs(inputs: dict[str, Any]) -> list[Pixels]:
    return [v for v in inputs.values() if isinstance(v, Pixels)]


def _target_size(inputs: dict[str, Any], src: Pixels | None) -> tuple[int, int]:
    width, height = (src.width, src.height) if src else (512, 512)
    w, h = inputs.get("width"), inputs.get("height")
    if isinstance(w, int) and isinstance(h, int):
        if w == 0 and h == 0:
            w, h = width, height
        elif w == 0:
            w = round(width * h / max(height, 1))
        elif h == 0:
            h = round(height * w / max(width, 1))
        width, height = w, h
    if isinstance(inputs.get("scale_by"), float):
        width, height = round(width * inputs["scale_by"]), round(height * inputs["scale_by"])
    if isinstance(inputs.get("megapixels"), float):
        scale = math.sqrt(inputs["megapixels"] * 1024 * 1024 / max(width * height, 1))
        width, height = round(width * scale), round(height * scale)
    return max(width, 1), max(height, 1)


def _generic_output(ctx: NodeContext, inputs: dict[str, Any], kind: Any, index: int) -> Any:
    fingerprint = f"{ctx.signature}:{index}"
    if kind in PIXEL_KINDS:
        return _generic_pixels(ctx, inputs, kind, fingerprint)
    if kind in ("INT", "FLOAT", "STRING", "BOOLEAN"):
        return _generic_primitive(ctx, inputs, kind, index)
    texts = [v for v in inputs.values() if isinstance(v, str)]
    if kind == "CONDITIONING":
        upstream = [v.label for v in inputs.values() if isinstance(v, Token) and v.kind == kind]
        images = tuple(p for p in _pixels_inputs(inputs) if p.kind == "IMAGE")
        return Token(kind, fingerprint, " ".join([*texts[:1], *upstream]).strip(), images=images)
    steps = inputs.get("steps") if isinstance(inputs.get("steps"), int) else 0
    if kind == "SIGMAS" and not steps:
        steps = next(
            (v.steps for v in inputs.values() if isinstance(v, Token) and v.kind == kind), 1
        )
    return Token(str(kind), fingerprint, texts[0] if texts else "", steps=steps)


def _generic_pixels(
    ctx: NodeContext, inputs: dict[str, Any], kind: str, fingerprint: str
) -> Pixels:
    candidates = _pixels_inputs(inputs)
    src = candidates[0] if candidates else None
    width, height = _target_size(inputs, src)
    if kind == "LATENT":  # latents are 1/8 of the pixels: decoding floors to a multiple of 8
        width, height = max(8, width // 8 * 8), max(8, height // 8 * 8)
    batch = inputs.get("batch_size") if isinstance(inputs.get("batch_size"), int) else None
    batch = batch or max((p.batch for p in candidates), default=1)
    if ctx.class_type in _REPEATERS and isinstance(inputs.get("amount"), int) and src:
        batch = src.batch * inputs["amount"]  # RepeatLatentBatch / RepeatImageBatch multiply
    elif ctx.class_type in _CONCATENATORS and candidates:
        batch = sum(p.batch for p in candidates)  # ImageBatch / LatentBatch join two batches
    if src is None:
        return Pixels(kind, width, height, batch, fingerprint)
    if sampler_steps(ctx.info, inputs):
        # A sampler paints over its latent; an edit model shows its conditioning images through.
        sources = src.sources or next(
            (
                img.sources
                for v in inputs.values()
                if isinstance(v, Token)
                for img in v.images
                if img.sources
            ),
            (),
        )
        sampled = Pixels(kind, width, height, batch, fingerprint, sources, 0.5 if sources else 1.0)
        if src.noise_mask is None:
            return sampled
        kept = tuple(render(src, i) for i in range(src.batch))
        return replace(sampled, noise_mask=src.noise_mask, kept=kept)
    if ctx.class_type in _PASSTHROUGH:
        return src.derive(fingerprint, kind=kind, width=width, height=height, batch=batch)
    return src.derive(
        fingerprint,
        kind=kind,
        width=width,
        height=height,
        batch=batch,
        mix=max(src.mix, 0.35),
        fill=None,
    )


def _generic_primitive(ctx: NodeContext, inputs: dict[str, Any], kind: str, index: int) -> Any:
    python_type = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}[kind]
    name = str(ctx.info["output_name"][index]).lower()
    if isinstance(inputs.get(name), python_type):
        return inputs[name]
    found = next((v for v in inputs.values() if type(v) is python_type), None)
    return found if found is not None else python_type()


def _generic_ui(ctx: NodeContext, inputs: dict[str, Any]) -> dict[str, Any] | None:
    images = next((p for p in _pixels_inputs(inputs) if p.kind in ("IMAGE", "MASK")), None)
    if images is None:
        return None
    if "filename_prefix" in inputs:
        return _save(ctx, images, str(inputs["filename_prefix"]), "output")
    return _preview(ctx, images)


def _save(
    ctx: NodeContext, images: Pixels, prefix: str, kind: str, compress_level: int = 4
) -> dict[str, Any]:
    """SaveImage: `<prefix>_<NNNNN>_.png` per batch item, with the prompt in tEXt."""
    base = ctx.folders.output if kind == "output" else ctx.folders.temp
    folder, name, counter, subfolder = save_image_path(prefix, base, images.width, images.height)
    text = {"prompt": ctx.prompt, **ctx.extra_data.get("extra_pnginfo", {})}
    results = []
    for index in range(images.batch):
        filename = f"{name.replace('%batch_num%', str(index))}_{counter:05}_.png"
        (folder / filename).write_bytes(encode_png(render(images, index), text, compress_level))
        results.append({"filename": filename, "subfolder": subfolder, "type": kind})
        counter += 1
    return {"images": results}


def _preview(ctx: NodeContext, images: Pixels) -> dict[str, Any]:
    """PreviewImage: temp/ComfyUI_temp_<5 letters>_<NNNNN>_.png, letters fixed per node object."""
    letters = ctx.node_object.setdefault(
        "temp_letters", "".join(random.choice(_TEMP_LETTERS) for _ in range(5))
    )
    return _save(ctx, images, f"ComfyUI_temp_{letters}", "temp", compress_level=1)


def _save_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    return (), _save(ctx, inputs["images"], str(inputs.get("filename_prefix", "ComfyUI")), "output")


def _preview_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    return (), _preview(ctx, inputs["images"])


def _empty_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    image = Pixels(
        "IMAGE",
        inputs["width"],
        inputs["height"],
        inputs["batch_size"],
        ctx.signature,
        fill=int(inputs.get("color", 0)),
    )
    return (image,), None


def _load_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    """Read the uploaded file for real: its size and pixels feed the graph."""
    with Image.open(ctx.folders.input_file(inputs["image"])) as opened:
        picture = ImageOps.exif_transpose(opened)
        picture.load()
    rgb = picture.convert("RGB")
    width, height = picture.size
    if "A" in picture.getbands():
        # MASK = 1 - alpha: the transparent region (e.g. painted by /upload/mask) is repainted
        mask_source = ImageOps.invert(picture.getchannel("A")).convert("RGB")
    else:
        mask_source = Image.new("RGB", _NO_ALPHA_MASK, (0, 0, 0))  # ComfyUI: zeros((64, 64))
    image = Pixels("IMAGE", width, height, 1, ctx.signature, (rgb,), 0.0)
    mask = Pixels("MASK", *mask_source.size, 1, ctx.signature + ":mask", (mask_source,), 0.0)
    if ctx.class_type == "LoadImageMask":
        return (mask,), None
    return (image, mask), None


def _set_latent_noise_mask(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    """The latent, marked so the next sampler repaints only where the mask is 1 (white)."""
    samples, mask = inputs["samples"], inputs["mask"]
    marked = samples.derive(f"{ctx.signature}:0", noise_mask=render(mask, 0).convert("L"))
    return (marked,), None


_HANDLERS: dict[str, Callable[[NodeContext, dict[str, Any]], NodeResult]] = {
    "SaveImage": _save_image,
    "PreviewImage": _preview_image,
    "EmptyImage": _empty_image,
    "LoadImage": _load_image,
    "LoadImageMask": _load_image,
    "SetLatentNoiseMask": _set_latent_noise_mask,
}
