"""The services a job run talks to, built once by the Worker and shared by its job threads."""

from __future__ import annotations

from dataclasses import dataclass

from studio_core.custom_tools.live import LiveCatalog
from studio_core.events import EventBus
from studio_core.jobs.repo import JobRepository
from studio_core.live import LiveState
from studio_core.queue.job_queue import JobQueue
from studio_core.storage import StoragePaths
from worker.comfy.client import ComfyClient
from worker.engine_probe import EngineMonitor


@dataclass
class JobServices:
    """Everything a job run talks to (built once by the Worker)."""

    worker_id: str
    client: ComfyClient
    monitor: EngineMonitor
    repo: JobRepository
    queue: JobQueue
    live: LiveState
    events: EventBus
    catalog: LiveCatalog  # built-in + published imported tools, re-read as they change
    storage: StoragePaths
    job_timeout_s: float
    engine_wait_s: float
    thumb_px: int
    queue_timeout_s: float = 3600.0
    disk_full_policy: str = "wait"  # "fail": a full disk fails the job instead of pausing it
    fault_backoff_cap_s: float = 30.0  # longest pause between retries during an outage
