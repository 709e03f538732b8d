"""Riding out an outage of the database, Redis or the disk while holding a job's claim.

An outage is not the job's fault: the job is neither failed nor handed back (which used to
re-deliver it at once, thousands of times a minute), but paused, retried with jittered
backoff, and visible meanwhile in the worker's heartbeat (`slot.waiting`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from studio_core.outages import describe_outage, outage_kind
from worker.engine_probe import retry_delay
from worker.jobs.slot import JobSlot

logger = logging.getLogger(__name__)

T = TypeVar("T")


def retry_through_outages(slot: JobSlot, call: Callable[[], T], *, cap_s: float, doing: str) -> T:
    """Call until it returns; on an outage wait (backoff up to `cap_s`) and call again.

    Anything else propagates at once, and so does the outage once the worker is stopping
    (`slot.handing_back`): the claim then goes back to the queue for the next worker.
    """
    failures = 0
    while True:
        try:
            result = call()
        except Exception as exc:
            kind = outage_kind(exc)
            if kind is None or slot.handing_back.is_set():
                slot.waiting = None
                raise
            failures += 1
            slot.waiting = kind
            delay = retry_delay(failures, cap_s)
            logger.warning(
                "job=%s %s: %s; retry in %.1f s",
                slot.job_id,
                doing,
                describe_outage(kind, exc),
                delay,
            )
            if slot.handing_back.wait(delay):
                slot.waiting = None
                raise
            continue
        slot.waiting = None
        return result
