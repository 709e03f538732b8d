"""Running a write transaction again when MySQL/MariaDB chose it as a deadlock's victim.

InnoDB breaks a deadlock by rolling one of the transactions back whole (error 1213) and lets
the other go on; MySQL's manual asks applications to be ready to issue it again. Before, the
victim's caller got the error: the worker paused as for an outage and a user's request was
answered 503. Now the transaction runs again at once, a few times, with a short jittered pause
so the two do not meet in the same order again; only when every run loses does the caller see
the error (still a transient outage: 503, or the worker's pause).

A lock wait timeout (1205) is not run again here: its transaction already waited the whole
timeout, and the caller's outage handling spaces the next try. Decorate only a function whose
database work is that one transaction and that does nothing outside it before it ends: it is
run again from the start.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from studio_core.outages import is_deadlock

logger = logging.getLogger(__name__)

DEADLOCK_RUNS = 4  # the first run and up to three more
_PAUSE_S = 0.02  # times the run number, jittered by half either way

P = ParamSpec("P")
R = TypeVar("R")


def rerun_deadlock_victims(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` again (up to DEADLOCK_RUNS runs in all) when a run ends as a deadlock's victim."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if attempt >= DEADLOCK_RUNS or not is_deadlock(exc):
                    raise
                logger.info("deadlock victim run again fn=%s run=%s", fn.__qualname__, attempt)
            time.sleep(_PAUSE_S * attempt * random.uniform(0.5, 1.5))
            attempt += 1

    return run
