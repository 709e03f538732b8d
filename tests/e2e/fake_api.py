"""An in-memory stand-in for the studio API that Playwright routes the SPA's requests to.

It lets the SPA be checked in a real Chromium without Redis, a database or a worker, and
cannot drift from the contract the real backend is held to: it routes by the OpenAPI
document's path templates (ROUTES), and every request it gets and every answer it gives is
checked against the document. Mismatches collect in `violations`, which the browser
fixture fails on; tests/e2e/test_fake_api_contract.py drives every route without a browser.

Accounts as the real API will have them: one browser session (the fake serves one page),
signed in as `session_user` (the admin by default, so the older tests see the studio), a
CSRF token every cookie-authenticated write must carry (403 csrf_failed otherwise), 401 on
every protected route when signed out, and the admin-only routes refused to plain users.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from PIL import Image, UnidentifiedImageError

from studio_core.jobs.download_names import content_disposition
from studio_core.jobs.states import ACTIVE
from tests.e2e.fake_accounts import (
    ACCOUNT_ROUTES,
    AccountRoutes,
    Answer,
    bad_input,
    error,
    multipart_file,
)
from tests.e2e.fake_admin_tools import ADMIN_TOOL_ROUTES, AdminToolRoutes
from tests.e2e.fake_data import (
    MODELS,
    THUMB_PX,
    default_tools,
    default_users,
    fake_job,
    graph_params,
    health,
    metrics,
    picture_bytes,
    png_bytes,
)
from tests.openapi_contract import match_path, request_problems, response_problems, schema_problems

JOB_SCHEMA = {"$ref": "#/components/schemas/Job"}


@dataclass
class FakeApi(AccountRoutes, AdminToolRoutes):
    """State + request handler; install with `fake.install(page)`."""

    tools: list[dict] = field(default_factory=default_tools)
    jobs: dict[str, dict] = field(default_factory=dict)
    metrics_status: int = 200
    demo_mode: bool = True
    backends_online: bool = True  # what /api/metrics and /api/engine say of ComfyUI
    sse_enabled: bool = True
    sse_events: list[dict] = field(default_factory=list)  # delivered once, on the next SSE connect
    generate_status: str = "queued"  # the status a new job has at once ("finished": a fast worker)
    requests: list[tuple[str, str, dict, str]] = field(default_factory=list)
    upload_bodies: list[bytes] = field(default_factory=list)
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # id -> image, mime
    generate_bodies: list[dict] = field(default_factory=list)
    graph_bodies: list[dict] = field(default_factory=list)  # POST /api/graph/params, as sent
    generate_error: Answer | None = None  # set: POST /api/generate answers this instead
    jobs_status: int = 200  # not 200: GET /api/jobs answers the real API's error of that status
    violations: list[str] = field(default_factory=list)  # where the fake left the document
    users: dict[int, dict] = field(default_factory=default_users)  # id -> user + "password"
    session_user: int | None = 1  # who the browser is signed in as (None: signed out)
    csrf_token: str = "csrf-0000000000000001"
    login_retry_after: int | None = None  # set: the next logins answer 429 with this Retry-After
    tokens: dict[int, dict] = field(default_factory=dict)  # id -> token + "owner"
    csrf_refused: list[str] = field(default_factory=list)  # "METHOD path" refused for the token
    writes: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, X-CSRF-Token
    admin_tools: dict[str, dict] = field(default_factory=dict)  # id -> a custom_tools-like row
    admin_patches: list[dict] = field(default_factory=list)  # the manifests PATCHed, in order
    tool_problems: list[dict] = field(default_factory=list)  # added to every check of a draft
    _ids: int = 100
    _uploads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _versions: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add_job(
        self, n: int, status: str = "finished", tool: str = "text_to_image", **extra
    ) -> dict:
        """Add job number n (newer jobs have bigger n) and return it."""
        job = fake_job(n, status, tool, **extra)
        self.jobs[job["job_id"]] = job
        return job

    def sign_out(self) -> None:
        """End the browser's session on the server side, as an expiry or a revocation does."""
        self.session_user = None

    def rotate_csrf(self) -> None:
        """Give the session a new CSRF token (the page's copy is stale until it asks /me)."""
        self.csrf_token = f"csrf-{int(self.csrf_token[5:]) + 1:016d}"

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _me(self) -> dict | None:
        user = self.users.get(self.session_user) if self.session_user else None
        return None if user is None or user["disabled"] else user

    def _mine(self, job: dict) -> bool:
        return job.get("user_id", 1) == self.session_user

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

    # ---- serving --------------------------------------------------------------------------
    def install(self, page) -> None:
        """Route /api/**, /health and /outputs/** of the page to this fake."""
        page.route(re.compile(r".*/(api/|health$|outputs/).*"), self._handle)

    def _handle(self, route) -> None:
        req = route.request
        url = urlsplit(req.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append(
                (req.method, url.path, query, req.headers.get("idempotency-key", ""))
            )
            answer = self.serve(
                req.method,
                url.path,
                query,
                req.post_data_buffer or b"",
                req.headers.get("content-type", ""),
                req.headers,
            )
        if isinstance(answer.body, dict):
            route.fulfill(
                status=answer.status,
                body=json.dumps(answer.body),
                content_type="application/json",
                headers=answer.headers,
            )
        else:
            route.fulfill(status=answer.status, body=answer.body or b"", headers=answer.headers)

    def serve(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes = b"",
        content_type: str = "",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Answer one request; record where the request or the answer leaves the document."""
        sent = json.loads(body) if body and content_type.startswith("application/json") else None
        self.violations += request_problems(method, path, query, sent)
        matched = match_path(path)
        handler = ROUTES.get((method, matched[0])) if matched else None
        if handler is None:
            self.violations.append(f"the fake does not implement {method} {path}")
            answer = Answer(404, {"error": {"code": "not_found", "message": f"{method} {path}"}})
        else:
            answer = self._guard(method, path, query, headers or {}) or handler(
                self, matched[1], query, sent if sent is not None else body
            )
        json_body = answer.body if isinstance(answer.body, dict) else None
        self.violations += response_problems(method, path, answer.status, answer.media, json_body)
        return answer

    # ---- routes (arguments: path parameters, query, JSON body or raw bytes) ---------------
    def _output_size(self, name: str) -> tuple[int, int]:
        """Width and height the job's record gives output `name` (<job_id>_<n>.*); else 512."""
        job_id, _, rest = name.rpartition("_")
        outputs = self.jobs.get(job_id, {}).get("outputs") or []
        n = int(rest.split(".")[0]) if rest.split(".")[0].isdigit() else -1
        if 0 <= n < len(outputs):
            return outputs[n].get("width", 512), outputs[n].get("height", 512)
        return 512, 512

    def _output(self, params, query, body) -> Answer:
        # As the real server: the name to save it under, from the job (`<job>_<n>.png`).
        job_id, n = params["name"].removesuffix(".png").rsplit("_", 1)
        job = self.jobs.get(job_id)
        if job is None:
            return error(404)
        kind = "attachment" if query.get("download") in ("1", "true") else "inline"
        disposition = content_disposition(kind, job["tool"], job["prompt"], job["seed"], int(n) + 1)
        headers = {"Content-Type": "image/png", "Content-Disposition": disposition}
        width, height = self._output_size(params["name"])
        return Answer(200, picture_bytes(width, height, (40, 160, 200)), headers)

    def _thumb(self, params, query, body) -> Answer:
        # As the real storage does: the output scaled to THUMB_PX on its longest side.
        width, height = self._output_size(params["name"])
        scale = min(1.0, THUMB_PX / max(width, height))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return Answer(200, picture_bytes(*size, (120, 80, 200)), {"Content-Type": "image/png"})

    def _events(self, params, query, body) -> Answer:
        if not self.sse_enabled:
            return error(503)  # what the real API answers when Redis cannot subscribe
        # An event is a change of the job, as on the real server: later answers show it too.
        for event in self.sse_events:
            self.jobs[event["job_id"]] = {**self.jobs.get(event["job_id"], {}), **event}
        served = [self._served(self.jobs[event["job_id"]]) for event in self.sse_events]
        self.sse_events = []
        for job in served:
            self.violations += [f"SSE job {p}" for p in schema_problems(JOB_SCHEMA, job)]
        frames = "retry: 2000\n\n" + "".join(
            f"event: job\ndata: {json.dumps(job)}\n\n" for job in served
        )
        return Answer(200, frames.encode(), {"Content-Type": "text/event-stream"})

    def _metrics(self, params, query, body) -> Answer:
        if self.metrics_status != 200:
            return error(self.metrics_status)
        return Answer(200, metrics(list(self.jobs.values()), self.demo_mode, self.backends_online))

    def _engine(self, params, query, body) -> Answer:
        return Answer(200, {"online": self.backends_online, "demo_mode": self.demo_mode})

    def _health(self, params, query, body) -> Answer:
        return Answer(200, health(self.demo_mode))

    def _tools(self, params, query, body) -> Answer:
        return Answer(200, {"tools": self.tools + self.published_tools()})

    def _models(self, params, query, body) -> Answer:
        return Answer(200, MODELS)

    def _upload(self, params, query, body) -> Answer:
        # Checked and kept as sent, as the real API does: its size is the image's own.
        self.upload_bodies.append(body)
        data = multipart_file(body) or b""
        try:
            with Image.open(io.BytesIO(data)) as img:
                size, mime = img.size, Image.MIME.get(img.format, "image/png")
        except UnidentifiedImageError:
            return bad_input("invalid_image", "the file is not a PNG, JPEG or WebP image", "file")
        self._uploads += 1
        uid = f"up{self._uploads}"
        self.uploads[uid] = (data, mime)
        upload = {
            "upload_id": uid,
            "url": f"/api/uploads/{uid}",
            "width": size[0],
            "height": size[1],
        }
        return Answer(201, {**upload, "mime": mime})

    def _uploaded(self, params, query, body) -> Answer:
        data, mime = self.uploads.get(
            params["upload_id"], (png_bytes(256, 256, (200, 120, 60)), "image/png")
        )  # an id a test made up (a remixed job's input) is a plain 256 px image
        return Answer(200, data, {"Content-Type": mime})

    def _generate(self, params, query, body) -> Answer:
        if self.generate_error is not None:
            return self.generate_error
        self.generate_bodies.append(body)
        tool = next((t for t in self.tools if t["id"] == body.get("workflow")), None)
        maskable = {s["id"] for s in (tool or {}).get("slots", []) if s.get("mask")}
        for slot_id in body.get("masks", {}):
            if slot_id not in maskable or slot_id not in body.get("images", {}):
                return bad_input(
                    "invalid_input", f"slot {slot_id} takes no mask here", f"masks.{slot_id}"
                )
        seed = body.get("seed", -1)
        queued = self.generate_status == "queued"
        job = self.add_job(
            100 + len(self.jobs),
            status=self.generate_status,
            tool=body["workflow"],
            prompt=body.get("prompt", ""),
            seed=seed if seed != -1 else 424242,
            queue_position=1 if queued else None,
            progress=100 if self.generate_status == "finished" else 0,
            error="the engine refused the workflow" if self.generate_status == "failed" else None,
            aspect_ratio=body.get("aspect_ratio"),
            batch_size=body.get("batch_size", 1),
            model=body.get("model"),
            params=body.get("params", {}),
            inputs={
                k: {"upload_id": v, "url": f"/api/uploads/{v}"}
                for k, v in body.get("images", {}).items()
            },
        )
        queued = {"job_id": job["job_id"], "status": "queued", "seed": job["seed"]}
        return Answer(202, {**queued, "job": self._served(job)})

    def _graph_params(self, params, query, body) -> Answer:
        self.graph_bodies.append(body)
        tool = body.get("tool")
        if tool is not None and all(t["id"] != tool for t in self.tools):
            return bad_input("invalid_input", f"unknown tool {tool}", "tool")
        return Answer(200, graph_params(self.tools, tool, body["graph"]))

    def _list(self, params, query, body) -> Answer:
        if self.jobs_status != 200:
            return error(self.jobs_status)
        jobs = sorted(self.jobs.values(), key=lambda j: j["created_at"], reverse=True)
        if query.get("all") == "1":  # the admin's "everyone" view: each job has its owner's id
            jobs = [{**j, "user_id": j.get("user_id", 1)} for j in jobs]
        else:
            jobs = [j for j in jobs if self._mine(j)]
        if query.get("active") == "1":
            jobs = [j for j in jobs if j["status"] in ACTIVE]
        if query.get("status"):
            jobs = [j for j in jobs if j["status"] == query["status"]]
        if query.get("tool"):
            jobs = [j for j in jobs if j["tool"] == query["tool"]]
        if query.get("favorite") == "1":
            jobs = [j for j in jobs if j["favorite"]]
        if query.get("q"):
            jobs = [j for j in jobs if query["q"].lower() in (j["prompt"] or "").lower()]
        limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
        page = [self._served(j) for j in jobs[offset : offset + limit]]
        return Answer(200, {"total": len(jobs), "limit": limit, "offset": offset, "jobs": page})

    def _find(self, params) -> dict | None:
        """The job if this user may see it: their own, or any for an admin (else 404)."""
        job = self.jobs.get(params["job_id"])
        if job is None or not (self._mine(job) or self._me()["role"] == "admin"):
            return None
        return job

    def _job(self, params, query, body) -> Answer:
        job = self._find(params)
        return Answer(200, self._served(job)) if job else error(404)

    def _delete(self, params, query, body) -> Answer:
        if self._find(params) is None:
            return error(404)
        del self.jobs[params["job_id"]]
        return Answer(204)

    def _favorite(self, params, query, body) -> Answer:
        job = self._find(params)
        if job is None:
            return error(404)
        job["favorite"] = bool(body["favorite"])
        return Answer(200, self._served(job))

    def _cancel(self, params, query, body) -> Answer:
        job = self._find(params)
        if job is None:
            return error(404)
        job.update(status="cancelled", stage=None)
        return Answer(200, {"job_id": job["job_id"], "status": "cancelled"})

    def _cancel_all(self, params, query, body) -> Answer:
        everyone = query.get("all") in ("1", "true")
        if everyone and self._me()["role"] != "admin":
            return error(400)
        mine = sorted(
            (
                j
                for j in self.jobs.values()
                if j["status"] in ACTIVE and (everyone or self._mine(j))
            ),
            key=lambda j: j["created_at"],
        )
        for job in mine:
            job.update(status="cancelled", stage=None)
        return Answer(200, {"cancelled": [j["job_id"] for j in mine]})


Route = Callable[[FakeApi, dict, dict, object], Answer]
# (method, OpenAPI path template) -> handler; a test asserts the document has each of them.
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/outputs/{name}"): FakeApi._output,
    ("GET", "/outputs/thumbs/{name}"): FakeApi._thumb,
    ("GET", "/api/events"): FakeApi._events,
    ("GET", "/api/metrics"): FakeApi._metrics,
    ("GET", "/api/engine"): FakeApi._engine,
    ("GET", "/health"): FakeApi._health,
    ("GET", "/api/tools"): FakeApi._tools,
    ("GET", "/api/models"): FakeApi._models,
    ("POST", "/api/uploads"): FakeApi._upload,
    ("GET", "/api/uploads/{upload_id}"): FakeApi._uploaded,
    ("POST", "/api/generate"): FakeApi._generate,
    ("POST", "/api/graph/params"): FakeApi._graph_params,
    ("GET", "/api/jobs"): FakeApi._list,
    ("GET", "/api/history"): FakeApi._list,
    ("GET", "/api/status/{job_id}"): FakeApi._job,
    ("GET", "/api/jobs/{job_id}"): FakeApi._job,
    ("DELETE", "/api/jobs/{job_id}"): FakeApi._delete,
    ("POST", "/api/jobs/{job_id}/favorite"): FakeApi._favorite,
    ("POST", "/api/cancel/{job_id}"): FakeApi._cancel,
    ("POST", "/api/jobs/cancel-all"): FakeApi._cancel_all,
    **{route: getattr(FakeApi, name) for route, name in ACCOUNT_ROUTES.items()},
    **{route: getattr(FakeApi, name) for route, name in ADMIN_TOOL_ROUTES.items()},
}
