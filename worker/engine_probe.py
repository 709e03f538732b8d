"""What our ComfyUI can do and whether it answers: probes, the online flag, waiting for it.

`EngineMonitor` runs on its own thread: a probe every `interval` seconds while the engine is
up, and jittered exponential backoff while it is down. Jobs that hit `ComfyUnavailable` call
`mark_unreachable()` (the probe loop then retries quickly) and `wait_online()`.
"""

from __future__ import annotations

import logging
import random
import threading
import time

import redis as redis_lib

from studio_core.engines import EngineInfo, EngineRegistry
from worker.comfy.client import ComfyClient
from worker.comfy.errors import ComfyError
from worker.model_families import FamilyReader

logger = logging.getLogger(__name__)

RETRY_BASE_S = 0.5


def probe_engine(
    client: ComfyClient, worker_id: str, family_reader: FamilyReader | None = None
) -> EngineInfo:
    """Ask ComfyUI for its version, node classes and model files (and with `family_reader`
    their families); offline info if it fails."""
    try:
        stats = client.system_stats()
        node_classes = frozenset(client.object_info())
        models = {folder: client.list_models(folder) for folder in client.list_model_folders()}
        families = family_reader.families(models) if family_reader else {}
    except ComfyError as exc:
        return EngineInfo(
            url=client.base_url,
            online=False,
            worker_id=worker_id,
            checked_at=time.time(),
            error=exc.message,
        )
    system = stats.get("system") or {}
    return EngineInfo(
        url=client.base_url,
        online=True,
        simulator=bool(system.get("simulator")),
        version=system.get("comfyui_version"),
        node_classes=node_classes,
        models=models,
        families=families,
        worker_id=worker_id,
        checked_at=time.time(),
    )


def retry_delay(failures: int, cap: float) -> float:
    """Full-jitter backoff: uniform in [d/2, d], d = min(cap, RETRY_BASE_S * 2**failures)."""
    delay = min(cap, RETRY_BASE_S * 2 ** max(failures, 0))
    return random.uniform(delay / 2, delay)


class EngineMonitor:
    """The worker's view of its ComfyUI: online flag, last probe, and the probe thread."""

    def __init__(
        self,
        client: ComfyClient,
        registry: EngineRegistry,
        worker_id: str,
        *,
        interval: float = 30.0,
        backoff_cap: float = 10.0,
        metadata_budget: int = 50,
    ):
        self.client = client
        self.registry = registry
        self.worker_id = worker_id
        self.interval = interval
        self.backoff_cap = backoff_cap
        self.info: EngineInfo | None = None
        # Per monitor, so each engine's files are read once (see worker.model_families).
        self.families = FamilyReader(client, budget=metadata_budget)
        self._online = threading.Event()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._failures = 0
        self._thread: threading.Thread | None = None

    @property
    def online(self) -> bool:
        """The last probe (or job call) found ComfyUI answering."""
        return self._online.is_set()

    def start(self) -> None:
        """Probe once now, then keep probing on a daemon thread."""
        self.probe_now()
        self._thread = threading.Thread(target=self._run, name="engine-probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the probe thread."""
        self._stopping.set()
        self._wake.set()
        self._online.set()  # release wait_online() callers; they re-check and see the stop
        if self._thread is not None:
            self._thread.join(timeout=5)

    def mark_unreachable(self, error: str) -> None:
        """A job could not reach ComfyUI: stop claiming and probe again soon."""
        if self._online.is_set():
            logger.warning("engine unreachable url=%s error=%s", self.client.base_url, error)
        self._online.clear()
        self._wake.set()

    def wait_online(self, timeout: float) -> bool:
        """Block until ComfyUI answers again (or the monitor stops); False on timeout."""
        return self._online.wait(max(timeout, 0)) and not self._stopping.is_set()

    def probe_now(self) -> EngineInfo:
        """Probe, update the online flag and publish what we found to the registry."""
        info = probe_engine(self.client, self.worker_id, self.families)
        was_online = self._online.is_set()
        self.info = info
        if info.online:
            self._failures = 0
            self._online.set()
            if not was_online:
                logger.info(
                    "engine online url=%s version=%s simulator=%s nodes=%s",
                    info.url,
                    info.version,
                    info.simulator,
                    len(info.node_classes),
                )
        else:
            self._failures += 1
            self._online.clear()
            if was_online or self._failures == 1:
                logger.warning("engine offline url=%s error=%s", info.url, info.error)
        try:
            # A record lives for a few probe periods, so a dead worker's engine drops out.
            self.registry.publish(info, ttl=max(3 * self.interval, 10.0))
        except redis_lib.RedisError as exc:  # Redis trouble must not stop the probe loop
            logger.warning("engine publish failed url=%s error=%s", info.url, exc)
        return info

    def _run(self) -> None:
        while not self._stopping.is_set():
            delay = (
                self.interval
                if self._online.is_set()
                else retry_delay(self._failures, self.backoff_cap)
            )
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.probe_now()
