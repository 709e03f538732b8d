"""The job's status vocabulary and its transition table (pure: no SQL).

    queued -> processing -> finished | failed | cancelled
    queued -> cancelled | failed        processing -> queued (released by a stopping worker)

Every SQL write that changes a status asks this table which statuses it may leave
(`sources_for`), through `studio_core.jobs.transitions.move`.

An active job also has a `JobStage`, finer than its status and kept in live state only
(the worker writes it; it is never stored in SQL): where the job is right now.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from studio_core.errors import Conflict


class JobStatus(str, Enum):
    """The five states of a job, as stored in `jobs.status`."""

    QUEUED = "queued"
    PROCESSING = "processing"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


class JobStage(str, Enum):
    """Where an active job is (the public job's `stage`; None once it ended)."""

    QUEUED = "queued"  # in the studio's queue, waiting for a worker
    STARTING = "starting"  # a worker took it: building the graph, uploading its inputs
    WAITING_ENGINE = "waiting_engine"  # in ComfyUI's own queue, not executing yet
    RUNNING = "running"  # ComfyUI executes it
    STORING = "storing"  # ComfyUI is done; the worker stores the images

    def __str__(self) -> str:
        return self.value


# Tuples in lifecycle order: Redis key layouts and SQL statements built from them are stable.
ACTIVE = (JobStatus.QUEUED, JobStatus.PROCESSING)
TERMINAL = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED)
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.PROCESSING, JobStatus.CANCELLED, JobStatus.FAILED}),
    # processing -> processing is a redelivery (a new attempt after a worker died).
    JobStatus.PROCESSING: frozenset(
        {
            JobStatus.PROCESSING,
            JobStatus.QUEUED,
            JobStatus.FINISHED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        }
    ),
    JobStatus.FINISHED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def is_terminal(status: str) -> bool:
    """True for finished, failed and cancelled."""
    return JobStatus(status) in TERMINAL


def can_transition(current: str, new: str) -> bool:
    """Whether a job may move from `current` to `new`."""
    return JobStatus(new) in TRANSITIONS[JobStatus(current)]


def check_transition(current: str, new: str) -> None:
    """Raise Conflict when a job may not move from `current` to `new`."""
    if not can_transition(current, new):
        raise Conflict(f"job is {current} and cannot become {new}")


def sources_for(new: JobStatus, among: Iterable[JobStatus] | None = None) -> tuple[JobStatus, ...]:
    """The statuses a job may leave for `new`, in lifecycle order (optionally only `among`).

    Asking for a source the table forbids is a programming error, so it raises ValueError
    rather than quietly writing nothing.
    """
    allowed = tuple(s for s in JobStatus if new in TRANSITIONS[s])
    if among is None:
        return allowed
    wanted = tuple(among)
    forbidden = [str(s) for s in wanted if s not in allowed]
    if forbidden:
        raise ValueError(f"no transition from {forbidden} to {new}")
    return tuple(s for s in allowed if s in wanted)
