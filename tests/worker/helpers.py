"""Helpers for the worker and ComfyUI client tests (fixtures live in conftest.py).

Graph builders and simulator controls for the client tests; for the worker tests, a `Stack`
where jobs are created the way the backend does (uploads saved, row recorded, then enqueued)
and a `Worker` runs in a thread with short timings.
"""

from __future__ import annotations

import io
import itertools
import threading
import uuid
from dataclasses import dataclass, field

import redis as redis_lib
import requests
from PIL import Image

from studio_core.config import Settings, load_settings
from studio_core.db.engine import make_engine
from studio_core.db.migrate import upgrade
from studio_core.db.tables import LOCAL_USER_ID
from studio_core.events import EventBus
from studio_core.images import Limits
from studio_core.jobs.inputs import mask_key
from studio_core.jobs.repo import JobRepository
from studio_core.queue.job_queue import JobQueue
from studio_core.redis_client import connect_redis
from studio_core.storage import StoragePaths
from studio_core.uploads import save_upload
from tests.graphs import empty_save, t2i
from tests.helpers import wait_until
from worker.worker import Worker, WorkerTuning

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAST = WorkerTuning(
    claim_wait_s=0.2,
    http_timeout_s=3.0,
    poll_interval_s=0.5,
    probe_interval_s=1.0,
    probe_backoff_cap_s=0.4,
    reconcile_interval_s=1.0,
    cancel_sweep_s=0.3,
    grace_s=1.0,
)
_ids = itertools.count(1)


def new_id(prefix: str = "p") -> str:
    """A unique prompt or client id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def image_graph(prefix: str = "test/img", color: int = 0, width: int = 8) -> dict:
    """EmptyImage(1) -> SaveImage(2): the smallest graph with an output."""
    return empty_save(prefix, width=width, height=8, color=color)


def load_image_graph(image: str, prefix: str = "test/load") -> dict:
    """LoadImage(1) -> SaveImage(2)."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
    }


def t2i_graph(steps: int = 4, seed: int = 1, prefix: str = "test/t2i") -> dict:
    """The text-to-image graph (checkpoint, 2 prompts, KSampler, VAEDecode, SaveImage)."""
    return t2i("a cat", seed=seed, steps=steps, prefix=prefix)


def sim_config(url: str, **patch) -> None:
    """Patch the simulator's timings/faults (reset before each test by the sim_url fixture)."""
    requests.post(url + "/sim/config", json=patch, timeout=5).raise_for_status()


def png(color: str = "red", size: int = 32) -> bytes:
    """A small PNG image."""
    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Stack:
    """Settings, SQL, Redis and storage of one test, plus the workers it started."""

    settings: Settings
    repo: JobRepository
    queue: JobQueue
    redis: redis_lib.Redis
    storage: StoragePaths
    sim_url: str
    workers: list[tuple[Worker, threading.Thread]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment variables for `python -m worker` on this stack."""
        s = self.settings
        return {
            "REDIS_URL": s.redis_url or "",
            "DATABASE_URL": s.database_url,
            "STORAGE_DIR": str(s.storage_dir),
            "LOG_DIR": str(s.log_dir),
            "COMFYUI_URL": self.sim_url,
            "STUDIO_ENV": "development",
            **extra,
        }

    def create_job(
        self,
        tool: str = "text_to_image",
        images: dict[str, bytes] | None = None,
        user_id: int = LOCAL_USER_ID,
        masks: dict[str, bytes] | None = None,
        **fields,
    ) -> str:
        """Record then enqueue a job like the backend: inputs (and masks) first, seed resolved."""
        files = {**(images or {}), **{mask_key(slot): data for slot, data in (masks or {}).items()}}
        inputs = {
            slot: save_upload(self.repo.engine, self.storage, user_id, data, Limits())["id"]
            for slot, data in files.items()
        }
        row = {"user_id": user_id, "tool": tool, "prompt": "a cat", "seed": 1000 + next(_ids)}
        row.update(fields)
        job, _ = self.repo.create(row, inputs)
        self.queue.enqueue(job["id"], user_id)
        return job["id"]

    def start_worker(self, settings: Settings | None = None, **tuning) -> Worker:
        """Run a Worker in a thread (stopped at the end of the test)."""
        settings = settings or self.settings
        options = {**FAST.__dict__, **tuning}
        worker = Worker(settings, tuning=WorkerTuning(**options))
        thread = threading.Thread(target=worker.run, name=f"test-{worker.worker_id}", daemon=True)
        thread.start()
        self.workers.append((worker, thread))
        return worker

    def stop_worker(self, worker: Worker) -> None:
        """Stop one worker and wait for its thread."""
        for w, thread in self.workers:
            if w is worker:
                w.request_stop()
                thread.join(30)
                assert not thread.is_alive(), "worker did not stop"

    def wait_status(self, job_id: str, *statuses: str, timeout: float = 20.0) -> dict:
        """Wait for a job's SQL status; returns the job."""
        statuses = statuses or ("finished", "failed", "cancelled")
        return wait_until(
            lambda: (job := self.repo.get(job_id))["status"] in statuses and job,
            timeout,
            f"job {job_id} in {statuses}",
        )

    def sim(self, path: str) -> dict:
        """GET a simulator route as JSON."""
        return requests.get(self.sim_url + path, timeout=5).json()


def make_settings(tmp_path, redis_url: str, sim_url: str, **overrides) -> Settings:
    """Settings for one test: private storage, SQLite file, short limits."""
    values = {
        "REDIS_URL": redis_url,
        "COMFYUI_URL": sim_url,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'studio.db'}",
        "LOG_DIR": str(tmp_path / "logs"),
        "WORKER_ID": f"w-{uuid.uuid4().hex[:8]}",
        "HEARTBEAT_TTL_S": 3,
        "JOB_TIMEOUT_S": 30,
        "ENGINE_WAIT_S": 30,
        "STUDIO_ENV": "development",
    }
    values.update(overrides)
    return load_settings(values, env={})


def build_stack(settings: Settings, redis_url: str, sim_url: str, engine=None):
    """A Stack on `settings` (the database is migrated first)."""
    engine = engine or make_engine(settings.database_url)
    upgrade(engine)
    client = connect_redis(redis_url)
    return Stack(
        settings=settings,
        repo=JobRepository(engine, settings.max_attempts),
        queue=JobQueue(client),
        redis=client,
        storage=StoragePaths(settings.storage_dir).ensure(),
        sim_url=sim_url,
    )


def teardown(built: Stack) -> None:
    """Stop every worker the test started and release connections."""
    for worker, thread in built.workers:
        worker.request_stop()
        thread.join(30)
    built.redis.close()
    built.repo.engine.dispose()


def subscribe_events(stack: Stack, user_id: int = LOCAL_USER_ID):
    """A subscription to one user's job events."""
    return EventBus(stack.redis).subscribe(user_id, timeout=0.2)
