"""The Worker: claims jobs for one ComfyUI backend and keeps up to MAX_INFLIGHT of them running.

Threads: the main loop (claims), a small pool (one thread per job in flight), housekeeping
(heartbeat, reaping, reconcile, retention), the engine probe, the cancel listener, and the
ComfyUI client's WebSocket router. Build it with `Worker(settings)` and call `run()`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import redis as redis_lib

from studio_core.catalog.tools import Catalog
from studio_core.config import ConfigError, Settings
from studio_core.custom_tools.live import LiveCatalog
from studio_core.db.engine import make_engine
from studio_core.engines import EngineRegistry
from studio_core.events import EventBus
from studio_core.jobs.repo import JobRepository
from studio_core.live import LiveState
from studio_core.outages import outage_kind
from studio_core.queue.job_queue import JobQueue
from studio_core.redis_client import connect_redis
from studio_core.storage import StoragePaths
from worker.cancel_listener import CancelListener
from worker.chores import WorkerChores
from worker.claims import ClaimBook
from worker.comfy.client import ComfyClient
from worker.engine_probe import EngineMonitor, retry_delay
from worker.housekeeping import Housekeeping
from worker.jobs.outage_retry import retry_through_outages
from worker.jobs.runner import JobRunner
from worker.jobs.services import JobServices
from worker.jobs.slot import JobSlot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerTuning:
    """Timings that are not user settings; tests shrink them."""

    claim_wait_s: float = 1.0  # longest block in queue.claim (the loop stays responsive)
    http_timeout_s: float = 10.0  # every ComfyUI HTTP call
    poll_interval_s: float = 2.0  # /history polls while a prompt runs (WS loss safety net)
    probe_interval_s: float = 30.0  # engine probe while online
    probe_backoff_cap_s: float = 10.0  # longest pause between probes while offline
    reconcile_interval_s: float = 60.0  # SQL -> Redis reconcile even without an epoch change
    cancel_sweep_s: float = 2.0  # re-check cancel flags of jobs in flight (pub/sub is lossy)
    retention_interval_s: float = 3600.0
    grace_s: float | None = None  # on stop: how long jobs may finish (None: STOP_GRACE_S)
    fault_backoff_cap_s: float = 30.0  # longest pause between retries of a job during an outage


class Worker:
    """One worker process's state: services, jobs in flight, and the threads that run them."""

    def __init__(
        self,
        settings: Settings,
        *,
        tuning: WorkerTuning | None = None,
        catalog: Catalog | None = None,
        comfyui_url: str | None = None,
    ):
        if not settings.redis_url:
            raise ConfigError("REDIS_URL must be set for the worker (the launcher sets it)")
        self.settings = settings
        self.tuning = tuning or WorkerTuning()
        self.worker_id = settings.worker_id
        self.comfyui_url = comfyui_url or settings.comfyui_urls[0]
        self.redis = connect_redis(settings.redis_url, socket_timeout=10, connect_timeout=5)
        self.db = make_engine(settings.database_url, settings.db_timeout_s)
        self.repo = JobRepository(self.db, settings.max_attempts)
        self.queue = JobQueue(self.redis)
        self.live = LiveState(self.redis)
        self.events = EventBus(self.redis)
        self.storage = StoragePaths(settings.storage_dir).ensure()
        self.client = ComfyClient(
            self.comfyui_url,
            self.worker_id,
            timeout=self.tuning.http_timeout_s,
            poll_interval=self.tuning.poll_interval_s,
        )
        self.monitor = EngineMonitor(
            self.client,
            EngineRegistry(self.redis),
            self.worker_id,
            interval=self.tuning.probe_interval_s,
            backoff_cap=self.tuning.probe_backoff_cap_s,
        )
        # Imported tools live in SQL: the catalog re-reads them when an admin changes one.
        self.runner = JobRunner(
            self._run_services(LiveCatalog(catalog or Catalog.load(), self.db, self.redis))
        )
        self.claims = ClaimBook(self.queue, self.worker_id, settings.heartbeat_ttl_s)
        self.cancels = CancelListener(self.redis, self.queue.cancel_channel, self.on_cancel)
        self.housekeeping = self._housekeeping()
        self.outcomes: dict[str, str] = {}  # job id -> last outcome (logs, tests)
        self.state = "starting"
        self.loop_tick = time.monotonic()
        self._stop = threading.Event()
        self.stopped = threading.Event()
        self._pool = ThreadPoolExecutor(settings.max_inflight, thread_name_prefix="job")

    def _run_services(self, catalog: LiveCatalog) -> JobServices:
        settings = self.settings
        return JobServices(
            worker_id=self.worker_id,
            client=self.client,
            monitor=self.monitor,
            repo=self.repo,
            queue=self.queue,
            live=self.live,
            events=self.events,
            catalog=catalog,
            storage=self.storage,
            job_timeout_s=settings.job_timeout_s,
            engine_wait_s=settings.engine_wait_s,
            thumb_px=settings.thumb_px,
            queue_timeout_s=settings.queue_timeout_s,
            disk_full_policy=settings.disk_full_policy,
            fault_backoff_cap_s=self.tuning.fault_backoff_cap_s,
        )

    def _housekeeping(self) -> Housekeeping:
        # The chores get readers of the loop's state, never the worker itself.
        chores = WorkerChores(
            self.worker_id,
            queue=self.queue,
            claims=self.claims,
            repo=self.repo,
            db=self.db,
            storage=self.storage,
            heartbeat_info=self.heartbeat_info,
            on_cancel=self.on_cancel,
            loop_tick=lambda: self.loop_tick,
            is_stopping=lambda: self.state == "stopping",
            lease_s=self.settings.heartbeat_ttl_s,
            claim_wait_s=self.tuning.claim_wait_s,
            upload_retention_h=self.settings.upload_retention_h,
            output_retention_days=self.settings.output_retention_days,
            health_file=self.settings.worker_health_file,
        )
        return chores.schedule(
            cancel_sweep_s=self.tuning.cancel_sweep_s,
            reconcile_s=self.tuning.reconcile_interval_s,
            retention_s=self.tuning.retention_interval_s,
        )

    # ---- life cycle ------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the worker to stop (signal-safe: only sets a flag)."""
        self._stop.set()

    def run(self) -> None:
        """Start the helper threads, claim jobs until asked to stop, then shut down cleanly."""
        logger.info(
            "worker start id=%s comfyui=%s inflight=%s pid=%s",
            self.worker_id,
            self.comfyui_url,
            self.settings.max_inflight,
            os.getpid(),
        )
        try:
            self._recover_own_claims()
            self.cancels.start()
            self.monitor.start()
            self.housekeeping.start()
            self._loop()
        finally:
            self._shutdown()

    def _recover_own_claims(self) -> None:
        # A restart under the same WORKER_ID (the launcher's and compose's default) finds the
        # claims its crashed predecessor held; our heartbeat keeps the reaper away from them,
        # so they go back to the queue now (the next claimer re-attaches to their prompts).
        try:
            self.claims.recover_orphans()
        except redis_lib.RedisError as exc:
            logger.warning("worker claim recovery failed (heartbeat retries) error=%s", exc)

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self.loop_tick = time.monotonic()
            if not self.monitor.online:
                self.state = "engine_offline"  # leave jobs queued for workers whose engine is up
                self.monitor.wait_online(0.5)
                continue
            if not self.claims.wait_below(self.settings.max_inflight, 0.5):
                self.state = "busy"
                continue
            self.state = "running" if len(self.claims) else "idle"
            try:
                slot = self.claims.take(self.tuning.claim_wait_s)
            except redis_lib.RedisError as exc:
                failures += 1
                logger.warning("worker claim failed error=%s", exc)
                self._stop.wait(retry_delay(failures, 5.0))
                continue
            failures = 0
            if slot is None:
                continue
            if not self.monitor.online:
                # The engine went away while we blocked in take(): let another worker have it.
                self.claims.hand_back(slot)
                continue
            self._pool.submit(self._run_job, slot)

    def _run_job(self, slot: JobSlot) -> None:
        """Run a held job until it has an outcome, pausing (not failing) through outages."""
        try:
            outcome = retry_through_outages(
                slot,
                lambda: self.runner.run(slot),
                cap_s=self.tuning.fault_backoff_cap_s,
                doing="paused",
            )
        except Exception as exc:
            if outage_kind(exc) is not None:
                outcome = "handed_back"  # stopping mid-outage: the next claimer resumes it
            else:
                # A bug: the attempt stays spent, so a job that always hits it ends as
                # poison after MAX_ATTEMPTS instead of looping.
                logger.exception("job=%s crashed in worker; handing it back", slot.job_id)
                outcome = "error"
        if outcome in ("handed_back", "error"):
            self.claims.hand_back(slot)
        else:
            self.claims.ack(slot)
        self.outcomes[slot.job_id] = outcome  # after the release: an outcome means "let go"

    def _shutdown(self) -> None:
        self.state = "stopping"
        held = [slot.job_id for slot in self.claims.held()]
        logger.info("worker stopping id=%s in_flight=%s", self.worker_id, held)
        grace = self.tuning.grace_s
        self.claims.wait_empty(self.settings.stop_grace_s if grace is None else grace)
        for slot in self.claims.held():
            slot.handing_back.set()
            slot.interrupt_wait("worker stopping")
        self.claims.wait_empty(self.tuning.http_timeout_s + 5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            # Whatever is still claimed goes back to the queue at once (no heartbeat lapse).
            self.queue.retire(self.worker_id)
        except redis_lib.RedisError as exc:
            logger.warning("worker retire failed (reaper will requeue) error=%s", exc)
        self.housekeeping.stop()
        self.cancels.stop()
        self.monitor.stop()
        self.client.close()
        self.db.dispose()
        self.redis.close()
        self.state = "stopped"
        self.stopped.set()
        logger.info("worker stopped id=%s", self.worker_id)

    # ---- called by other threads -------------------------------------------------------
    def on_cancel(self, job_id: str) -> None:
        """A cancel was requested: stop the job if it is ours (queued ones never reach us)."""
        slot = self.claims.get(job_id)
        if slot is None or slot.cancel_requested.is_set():
            return
        logger.info("job=%s cancel requested submitted=%s", job_id, slot.submitted)
        slot.cancel_requested.set()
        self.runner.cancel_in_comfy(slot)

    def heartbeat_info(self) -> dict:
        """What this worker is doing, for the heartbeat record."""
        jobs = [slot.summary() for slot in self.claims.held()]
        info = self.monitor.info
        return {
            "state": self.state,
            "backend": self.comfyui_url,
            "engine_online": self.monitor.online,
            "engine_version": info.version if info else None,
            "simulator": bool(info and info.simulator),
            "jobs": jobs,
            "max_inflight": self.settings.max_inflight,
            "pid": os.getpid(),
            "version": studio_version(),
        }


def studio_version() -> str:
    """The installed studio version (or "dev" when running from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("comfyui-studio")
    except PackageNotFoundError:
        return "dev"
