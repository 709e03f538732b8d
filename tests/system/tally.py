"""Helpers for the fault tests: submit a batch, tally how every job ended, count tracebacks.

The tally is the table of issue 7: accepted / finished / failed / stuck. "Stuck" is a job
still queued or processing when the test's deadline for the whole batch has passed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from studio_ops.live_stack import LiveStudio
from tests.system.helpers import TERMINAL, StudioDb, sim_output_files

logger = logging.getLogger(__name__)


@dataclass
class Tally:
    """How a batch of accepted jobs ended."""

    jobs: dict[str, dict] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """accepted, finished, failed, cancelled and stuck."""
        statuses = Counter(job["status"] for job in self.jobs.values())
        return {
            "accepted": len(self.jobs),
            "finished": statuses["finished"],
            "failed": statuses["failed"],
            "cancelled": statuses["cancelled"],
            "stuck": sum(n for status, n in statuses.items() if status not in TERMINAL),
        }

    def errors(self) -> Counter:
        """Failure reasons and how often each was seen."""
        return Counter(j["error"] for j in self.jobs.values() if j["status"] == "failed")


def submit_batch(studio: LiveStudio, count: int, prompt: str = "fault", **body) -> list[str]:
    """Submit `count` text-to-image jobs (each must be accepted)."""
    body.setdefault("workflow", "text_to_image")
    return [studio.generate(prompt=f"{prompt} {n}", **body)["job_id"] for n in range(count)]


def wait_all(studio: LiveStudio, job_ids: list[str], timeout: float) -> Tally:
    """Poll until every job is terminal or the deadline passes; the tally either way."""
    deadline = time.monotonic() + timeout
    tally = Tally()
    pending = list(job_ids)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            try:
                job = studio.status(job_id)
            except requests.RequestException:
                continue  # the backend may answer 503 while a service is down
            tally.jobs[job_id] = job
            if job["status"] in TERMINAL:
                pending.remove(job_id)
        if pending:
            time.sleep(0.25)
    for job_id in pending:
        tally.jobs[job_id] = studio.status(job_id)
    logger.info("fault tally %s errors=%s", tally.counts, dict(tally.errors()))
    return tally


def assert_once_each(studio: LiveStudio, tally: Tally) -> None:
    """0 duplicated: one terminal event per job, and no finished job rendered twice."""
    db = StudioDb(studio)
    try:
        for job_id, job in tally.jobs.items():
            assert db.terminal_events(job_id) == [job["status"]], (job_id, job)
            if job["status"] == "finished":
                assert len(db.output_rows(job_id)) == job["batch_size"], job
                files = sim_output_files(studio, job_id)
                assert len(files) == job["batch_size"], (job_id, files)
    finally:
        db.close()


def tracebacks(studio: LiveStudio, service: str = "worker") -> int:
    """Tracebacks written to `logs/<service>.log*` (each record is one line with exc=)."""
    log_dir = Path(studio.env["LOG_DIR"])
    return sum(
        line.count(" exc=Traceback")
        for path in log_dir.glob(f"{service}.log*")
        for line in path.read_text(errors="replace").splitlines()
    )


def log_lines(studio: LiveStudio, needle: str, service: str = "worker") -> int:
    """Lines of `logs/<service>.log*` containing `needle`."""
    log_dir = Path(studio.env["LOG_DIR"])
    return sum(
        needle in line
        for path in log_dir.glob(f"{service}.log*")
        for line in path.read_text(errors="replace").splitlines()
    )
