"""The job_counts counters equal a fresh GROUP BY, on SQLite and MariaDB/MySQL.

After random sequences of every transition, under concurrent transitions, and when the
0002 migration fills them from rows written at revision 0001.
"""

from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from alembic import command

from studio_core.db.engine import write_transaction
from studio_core.db.migrate import alembic_config, is_up_to_date, upgrade
from studio_core.db.tables import LOCAL_USER_ID, job_counts, jobs
from studio_core.db.utc import utcnow
from studio_core.errors import Conflict, JobNotFound
from studio_core.jobs.counts import (
    apply_deltas,
    count_jobs,
    read_counts,
    recount,
    stored_counts,
)
from studio_core.jobs.repo import JobRepository
from studio_core.jobs.states import JobStatus
from studio_core.outages import is_lock_conflict
from studio_core.retention import retention_sweep
from studio_core.storage import StoragePaths
from tests.core.helpers import add_user

LOCAL = LOCAL_USER_ID
EXPECTED_USER_ERRORS = (Conflict, JobNotFound)  # refusals a random operation may meet


def assert_counters_match(engine) -> None:
    """Counter rows, per owner and overall, equal what the jobs table says."""
    with engine.connect() as conn:
        truth = count_jobs(conn)
        assert stored_counts(conn) == truth
        overall = {s.value: 0 for s in JobStatus}
        for (_, status), n in truth.items():
            overall[status] += n
        assert read_counts(conn) == overall
        for owner in {u for u, _ in truth}:
            mine = {s: n for (u, s), n in truth.items() if u == owner}
            assert {s: n for s, n in read_counts(conn, owner).items() if n} == mine


class RandomDriver:
    """Applies random repository operations to a pool of jobs, as API, worker and sweep do."""

    def __init__(self, repo: JobRepository, rng: random.Random, owners: list[int], paths):
        self.repo, self.rng, self.owners, self.paths = repo, rng, owners, paths
        self.jobs: list[str] = []
        self.attempts: dict[str, int] = {}  # the attempt a "worker" holds per job
        self.conflicts = 0  # transactions rolled back by a MySQL deadlock (see step)

    def step(self) -> str:
        """Run one random operation; returns its name."""
        rng, repo = self.rng, self.repo
        if not self.jobs or rng.random() < 0.2:
            job, _ = repo.create(
                {"user_id": rng.choice(self.owners), "tool": "t", "max_attempts": 2}
            )
            self.jobs.append(job["id"])
            return "create"
        job_id = rng.choice(self.jobs)
        # A stale or missing attempt now and then exercises the fencing paths.
        attempt = self.attempts.get(job_id, 1) - (rng.random() < 0.1)
        op = rng.choice(
            [
                "claim",
                "finish",
                "fail",
                "fail_any",
                "release",
                "cancel",
                "worker_cancel",
                "delete",
                "favorite",
                "retention",
            ]
        )
        try:
            if op == "claim":
                if (new := repo.attempts.claim(job_id, "w1")) is not None:
                    self.attempts[job_id] = new
            elif op == "finish":
                repo.attempts.finish(job_id, attempt, [])
            elif op == "fail":
                repo.attempts.fail(job_id, attempt, "boom")
            elif op == "fail_any":
                repo.attempts.fail(job_id, None, "engine gone")
            elif op == "release":
                repo.attempts.release(job_id, attempt, "shutdown")
            elif op == "cancel":
                repo.cancel(job_id, rng.choice([None, *self.owners]))
            elif op == "worker_cancel":
                repo.attempts.mark_cancelled_by_worker(job_id, attempt)
            elif op == "delete":
                repo.soft_delete(job_id, None)
            elif op == "favorite":
                repo.set_favorite(job_id, None, rng.random() < 0.5)
            elif rng.random() < 0.3:  # retention: rarely, it empties the terminal jobs
                retention_sweep(repo.engine, self.paths, utcnow(), 24, 0)
        except EXPECTED_USER_ERRORS:
            pass
        except sa.exc.DBAPIError as exc:
            # MariaDB picked this transaction as a deadlock's victim on each of its runs (the
            # repository runs a victim again: studio_core.db.retry), or a sweep's (not run
            # again), as it may when 4 threads race on the same rows; the callers treat it as an
            # outage (the worker runs the step again, the API answers 503). The counters must
            # still match.
            if not is_lock_conflict(exc):
                raise
            self.conflicts += 1
        return op


@pytest.mark.parametrize("seed", [7, 2024])
def test_random_transitions_keep_the_counters_equal_to_a_group_by(
    db_engine, owners, tmp_path, seed
):
    driver = RandomDriver(
        JobRepository(db_engine),
        random.Random(seed),
        owners,
        StoragePaths(tmp_path / "storage").ensure(),
    )
    done = set()
    for _ in range(160):
        done.add(driver.step())
        assert_counters_match(db_engine)
    assert {"create", "claim", "finish", "cancel", "delete", "retention"} <= done


