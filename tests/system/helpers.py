"""Helpers for the system tests: images, uploads, an SSE reader and SQL/simulator checks.

Everything goes through a live studio's public HTTP API (studio_ops.live_stack.LiveStudio), except the
checks that read the studio's own database and the simulator's `/history` and `/queue`.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa
from PIL import Image

from studio_core.db.engine import make_engine
from studio_core.db.tables import job_events, job_outputs, jobs
from studio_ops.live_stack import LiveStudio

logger = logging.getLogger(__name__)

TERMINAL = {"finished", "failed", "cancelled"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 40, 40)):
    """A small PNG to upload."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def data_url(data: bytes) -> str:
    """`data:image/png;base64,...` for a JSON submission."""
    return "data:image/png;base64," + base64.b64encode(data).decode()


def upload(studio: LiveStudio, data: bytes) -> str:
    """POST /api/uploads and return the upload id."""
    resp = requests.post(
        studio.url + "/api/uploads",
        files={"file": ("in.png", data, "image/png")},
        timeout=10,
        headers=studio.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["upload_id"]


def generate_multipart(studio: LiveStudio, fields: dict, files: dict[str, bytes]) -> dict:
    """POST /api/generate as multipart: form fields plus one file part per slot."""
    # (None, value) parts keep the body multipart even for a tool without image slots.
    parts = {k: (None, json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in fields.items()}
    parts.update({slot: (f"{slot}.png", data, "image/png") for slot, data in files.items()})
    resp = requests.post(
        studio.url + "/api/generate", files=parts, timeout=10, headers=studio.headers
    )
    assert resp.status_code == 202, resp.text
    return resp.json()


def get(studio: LiveStudio, path: str, **params) -> requests.Response:
    """GET a path of the studio (no status check)."""
    return requests.get(studio.url + path, params=params, timeout=10, headers=studio.headers)


def cancel(studio: LiveStudio, job_id: str) -> requests.Response:
    """POST /api/cancel/<id>."""
    return requests.post(f"{studio.url}/api/cancel/{job_id}", timeout=10, headers=studio.headers)


@dataclass
class SseReader:
    """Reads `/api/events` on a thread until every awaited job has reached a terminal event."""

    studio: LiveStudio
    awaited: set[str] = field(default_factory=set)
    events: list[dict] = field(default_factory=list)
    error: BaseException | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SseReader:
        """Open the stream (subscribed once the headers arrive) and read in the background."""
        thread = threading.Thread(target=self._run, name="sse-reader", daemon=True)
        thread.start()
        assert self._ready.wait(10), "SSE stream did not open"
        if self.error:
            raise self.error
        return self

    def expect(self, job_ids: Iterable[str]) -> None:
        """Add jobs whose terminal event ends the reading."""
        with self._lock:
            self.awaited.update(job_ids)

    def _finished(self) -> bool:
        with self._lock:
            ended = {e["job_id"] for e in self.events if e["status"] in TERMINAL}
            return bool(self.awaited) and self.awaited <= ended

    def _run(self) -> None:
        try:
            # The read timeout bounds every wait for a line; pings come every 15 s at most.
            url = self.studio.url + "/api/events"
            headers = self.studio.headers
            with requests.get(url, headers=headers, stream=True, timeout=(5, 30)) as r:
                assert r.status_code == 200, r.text
                assert r.headers["Content-Type"].startswith("text/event-stream")
                self._ready.set()
                kind = None
                for line in r.iter_lines(decode_unicode=True):
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and kind == "job":
                        with self._lock:
                            self.events.append(json.loads(line.split(":", 1)[1]))
                        if self._finished():
                            return
        except BaseException as exc:  # handed to the test thread by wait()
            self.error = exc
        finally:
            self._ready.set()
            self._done.set()

    def wait(self, timeout: float = 60) -> list[dict]:
        """Block until every awaited job ended on the stream; return all events read."""
        assert self._done.wait(timeout), f"SSE: no terminal event for {self.awaited}"
        if self.error:
            raise self.error
        return self.events

    def of(self, job_id: str) -> list[dict]:
        """The events of one job, in arrival order."""
        return [e for e in self.events if e["job_id"] == job_id]


def fetch_outputs(studio: LiveStudio, job: dict) -> None:
    """Check every output: a PNG of its size, a WebP thumbnail smaller than it."""
    assert len(job["images"]) == job["batch_size"] == len(job["outputs"]), job
    assert job["image_url"] == job["images"][0]
    for url, out in zip(job["images"], job["outputs"], strict=True):
        assert out["url"] == url and url.endswith(".png")
        full = get(studio, url)
        assert full.status_code == 200 and full.content.startswith(PNG_MAGIC)
        with Image.open(io.BytesIO(full.content)) as image:
            assert (image.format, image.size) == ("PNG", (out["width"], out["height"]))
        thumb = get(studio, out["thumb_url"])
        assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/webp"
        with Image.open(io.BytesIO(thumb.content)) as image:
            assert image.format == "WEBP"
            assert max(image.size) <= max(out["width"], out["height"])
        assert len(thumb.content) < len(full.content)


class StudioDb:
    """Read-only checks on a live studio's SQL database."""

    def __init__(self, studio: LiveStudio):
        self.engine = make_engine(studio.env["DATABASE_URL"])

    def terminal_events(self, job_id: str) -> list[str]:
        """The terminal statuses recorded in job_events for a job (should be exactly one)."""
        query = sa.select(job_events.c.status).where(
            job_events.c.job_id == job_id, job_events.c.status.in_(sorted(TERMINAL))
        )
        with self.engine.connect() as conn:
            return [row.status for row in conn.execute(query)]

    def output_rows(self, job_id: str) -> list[str]:
        """The filenames recorded in job_outputs for a job."""
        query = sa.select(job_outputs.c.filename).where(job_outputs.c.job_id == job_id)
        with self.engine.connect() as conn:
            return sorted(row.filename for row in conn.execute(query))

    def events(self, job_id: str) -> list[dict]:
        """Every recorded transition of a job, oldest first."""
        query = sa.select(job_events).where(job_events.c.job_id == job_id).order_by(job_events.c.id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def holders(self, job_ids: list[str]) -> list[str]:
        """Workers holding any of these jobs in `processing`, per SQL."""
        query = sa.select(jobs.c.worker_id).where(
            jobs.c.id.in_(job_ids), jobs.c.status == "processing"
        )
        with self.engine.connect() as conn:
            return sorted({row.worker_id for row in conn.execute(query) if row.worker_id})

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def sim_prompt_ids(studio: LiveStudio) -> dict[str, set[str]]:
    """Prompt ids the simulator knows: {"history", "running", "pending"}."""
    history = requests.get(studio.sim.url + "/history", timeout=5).json()
    queue = requests.get(studio.sim.url + "/queue", timeout=5).json()
    return {
        "history": set(history),
        "running": {item[1] for item in queue["queue_running"]},
        "pending": {item[1] for item in queue["queue_pending"]},
    }


def sim_saved_files(studio: LiveStudio, job_id: str) -> list[str]:
    """Images the simulator saved for this job's prompt (one set per run)."""
    entry = requests.get(f"{studio.sim.url}/history/{job_id}", timeout=5).json().get(job_id)
    if not entry:
        return []
    return sorted(i["filename"] for ui in entry["outputs"].values() for i in ui.get("images", []))


def sim_output_files(studio: LiveStudio, job_id: str) -> list[str]:
    """Files the simulator wrote for this job on disk: a second run would add a second set."""
    return sorted(p.name for p in (studio.sim.workdir / "output").rglob(f"{job_id}_*"))
