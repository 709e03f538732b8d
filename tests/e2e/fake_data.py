"""What the fake API serves: the shipped tools' shapes, jobs, metrics and models.

Shaped like the real answers (the fake checks every one against the OpenAPI document); the
values are fixed so the browser tests can assert on them.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timedelta, timezone

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from comfy_schema.object_info import load_object_info
from studio_core.catalog.manifest import MAX_SEED
from studio_core.catalog.tools import DEFAULT_DIR
from studio_core.importer import propose_manifest
from studio_core.jobs.states import ACTIVE

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
ASPECTS = ["1:1", "16:9", "9:16", "2:3", "3:2", "3:4", "4:3"]
SEED_MAX = MAX_SEED  # what the real catalog reports
THUMB_PX = 384  # the longest side of a thumbnail, as the studio's default thumb_px


def png_bytes(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A solid PNG of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def picture_bytes(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A PNG with a pale ellipse inscribed in a `color` ground: its shape shows in a screenshot
    whether a portrait or landscape image was cropped or squeezed."""
    image = Image.new("RGB", (width, height), color)
    inset = max(1, min(width, height) // 12)
    ImageDraw.Draw(image).ellipse(
        (inset, inset, width - inset, height - inset), fill=(225, 230, 250), outline=(20, 20, 40)
    )
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _param(pid, ptype, default=None, **extra):
    base = {
        "id": pid,
        "type": ptype,
        "default": default,
        "min": None,
        "max": None,
        "step": None,
        "choices": None,
        "required": False,
        "max_length": None,
        "label": None,
        "advanced": False,
        "folder": None,
    }
    base.update(extra)
    return base


def _tool(tid, en, zh, slots, params, status="ready", reason=None, icon=None, **extra):
    return {
        "id": tid,
        "name": {"en": en, "zh-TW": zh},
        "description": {"en": f"{en} with ComfyUI", "zh-TW": f"使用 ComfyUI 的{zh}"},
        "icon": icon,
        "category": "image",
        "variant_of": None,
        "slots": [
            {"id": s[0], "label": {"en": s[1], "zh-TW": s[1]}, "required": s[2], **dict(s[3:])}
            for s in slots
        ],
        "parameters": params,
        "availability": {"status": status, "reason": reason},
        **extra,
    }


# The size classes of an aspect parameter (contract 2: GET /api/tools "size_classes", "custom"),
# as studio_core/models/sizes.py has them.
SIZE_CLASSES = {
    "512": [(1, 1, 512, 512), (16, 9, 768, 432), (9, 16, 432, 768), (2, 3, 512, 768),
            (3, 2, 768, 512), (3, 4, 576, 768), (4, 3, 768, 576)],
    "768": [(1, 1, 768, 768), (16, 9, 1024, 576), (9, 16, 576, 1024), (2, 3, 640, 960),
            (3, 2, 960, 640), (3, 4, 672, 896), (4, 3, 896, 672)],
    "1024": [(1, 1, 1024, 1024), (16, 9, 1344, 768), (9, 16, 768, 1344), (2, 3, 832, 1248),
             (3, 2, 1248, 832), (3, 4, 864, 1152), (4, 3, 1152, 864)],
}  # fmt: skip
CUSTOM_SIZE = {"step": 8, "min": 64, "max": 2048, "max_pixels": 2048 * 2048}
# Checkpoints in subfolders as ComfyUI lists them, with the family the probe found (contract 1).
CHECKPOINTS = {
    "SD15/dreamshaper_8.safetensors": {"family": "sd15", "size_class": 512, "source": "metadata"},
    "SDXL/juggernautXL_v9.safetensors": {
        "family": "sdxl",
        "size_class": 1024,
        "source": "filename",
    },
    "mystery_mix.safetensors": {"family": "unknown", "size_class": None, "source": "unknown"},
}
LORAS = ["detail_tweaker.safetensors", "styles/ink_wash.safetensors"]
HEAD_LORA = "bfs_head_v3_qwen_image_edit_2509.safetensors"


def _sized_aspect() -> dict:
    """An aspect parameter with size classes and a custom size (the classic checkpoint tool's)."""
    classes = {
        cls: [{"id": f"{a}:{b}", "width": w, "height": h} for a, b, w, h in sizes]
        for cls, sizes in SIZE_CLASSES.items()
    }
    return _param(
        "aspect_ratio",
        "aspect",
        "1:1",
        presets=classes["1024"],
        size_classes=classes,
        custom=CUSTOM_SIZE,
    )


def _classic_params(p: dict[str, dict]) -> list[dict]:
    """text_to_image_classic: a checkpoint by family, sizes by class, up to four LoRAs."""
    model = _param(
        "model",
        "model",
        "SDXL/juggernautXL_v9.safetensors",
        folder="checkpoints",
        choices=list(CHECKPOINTS),
        families=CHECKPOINTS,
    )
    loras = _param(
        "loras",
        "loras",
        [],
        min=-2.0,
        max=2.0,
        folder="loras",
        choices=LORAS,
        max_items=4,
        label={"en": "LoRAs", "zh-TW": "LoRA"},
    )
    return [
        p["prompt"],
        p["neg"],
        p["seed"],
        _sized_aspect(),
        p["batch"],
        p["steps"],
        p["cfg"],
        model,
        loras,
    ]


def _shared_params() -> dict[str, dict]:
    """Parameters several tools have, fresh for each catalog (a test may change one)."""
    aspects = [{"id": a} for a in ASPECTS]
    keep = {"id": "keep", "label": {"en": "Keep input ratio", "zh-TW": "保持原圖比例"}}
    return {
        "prompt": _param(
            "prompt",
            "text",
            "",
            required=True,
            max_length=2000,
            label={"en": "Prompt", "zh-TW": "提示詞"},
        ),
        "seed": _param("seed", "seed", -1, min=-1, max=SEED_MAX),
        "steps": _param("steps", "int", 8, min=1, max=50, advanced=True),
        "cfg": _param("cfg", "float", 1.0, min=0.0, max=20.0, step=0.1, advanced=True),
        "neg": _param("negative_prompt", "text", "", max_length=2000, advanced=True),
        # The real catalog lists aspect ratios as presets (with a label for the special ones).
        "aspect": _param("aspect_ratio", "aspect", "1:1", presets=aspects),
        "keep_aspect": _param("aspect_ratio", "aspect", "keep", presets=[keep, *aspects]),
        "batch": _param("batch_size", "int", 1, min=1, max=4, choices=[1, 2, 4]),
        "model": _param("model", "model", None, folder="diffusion_models"),
    }


def default_tools() -> list[dict]:
    """The five shipped tools, shaped like GET /api/tools."""
    p = _shared_params()
    prompt, seed, aspect = p["prompt"], p["seed"], p["aspect"]
    return [
        _tool(
            "text_to_image",
            "Text to Image",
            "文字生成圖片",
            [],
            [prompt, p["neg"], seed, aspect, p["batch"], p["steps"], p["cfg"], p["model"]],
        ),
        _tool(
            "single_image_edit",
            "Image Edit",
            "單圖編輯",
            [("input", "Input image", True, ("mask", True))],  # takes a painted mask
            [prompt, seed, p["steps"], p["batch"], p["keep_aspect"]],
        ),
        _tool(
            "sketch_to_image",
            "Sketch to Image",
            "草圖生成",
            [("sketch", "Sketch", True)],
            [prompt, seed, p["steps"]],
        ),
        _tool(
            "face_swap",
            "Face Swap",
            "換臉",
            [("face", "Face", True), ("body", "Body", True)],
            [{**prompt, "required": False}, seed],
            status="missing_nodes",
            reason="ReActorFaceSwap",
            optional_loras=[
                {
                    "file": HEAD_LORA,
                    "label": {
                        "en": "Head-swap LoRA (bfs_head_v3): used when ComfyUI has it",
                        "zh-TW": "換頭 LoRA（bfs_head_v3）：ComfyUI 有此檔案時使用",
                    },
                    "installed": False,
                }
            ],
        ),
        _tool(
            "multi_image_blend",
            "Multi-Image Blend",
            "多圖融合",
            [
                ("image_a", "Image A", True),
                ("image_b", "Image B", True),
                ("image_c", "Image C", False),
            ],
            [prompt, seed, aspect],
        ),
        _tool(
            "text_to_image_classic",
            "Text to Image (classic checkpoint)",
            "文生圖（傳統模型）",
            [],
            _classic_params(p),
        ),
    ]


# What the fake's POST /api/graph/params reads from a graph: sampler inputs -> parameter ids.
SAMPLER_INPUTS = {"seed": "seed", "steps": "steps", "cfg": "cfg"}
PLUMBING = {"CLIPTextEncode", "VAEDecode", "SaveImage", "PreviewImage"}


def graph_params(tools: list[dict], tool_id: str | None, graph: dict) -> dict:
    """A small reading of an API graph for the tool (contract 6): a checkpoint graph belongs to
    the classic tool; what the tool has no parameter for is listed in "unmatched"."""
    nodes = {k: v for k, v in graph.items() if isinstance(v, dict) and "class_type" in v}
    classes = {n["class_type"] for n in nodes.values()}
    ids = {t["id"] for t in tools}
    tool_id = tool_id if tool_id in ids else "text_to_image"
    if "CheckpointLoaderSimple" in classes and "text_to_image_classic" in ids:
        tool_id = "text_to_image_classic"
    tool = next(t for t in tools if t["id"] == tool_id)
    has = {p["id"] for p in tool["parameters"]}
    params: dict = {}
    unmatched: list[str] = []

    def put(pid: str, value, what: str) -> None:
        if pid in has:
            params[pid] = value
        else:
            unmatched.append(what)

    for node in nodes.values():
        kind, inputs = node["class_type"], node.get("inputs", {})
        if kind == "KSampler":
            for name, pid in SAMPLER_INPUTS.items():
                put(pid, inputs[name], f"KSampler {name}")
            for name, pid in (("positive", "prompt"), ("negative", "negative_prompt")):
                put(pid, nodes[inputs[name][0]]["inputs"]["text"], f"{name} prompt")
        elif kind == "EmptyLatentImage":
            put("aspect_ratio", f"{inputs['width']}x{inputs['height']}", "EmptyLatentImage size")
        elif kind == "CheckpointLoaderSimple":
            put("model", inputs["ckpt_name"], f"checkpoint {inputs['ckpt_name']}")
        elif kind == "LoraLoader":
            lora = {"name": inputs["lora_name"], "strength": inputs["strength_model"]}
            if "loras" in has:
                params.setdefault("loras", []).append(lora)
            else:
                unmatched.append(f"LoRA {lora['name']}")
        elif kind not in PLUMBING:
            unmatched.append(kind)
    return {"tool": tool_id, "params": params, "matched": list(params), "unmatched": unmatched}


def fake_job(n: int, status: str = "finished", tool: str = "text_to_image", **extra) -> dict:
    """Job number n (newer jobs have bigger n) as the API shows it; `extra` overrides fields."""
    jid = f"job{n:04d}"
    outs = [
        {
            "url": f"/outputs/{jid}_{i}.png",
            "thumb_url": f"/outputs/thumbs/{jid}_{i}.webp",
            "width": 1024,
            "height": 1024,
        }
        for i in range(extra.pop("n_outputs", 1 if status == "finished" else 0))
    ]
    job = {
        "job_id": jid,
        "tool": tool,
        "status": status,
        "stage": {"queued": "queued", "processing": "running"}.get(status),
        "progress": 100 if status == "finished" else 0,
        "queue_position": None,
        "current_node": None,
        "step": None,
        "preview_url": None,
        "prompt": f"a glass fox number {n} in neon rain",
        "negative_prompt": "blurry",
        "seed": 1000 + n,
        "model": "z_image_turbo_bf16.safetensors",
        "aspect_ratio": "1:1",
        "batch_size": len(outs) or 1,
        "params": {"steps": 8, "cfg": 1.0, "negative_prompt": "blurry"},
        "inputs": {},
        "images": [o["url"] for o in outs],
        "image_url": outs[0]["url"] if outs else None,
        "outputs": outs,
        "error": None,
        "favorite": False,
        "attempts": 1,
        "created_at": (T0 + timedelta(minutes=n)).isoformat(),
        "started_at": None,
        "finished_at": None,
    }
    job.update(extra)
    return job


def metrics(jobs: list[dict], demo_mode: bool, backends_online: bool) -> dict:
    """GET /api/metrics for these jobs: one online and one offline worker, one engine."""
    active = [j for j in jobs if j["status"] in ACTIVE]
    return {
        "queue_length": sum(j["status"] == "queued" for j in active),
        "worker_status": "online",
        "active_jobs": len(active),
        "workers": [
            {
                "id": "w1",
                "online": True,
                "backend": "http://gpu1:8188",
                "jobs": 1,
                "last_seen": T0.isoformat(),
            },
            {
                "id": "w2",
                "online": False,
                "backend": "http://gpu2:8188",
                "jobs": 0,
                "last_seen": T0.isoformat(),
            },
        ],
        "backends": [
            {"url": "http://gpu1:8188", "online": backends_online, "simulator": demo_mode}
        ],
        "jobs_by_status": {},
        "demo_mode": demo_mode,
    }


def health(demo_mode: bool) -> dict:
    """GET /health of a studio where everything answers."""
    components = ("database", "redis", "storage", "workers", "comfyui")
    return {"status": "ok", "components": dict.fromkeys(components, "ok"), "demo_mode": demo_mode}


UNET_MODELS = ["z_image_turbo_bf16.safetensors", "flux/flux1-dev-fp8.safetensors"]
MODELS = {
    "models": ["sdxl/juggernaut.safetensors"],
    "unet_models": UNET_MODELS,
    "by_folder": {"checkpoints": ["sdxl/juggernaut.safetensors"], "diffusion_models": UNET_MODELS},
}


def default_users() -> dict[int, dict]:
    """The first admin (id 1, owner of the jobs a test adds) and a plain user, with passwords."""
    users = [
        (1, "admin", "admin", "admin-password-1"),
        (2, "alice", "user", "alice-password-1"),
    ]
    return {
        uid: {
            "id": uid,
            "username": name,
            "role": role,
            "disabled": False,
            "created_at": T0.isoformat(),
            "password": password,
        }
        for uid, name, role, password in users
    }


# Workflows an admin imports: the shipped classic checkpoint graph (API format), and a face
# swap whose node ComfyUI does not know without its custom node pack.
CLASSIC_GRAPH = json.loads(
    (DEFAULT_DIR / "text_to_image_classic" / "workflow.json").read_text(encoding="utf-8")
)
FACE_SWAP_GRAPH = {
    "face": {"class_type": "LoadImage", "inputs": {"image": "face.png"}},
    "body": {"class_type": "LoadImage", "inputs": {"image": "body.png"}},
    "swap": {
        "class_type": "ReActorFaceSwap",
        "inputs": {"input_image": ["body", 0], "source_image": ["face", 0], "enabled": True},
    },
    "save": {"class_type": "SaveImage", "inputs": {"images": ["swap", 0], "filename_prefix": "x"}},
}


def proposed_manifest(tool_id: str, graph: dict | None = None) -> dict:
    """The manifest the studio proposes for `graph` (the classic one by default)."""
    source = copy.deepcopy(graph or CLASSIC_GRAPH)
    return propose_manifest(source, load_object_info(), tool_id)[0]


def workflow_png(graph: dict) -> bytes:
    """A PNG as ComfyUI saves it: the graph it ran in the `prompt` text chunk."""
    info = PngInfo()
    info.add_text("prompt", json.dumps(graph))
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 90, 160)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()
