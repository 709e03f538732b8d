"""How long one job has waited for an unreachable ComfyUI, and the failure when it waited enough."""

from __future__ import annotations

import time

from worker.jobs.outcomes import JobFailed


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
