"""One job in flight: the slot the worker, its claim book and the job's thread share."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from worker.comfy.errors import ComfyError
from worker.comfy.watch import PromptWatch


class StopWaiting(ComfyError):
    """Injected into a PromptWatch to end its wait() early (cancel or worker stop)."""


@dataclass
class JobSlot:
    """One claimed job as the worker tracks it while a pool thread runs it."""

    job_id: str
    user_id: str
    attempt: int | None = None
    watch: PromptWatch | None = None
    submitted: bool = False
    # claimed -> submitted -> running -> storing -> acked | handed_back (see worker.claims)
    stage: str = "claimed"
    waiting: str | None = None  # why the run is paused (database, redis, disk), for the heartbeat
    started: float = field(default_factory=time.monotonic)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    handing_back: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def interrupt_wait(self, reason: str) -> None:
        """Make the job thread's current wait() return now (it then checks the flags)."""
        with self.lock:
            watch = self.watch
        if watch is not None:
            watch.fail(StopWaiting(reason))

    def summary(self) -> dict[str, Any]:
        """What the heartbeat says about this job."""
        return {
            "job_id": self.job_id,
            "attempt": self.attempt,
            "progress": self.watch.progress if self.watch is not None else 0,
            "submitted": self.submitted,
            "stage": self.stage,
            "waiting": self.waiting,
            "seconds": round(time.monotonic() - self.started, 1),
        }
