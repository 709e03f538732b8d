"""An in-memory stand-in for the studio API (docs/API.md) that Playwright routes requests to.

The real backend is tested against the same document elsewhere; this double lets the SPA be
checked in a real Chromium without Redis, a database or a worker.
"""

from __future__ import annotations

import io
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from PIL import Image

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
ASPECTS = ["1:1", "16:9", "9:16", "2:3", "3:2", "3:4", "4:3"]
SEED_MAX = 2**53 - 1  # what the real catalog reports


def png_bytes(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A solid PNG of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
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


def _tool(tid, en, zh, slots, params, status="ready", reason=None, icon=None):
    return {
        "id": tid,
        "name": {"en": en, "zh-TW": zh},
        "description": {"en": f"{en} with ComfyUI", "zh-TW": f"使用 ComfyUI 的{zh}"},
        "icon": icon,
        "category": "image",
        "variant_of": None,
        "slots": [
            {"id": s, "label": {"en": lbl, "zh-TW": lbl}, "required": req} for s, lbl, req in slots
        ],
        "parameters": params,
        "availability": {"status": status, "reason": reason},
    }


def default_tools() -> list[dict]:
    """The five shipped tools, shaped like GET /api/tools."""
    prompt = _param(
        "prompt",
        "text",
        "",
        required=True,
        max_length=2000,
        label={"en": "Prompt", "zh-TW": "提示詞"},
    )
    seed = _param("seed", "seed", -1, min=-1, max=SEED_MAX)
    steps = _param("steps", "int", 8, min=1, max=50, advanced=True)
    cfg = _param("cfg", "float", 1.0, min=0.0, max=20.0, step=0.1, advanced=True)
    neg = _param("negative_prompt", "text", "", max_length=2000, advanced=True)
    # The real catalog lists aspect ratios as presets (with a label for the special ones).
    aspect = _param("aspect_ratio", "aspect", "1:1", presets=[{"id": a} for a in ASPECTS])
    keep = {"id": "keep", "label": {"en": "Keep input ratio", "zh-TW": "保持原圖比例"}}
    batch = _param("batch_size", "int", 1, min=1, max=4, choices=[1, 2, 4])
    model = _param("model", "model", None, folder="diffusion_models")
    return [
        _tool(
            "text_to_image",
            "Text to Image",
            "文字生成圖片",
            [],
            [prompt, neg, seed, aspect, batch, steps, cfg, model],
        ),
        _tool(
            "single_image_edit",
            "Image Edit",
            "單圖編輯",
            [("input", "Input image", True)],
            [
                prompt,
                seed,
                steps,
                batch,
                _param("aspect_ratio", "aspect", "keep", presets=[keep, *aspect["presets"]]),
            ],
        ),
        _tool(
            "sketch_to_image",
            "Sketch to Image",
            "草圖生成",
            [("sketch", "Sketch", True)],
            [prompt, seed, steps],
        ),
        _tool(
            "face_swap",
            "Face Swap",
            "換臉",
            [("face", "Face", True), ("body", "Body", True)],
            [{**prompt, "required": False}, seed],
            status="missing_nodes",
            reason="ReActorFaceSwap",
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
    ]


@dataclass
class FakeApi:
    """State + request handler; install with `fake.install(page)`."""

    tools: list[dict] = field(default_factory=default_tools)
    jobs: dict[str, dict] = field(default_factory=dict)
    metrics_status: int = 200
    demo_mode: bool = True
    backends_online: bool = True
    sse_enabled: bool = True
    sse_events: list[dict] = field(default_factory=list)  # delivered once, on the next SSE connect
    requests: list[tuple[str, str, dict, str]] = field(default_factory=list)
    upload_bodies: list[bytes] = field(default_factory=list)
    generate_bodies: list[dict] = field(default_factory=list)
    _uploads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _versions: dict[str, tuple[str, int]] = field(default_factory=dict)

    # ---- fixtures -------------------------------------------------------------------------
    def add_job(
        self, n: int, status: str = "finished", tool: str = "text_to_image", **extra
    ) -> dict:
        """Add job number n (newer jobs have bigger n) and return it."""
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
        self.jobs[jid] = job
        return job

    def _served(self, job: dict) -> dict:
        """The job with a `seq` that grows whenever a test changed it, as the real API's does."""
        if "seq" in job:
            return job  # a test that orders snapshots itself
        content = json.dumps(job, sort_keys=True)
        seen, seq = self._versions.get(job["job_id"], ("", 0))
        if content != seen:
            seq += 1
            self._versions[job["job_id"]] = (content, seq)
        return {**job, "seq": seq}

    # ---- routing --------------------------------------------------------------------------
    def install(self, page) -> None:
        """Route /api/**, /health and /outputs/** of the page to this fake."""
        page.route(re.compile(r".*/(api/|health$|outputs/).*"), self._handle)

    def _handle(self, route):
        req = route.request
        url = urlsplit(req.url)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append((req.method, url.path, q, req.headers.get("idempotency-key", "")))
            status, body, headers = self.dispatch(req.method, url.path, q, req)
        if isinstance(body, bytes):
            route.fulfill(status=status, body=body, headers=headers)
        elif status == 204:
            route.fulfill(status=204, body="")
        else:
            route.fulfill(
                status=status,
                body=json.dumps(body),
                content_type="application/json",
                headers=headers,
            )

    def dispatch(self, method, path, q, req):
        """Return (status, body, headers) for one request."""
        if path.startswith("/outputs/"):
            color = (120, 80, 200) if "thumbs" in path else (40, 160, 200)
            return (
                200,
                png_bytes(64 if "thumbs" in path else 512, 64 if "thumbs" in path else 512, color),
                {"Content-Type": "image/png"},
            )
        if path == "/api/events":
            if not self.sse_enabled:
                return 404, {"error": {"code": "not_found", "message": "no SSE"}}, {}
            # An event is a change of the job, as on the real server: later answers show it too.
            for j in self.sse_events:
                self.jobs[j["job_id"]] = {**self.jobs.get(j["job_id"], {}), **j}
            frames = "retry: 2000\n\n" + "".join(
                f"event: job\ndata: {json.dumps(self._served(self.jobs[j['job_id']]))}\n\n"
                for j in self.sse_events
            )
            self.sse_events = []
            return 200, frames.encode(), {"Content-Type": "text/event-stream"}
        if path == "/api/metrics":
            if self.metrics_status != 200:
                hdr = {"Retry-After": "7"} if self.metrics_status == 429 else {}
                return (
                    self.metrics_status,
                    {"error": {"code": "rate_limited", "message": "slow down"}},
                    hdr,
                )
            active = [j for j in self.jobs.values() if j["status"] in ("queued", "processing")]
            return (
                200,
                {
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
                        {
                            "url": "http://gpu1:8188",
                            "online": self.backends_online,
                            "simulator": self.demo_mode,
                        }
                    ],
                    "jobs_by_status": {},
                    "demo_mode": self.demo_mode,
                },
                {},
            )
        if path == "/health":
            return 200, {"status": "ok", "components": {}, "demo_mode": self.demo_mode}, {}
        if path == "/api/tools":
            return 200, {"tools": self.tools}, {}
        if path == "/api/models":
            unet = ["z_image_turbo_bf16.safetensors", "flux/flux1-dev-fp8.safetensors"]
            return (
                200,
                {
                    "models": ["sdxl/juggernaut.safetensors"],
                    "unet_models": unet,
                    "by_folder": {
                        "checkpoints": ["sdxl/juggernaut.safetensors"],
                        "diffusion_models": unet,
                    },
                },
                {},
            )
        if path == "/api/uploads" and method == "POST":
            self._uploads += 1
            self.upload_bodies.append(req.post_data_buffer)
            uid = f"up{self._uploads}"
            return (
                201,
                {
                    "upload_id": uid,
                    "url": f"/api/uploads/{uid}",
                    "width": 512,
                    "height": 512,
                    "mime": "image/png",
                },
                {},
            )
        if path.startswith("/api/uploads/"):
            return 200, png_bytes(256, 256, (200, 120, 60)), {"Content-Type": "image/png"}
        if path == "/api/generate" and method == "POST":
            self.generate_bodies.append(json.loads(req.post_data or "{}"))
            return self._generate(self.generate_bodies[-1])
        if path in ("/api/jobs", "/api/history"):
            return 200, self._list(q), {}
        m = re.fullmatch(r"/api/(?:status|jobs)/([\w-]+)", path)
        if m and m.group(1) in self.jobs:
            if method == "DELETE":
                del self.jobs[m.group(1)]
                return 204, None, {}
            return 200, self._served(self.jobs[m.group(1)]), {}
        m = re.fullmatch(r"/api/jobs/([\w-]+)/favorite", path)
        if m and m.group(1) in self.jobs:
            self.jobs[m.group(1)]["favorite"] = bool(json.loads(req.post_data)["favorite"])
            return 200, self._served(self.jobs[m.group(1)]), {}
        m = re.fullmatch(r"/api/cancel/([\w-]+)", path)
        if m and m.group(1) in self.jobs:
            self.jobs[m.group(1)]["status"] = "cancelled"
            return 200, {"job_id": m.group(1), "status": "cancelled"}, {}
        return 404, {"error": {"code": "not_found", "message": f"{method} {path}"}}, {}

    def _generate(self, body):
        n = 100 + len(self.jobs)
        seed = body.get("seed", -1)
        job = self.add_job(
            n,
            status="queued",
            tool=body["workflow"],
            prompt=body.get("prompt", ""),
            seed=seed if seed != -1 else 424242,
            queue_position=1,
            progress=0,
            aspect_ratio=body.get("aspect_ratio"),
            batch_size=body.get("batch_size", 1),
            model=body.get("model"),
            params=body.get("params", {}),
            inputs={
                k: {"upload_id": v, "url": f"/api/uploads/{v}"}
                for k, v in body.get("images", {}).items()
            },
        )
        return (
            202,
            {
                "job_id": job["job_id"],
                "status": "queued",
                "seed": job["seed"],
                "job": self._served(job),
            },
            {},
        )

    def _list(self, q):
        jobs = sorted(self.jobs.values(), key=lambda j: j["created_at"], reverse=True)
        if q.get("active") == "1":
            jobs = [j for j in jobs if j["status"] in ("queued", "processing")]
        if q.get("status"):
            jobs = [j for j in jobs if j["status"] == q["status"]]
        if q.get("tool"):
            jobs = [j for j in jobs if j["tool"] == q["tool"]]
        if q.get("favorite") == "1":
            jobs = [j for j in jobs if j["favorite"]]
        if q.get("q"):
            jobs = [j for j in jobs if q["q"].lower() in (j["prompt"] or "").lower()]
        limit, offset = int(q.get("limit", 50)), int(q.get("offset", 0))
        return {
            "total": len(jobs),
            "limit": limit,
            "offset": offset,
            "jobs": [self._served(j) for j in jobs[offset : offset + limit]],
        }