def test_concurrent_transitions_keep_the_counters_equal(db_engine, owners, tmp_path):
    paths = StoragePaths(tmp_path / "storage").ensure()
    shared = JobRepository(db_engine)
    pool = [shared.create({"user_id": o, "tool": "t"})[0]["id"] for o in owners * 4]
    start = threading.Barrier(4)

    def run(seed: int) -> None:
        driver = RandomDriver(JobRepository(db_engine), random.Random(seed), owners, paths)
        driver.jobs = list(pool)  # every thread races on the same jobs
        start.wait(timeout=10)
        for _ in range(40):
            driver.step()

    with ThreadPoolExecutor(max_workers=4) as executor:
        for future in [executor.submit(run, seed) for seed in range(4)]:
            future.result(timeout=60)
    assert_counters_match(db_engine)


def test_first_jobs_of_a_new_owner_from_many_processes_count_once_each(db_engine):
    owner = add_user(db_engine, "newcomer")  # no counter rows yet

    def submit(_):
        # A repository per call: each seeds the owner as a fresh process would.
        return JobRepository(db_engine).create({"user_id": owner, "tool": "t"})[0]["id"]

    with ThreadPoolExecutor(max_workers=4) as executor:
        ids = list(executor.map(submit, range(8)))
    assert len(set(ids)) == 8
    assert JobRepository(db_engine).counts_by_status(owner)["queued"] == 8
    assert_counters_match(db_engine)


def test_a_missing_counter_row_is_created_by_the_transition(db_engine):
    owner = add_user(db_engine, "no_rows")
    with write_transaction(db_engine) as conn:
        apply_deltas(conn, {(owner, "queued"): 2, (owner, "failed"): 1})
    with write_transaction(db_engine) as conn:
        apply_deltas(conn, {(owner, "queued"): -1, (owner, "processing"): 1})
        assert read_counts(conn, owner) == {
            "queued": 1,
            "processing": 1,
            "finished": 0,
            "failed": 1,
            "cancelled": 0,
        }


def test_a_rolled_back_transition_leaves_the_counters_alone(db_engine):
    repo = JobRepository(db_engine)
    repo.create({"user_id": LOCAL, "tool": "t"})
    with pytest.raises(RuntimeError), write_transaction(db_engine) as conn:
        apply_deltas(conn, {(LOCAL, "queued"): -1, (LOCAL, "cancelled"): 1})
        raise RuntimeError("the job's own write failed")
    assert repo.counts_by_status(LOCAL)["queued"] == 1
    assert_counters_match(db_engine)


def test_recount_repairs_counters_after_a_direct_sql_edit(db_engine, owners):
    repo = JobRepository(db_engine)
    for owner in owners:
        repo.create({"user_id": owner, "tool": "t"})
    with write_transaction(db_engine) as conn:  # as a bulk import or a bench fill does
        conn.execute(sa.update(jobs).values(status="finished"))
    assert repo.counts_by_status()["queued"] == 3
    with write_transaction(db_engine) as conn:
        recount(conn)
    assert repo.counts_by_status()["finished"] == 3
    assert_counters_match(db_engine)


def test_the_migration_counts_jobs_written_before_it(db_engine):
    with write_transaction(db_engine) as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert "job_counts" not in sa.inspect(db_engine).get_table_names()
    ann = add_user(db_engine, "ann_old")
    # Rows as revision 0001 code wrote them, deleted ones included.
    layout = [(LOCAL, "finished", False)] * 3 + [
        (LOCAL, "queued", False),
        (LOCAL, "failed", True),
        (ann, "cancelled", False),
        (ann, "processing", False),
        (ann, "cancelled", True),
    ]
    now = utcnow()
    with write_transaction(db_engine) as conn:
        for user_id, status, deleted in layout:
            conn.execute(
                sa.insert(jobs).values(
                    id=str(uuid.uuid4()),
                    user_id=user_id,
                    tool="t",
                    status=status,
                    prompt="",
                    params={},
                    batch_size=1,
                    max_attempts=3,
                    favorite=False,
                    created_at=now,
                    updated_at=now,
                    deleted_at=now if deleted else None,
                )
            )
    upgrade(db_engine)
    assert is_up_to_date(db_engine)
    repo = JobRepository(db_engine)
    assert repo.counts_by_status() == {
        "queued": 1,
        "processing": 1,
        "finished": 3,
        "failed": 0,
        "cancelled": 1,
    }
    assert_counters_match(db_engine)
    with db_engine.connect() as conn:  # every user got a row per status, zeros included
        rows = conn.execute(sa.select(sa.func.count()).select_from(job_counts)).scalar()
    assert rows == 2 * len(JobStatus)
