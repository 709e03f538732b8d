"""The pieces of one job's run that need no ComfyUI: its slot, outcomes, params and clocks.

JobSlot            one job in flight: attempt, watch, cancel/stop flags (shared with the worker)
JobOutcome         raised inside a run to end it:
├── JobFailed      -> failed with a readable reason
├── JobCancelled   -> cancelled (never failed)
├── JobHandedBack  -> the worker is stopping: the job goes back to the queue
└── JobFencedOut   -> a newer attempt (or the user) owns the job now: only ack
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio_core.catalog import Tool, resolve_seed
from studio_core.jobs.params import stored_params
from worker.comfy_errors import ComfyError
from worker.comfy_watch import PromptWatch

logger = logging.getLogger(__name__)


class JobOutcome(Exception):
    """Ends a job's run early with a known outcome."""

    def __init__(self, reason: str = ""):
        super().__init__(reason)
        self.reason = reason


class JobFailed(JobOutcome):
    """The job fails with `reason` (shown to the user)."""


class JobCancelled(JobOutcome):
    """The user cancelled the job; `reason` is the event detail."""


class JobHandedBack(JobOutcome):
    """The worker is stopping; the job is released to the queue unfinished."""


class JobFencedOut(JobOutcome):
    """SQL no longer lets this attempt write (a newer attempt, or a terminal state)."""


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


class EngineClock:
    """How long ComfyUI has been unreachable for one job (reset when it answers again)."""

    def __init__(self, limit_s: float):
        self.limit_s = limit_s
        self._down_since: float | None = None

    def down(self) -> None:
        """ComfyUI did not answer just now."""
        if self._down_since is None:
            self._down_since = time.monotonic()

    def up(self) -> None:
        """ComfyUI answered."""
        self._down_since = None

    @property
    def remaining(self) -> float:
        """Seconds of waiting left before the job fails."""
        if self._down_since is None:
            return self.limit_s
        return self.limit_s - (time.monotonic() - self._down_since)

    def failure(self) -> JobFailed:
        """The failure once the wait is over: "engine unreachable for 10 minutes"."""
        return JobFailed(f"engine unreachable for {human_duration(self.limit_s)}")


def human_duration(seconds: float) -> str:
    """600 -> "10 minutes", 60 -> "1 minute", 45 -> "45 s"."""
    seconds = int(seconds)
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} s"


def job_params(tool: Tool, job: Mapping[str, Any]) -> dict:
    """The tool's validated parameters from a job row (columns win over `params`)."""
    known = set(tool.parameter_ids)
    raw = {key: value for key, value in stored_params(job).items() if key in known}
    params = tool.validate(raw, images=[i["slot"] for i in job.get("inputs") or []])
    if any(p.type == "seed" and params.get(p.id) == -1 for p in tool.parameters):
        # The backend records a resolved seed; a -1 here would make the run unreproducible.
        logger.warning("job=%s has an unresolved seed; using a random one", job["id"])
        params = resolve_seed(params)
    return params


def input_name(job_id: str, slot: str) -> tuple[str, str]:
    """(file name, LoadImage value) for a job's input image uploaded to ComfyUI."""
    filename = f"{job_id}_{slot}.png"
    return filename, f"studio/{filename}"
