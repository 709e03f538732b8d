"""How a run ends early: exceptions raised inside it, each turned into one write by the runner.

JobOutcome         raised inside a run to end it:
├── JobFailed      -> failed with a readable reason
├── JobCancelled   -> cancelled (never failed)
├── JobHandedBack  -> the worker is stopping: the job goes back to the queue
└── JobFencedOut   -> a newer attempt (or the user) owns the job now: only ack
"""

from __future__ import annotations


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
