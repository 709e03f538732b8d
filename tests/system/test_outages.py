"""Issue 7, rows 3 and 4 plus a freeze: the database goes away mid-batch, no job is stranded.

Measured before: MariaDB stopped 20 s left 7 of 30 jobs "processing" forever (the failed
run's hand-back was re-adopted by its own worker's heartbeat), stopped 60 s with the default
TTL left 6, and the worker wrote 3,495 tracebacks in 20 s requeueing the job it could not
record. Each run uses a private MariaDB (its own data dir and port), never the machine's.
"""

from __future__ import annotations

import logging
import time

import pytest
import requests

from tests.system.tally import assert_once_each, submit_batch, tracebacks, wait_all

logger = logging.getLogger(__name__)

JOBS = 30


def _readyz(studio) -> int:
    try:
        return requests.get(studio.url + "/readyz", timeout=15).status_code
    except requests.RequestException:
        return 0


@pytest.mark.chaos
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("fault", "seconds", "ttl"),
    [("stop", 20, "6"), ("stop", 60, "30"), ("freeze", 20, "6")],
    ids=["stopped-20s", "stopped-60s-default-ttl", "frozen-20s"],
)
def test_database_outage_strands_no_job(make_studio, private_mariadb, fault, seconds, ttl):
    studio = make_studio(
        f"db-{fault}-{seconds}",
        workers=2,
        sim_args=("--node-ms", "10", "--step-ms", "80"),
        DATABASE_URL=private_mariadb.url,
        HEARTBEAT_TTL_S=ttl,
        DB_TIMEOUT_S="3",
    )
    job_ids = submit_batch(studio, JOBS, prompt=f"outage {fault}", params={"steps": 8})
    time.sleep(2.0)  # workers are mid-batch
    if fault == "stop":
        private_mariadb.stop()
    else:
        private_mariadb.freeze()
    started = time.monotonic()
    # Readiness tells the truth within seconds, frozen or stopped.
    answered = time.monotonic()
    code = _readyz(studio)
    answered = time.monotonic() - answered
    assert code == 503 and answered < 10, (code, answered)
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    if fault == "stop":
        private_mariadb.start()
    else:
        private_mariadb.thaw()
    tally = wait_all(studio, job_ids, timeout=240)
    counts = tally.counts
    flood = tracebacks(studio)
    logger.info(
        "db outage %s %ss ttl=%s tally=%s tracebacks=%s", fault, seconds, ttl, counts, flood
    )
    assert counts == {
        "accepted": JOBS,
        "finished": JOBS,
        "failed": 0,
        "cancelled": 0,
        "stuck": 0,
    }, tally.errors()
    assert_once_each(studio, tally)
    assert flood <= 10, flood  # paused with backoff and one warning per retry, not a hot loop
    assert _readyz(studio) == 200
