"""JobRepository on SQLite and MariaDB/MySQL: idempotency, fencing, poison, cancel, listing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from studio_core.db.tables import LOCAL_USER_ID, jobs
from studio_core.errors import Conflict, InvalidInput, JobNotFound
from studio_core.jobs.states import JobStatus
from tests.core.helpers import add_user

LOCAL = LOCAL_USER_ID


def new_job(repo, user_id=LOCAL, **fields):
    job, created = repo.create({"user_id": user_id, "tool": "text_to_image", **fields})
    assert created
    return job


def statuses(repo, job_id):
    return [(e["status"], e["attempt"]) for e in repo.events(job_id)]


def test_create_records_a_queued_job_with_its_event(repo):
    job = new_job(repo, prompt="a cat", seed=2**62, params={"steps": 8}, batch_size=2)
    assert job["status"] == "queued" and job["attempt"] == 0 and job["max_attempts"] == 3
    assert job["seed"] == 2**62 and job["params"] == {"steps": 8}
    assert job["created_at"].utcoffset() == timedelta(0)
    assert repo.get(job["id"])["prompt"] == "a cat"
    assert statuses(repo, job["id"]) == [("queued", 0)]


def test_same_idempotency_key_and_user_returns_the_same_job(repo, db_engine):
    first = new_job(repo, idempotency_key="k1")
    again, created = repo.create({"user_id": LOCAL, "tool": "other", "idempotency_key": "k1"})
    assert not created and again["id"] == first["id"] and again["tool"] == "text_to_image"
    other_user = add_user(db_engine, "bob")
    theirs, created = repo.create({"user_id": other_user, "tool": "t", "idempotency_key": "k1"})
    assert created and theirs["id"] != first["id"]
    assert repo.list(None)[0] == 2


@pytest.mark.parametrize("seed", [-1, 2**63, "7"])
def test_seeds_outside_bigint_are_rejected(repo, seed):
    with pytest.raises(InvalidInput) as err:
        repo.create({"user_id": LOCAL, "tool": "t", "seed": seed})
    assert err.value.field == "seed"


def test_claim_finish_records_outputs_and_every_transition(repo):
    job = new_job(repo)
    attempt = repo.attempts.claim(job["id"], "w1")
    assert attempt == 1
    assert repo.attempts.set_prompt_id(job["id"], attempt, job["id"])
    assert repo.attempts.set_progress(job["id"], attempt, 40)
    assert not repo.attempts.set_progress(job["id"], attempt, 30)  # never backwards
    outputs = [
        {
            "idx": n,
            "filename": f"{job['id']}_{n}.png",
            "thumb_filename": f"{job['id']}_{n}.webp",
            "width": 64,
            "height": 32,
            "size_bytes": 100,
        }
        for n in range(2)
    ]
    assert repo.attempts.finish(job["id"], attempt, outputs)
    done = repo.get(job["id"])
    assert done["status"] == "finished" and done["progress"] == 100 and done["worker_id"] == "w1"
    assert [o["filename"] for o in done["outputs"]] == [o["filename"] for o in outputs]
    assert done["started_at"] <= done["finished_at"]
    assert statuses(repo, job["id"]) == [("queued", 0), ("processing", 1), ("finished", 1)]


def test_a_stale_attempt_is_fenced_out(repo):
    job = new_job(repo)
    old = repo.attempts.claim(job["id"], "w1")
    new = repo.attempts.claim(job["id"], "w2")  # redelivered after w1's heartbeat lapsed
    assert (old, new) == (1, 2)
    assert not repo.attempts.finish(job["id"], old, [])
    assert not repo.attempts.fail(job["id"], old, "late failure")
    assert not repo.attempts.set_prompt_id(job["id"], old, "x")
    assert repo.get(job["id"])["status"] == "processing"
    assert repo.attempts.finish(job["id"], new, [])
    assert not repo.attempts.finish(job["id"], new, [])  # terminal now
    assert repo.attempts.claim(job["id"], "w3") is None


def test_a_job_that_keeps_killing_workers_is_failed_as_poison(repo):
    job = new_job(repo, max_attempts=2)
    assert repo.attempts.claim(job["id"], "w1") == 1
    assert repo.attempts.claim(job["id"], "w2") == 2
    assert repo.attempts.claim(job["id"], "w3") is None
    failed = repo.get(job["id"])
    assert failed["status"] == "failed" and failed["error"] == "gave up after 2 attempts"
    assert statuses(repo, job["id"])[-1] == ("failed", 2)


def test_hand_backs_refund_the_attempt_and_never_make_a_job_poison(repo):
    job = new_job(repo, max_attempts=2)
    for n in range(1, 5):  # four graceful stops in a row
        assert repo.attempts.claim(job["id"], f"w{n}") == n
        assert repo.attempts.release(job["id"], n, "worker stopped; handed back")
    assert not repo.attempts.is_exhausted(job["id"])
    assert repo.attempts.claim(job["id"], "w5") == 5  # the fencing token still grows
    assert repo.get(job["id"])["status"] == "processing"


def test_an_exhausted_job_can_wait_for_a_look_at_comfyui_before_it_is_failed(repo):
    job = new_job(repo, max_attempts=1)
    assert repo.attempts.claim(job["id"], "w1") == 1
    assert repo.attempts.claim(job["id"], "w2", give_up=False) is None
    assert repo.attempts.is_exhausted(job["id"]) and repo.get(job["id"])["status"] == "processing"
    assert (
        repo.attempts.claim(job["id"], "w2", final=True) == 2
    )  # one last attempt collects a result
    assert repo.attempts.holds(job["id"], 2) and not repo.attempts.holds(job["id"], 1)
    assert repo.attempts.give_up(job["id"])
    failed = repo.get(job["id"])
    assert failed["status"] == "failed" and failed["error"] == "gave up after 2 attempts"


def test_cancel_is_idempotent_and_stops_claims(repo):
    job = new_job(repo)
    cancelled, previous = repo.cancel(job["id"], LOCAL)
    assert (cancelled["status"], previous) == ("cancelled", "queued")
    again, previous = repo.cancel(job["id"], LOCAL)
    assert (again["status"], previous) == ("cancelled", "cancelled")
    assert repo.attempts.claim(job["id"], "w1") is None
    assert [s for s, _ in statuses(repo, job["id"])] == ["queued", "cancelled"]


def test_cancel_while_processing_wins_over_a_late_result(repo):
    job = new_job(repo)
    attempt = repo.attempts.claim(job["id"], "w1")
    _, previous = repo.cancel(job["id"], None)
    assert previous == "processing"
    assert not repo.attempts.finish(job["id"], attempt, [])
    assert repo.attempts.mark_cancelled_by_worker(job["id"], attempt)
    assert repo.get(job["id"])["status"] == "cancelled"
    # The user's cancel and the worker's confirmation make one transition, not two.
    assert [e["status"] for e in repo.events(job["id"])] == ["queued", "processing", "cancelled"]


def test_cancel_refuses_finished_jobs_and_other_users(repo, db_engine):
    job = new_job(repo)
    repo.attempts.finish(job["id"], repo.attempts.claim(job["id"], "w"), [])
    with pytest.raises(Conflict):
        repo.cancel(job["id"], LOCAL)
    mine = new_job(repo)
    stranger = add_user(db_engine, "eve")
    with pytest.raises(JobNotFound):
        repo.cancel(mine["id"], stranger)
    with pytest.raises(JobNotFound):
        repo.get(mine["id"], stranger)


def test_fail_without_attempt_and_release(repo):
    queued = new_job(repo)
    assert repo.attempts.fail(queued["id"], None, "engine unreachable for 10 minutes")
    assert repo.get(queued["id"])["error"] == "engine unreachable for 10 minutes"
    running = new_job(repo)
    attempt = repo.attempts.claim(running["id"], "w1")
    assert repo.attempts.release(running["id"], attempt, "worker stopping")
    assert repo.get(running["id"])["status"] == "queued"
    assert repo.attempts.claim(running["id"], "w2") == 2


def test_list_has_a_real_total_filters_and_search(repo, db_engine):
    other = add_user(db_engine, "zoe")
    prompts = ["Red fox", "blue whale", "red panda 50%", "green frog", "a_red_fox"]
    jobs = [new_job(repo, prompt=p, tool="t2i" if i % 2 else "edit") for i, p in enumerate(prompts)]
    new_job(repo, user_id=other, prompt="red herring")
    repo.attempts.finish(jobs[0]["id"], repo.attempts.claim(jobs[0]["id"], "w"), [])
    repo.set_favorite(jobs[1]["id"], LOCAL, True)

    total, page = repo.list(LOCAL, limit=2, offset=0)
    assert total == 5 and [j["id"] for j in page] == [jobs[4]["id"], jobs[3]["id"]]
    assert repo.list(LOCAL, limit=2, offset=4)[1][0]["id"] == jobs[0]["id"]
    assert repo.list(None)[0] == 6
    assert repo.list(LOCAL, q="RED")[0] == 3
    assert repo.list(LOCAL, q="50%")[1][0]["prompt"] == "red panda 50%"
    assert repo.list(LOCAL, q="d_f")[0] == 1  # "_" is literal: "Red fox" must not match
    assert repo.list(LOCAL, status="finished")[0] == 1
    assert repo.list(LOCAL, tool="t2i")[0] == 2
    assert [j["id"] for j in repo.list(LOCAL, favorite=True)[1]] == [jobs[1]["id"]]
    assert repo.list(LOCAL, favorite=False)[0] == 4
    assert repo.list(LOCAL, active=True)[0] == 4 and repo.list(LOCAL, active=False)[0] == 1
    with pytest.raises(InvalidInput):
        repo.list(LOCAL, status="bogus")
    with pytest.raises(InvalidInput):
        repo.list(LOCAL, limit=0)


def test_soft_delete_hides_the_job_and_returns_its_files(repo, db_engine):
    job = new_job(repo)
    with pytest.raises(Conflict):
        repo.soft_delete(job["id"], LOCAL)  # still queued
    outputs = [
        {
            "idx": 0,
            "filename": "a_0.png",
            "thumb_filename": "a_0.webp",
            "width": 1,
            "height": 1,
            "size_bytes": 1,
        }
    ]
    repo.attempts.finish(job["id"], repo.attempts.claim(job["id"], "w"), outputs)
    assert repo.soft_delete(job["id"], LOCAL) == ["outputs/a_0.png", "outputs/thumbs/a_0.webp"]
    with pytest.raises(JobNotFound):
        repo.get(job["id"])
    with pytest.raises(JobNotFound):
        repo.soft_delete(job["id"], LOCAL)
    assert repo.list(LOCAL)[0] == 0
    with db_engine.connect() as conn:  # the row stays, soft-deleted
        assert conn.execute(sa.select(jobs.c.deleted_at)).scalar() is not None


def test_active_jobs_and_counts(repo):
    a, b, c = new_job(repo), new_job(repo), new_job(repo)
    repo.attempts.claim(b["id"], "w")
    repo.cancel(c["id"], LOCAL)
    assert [j["id"] for j in repo.active_jobs()] == [a["id"], b["id"]]
    assert {j["status"] for j in repo.active_jobs()} == {"queued", "processing"}
    counts = repo.counts_by_status()
    assert counts == {"queued": 1, "processing": 1, "finished": 0, "failed": 0, "cancelled": 1}
    assert set(counts) == {s.value for s in JobStatus}


def test_concurrent_submits_and_claims_do_not_collide(repo):
    def submit(_):
        job, created = repo.create({"user_id": LOCAL, "tool": "t", "idempotency_key": "race"})
        return job["id"], created

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(submit, range(6)))
    assert len({job_id for job_id, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1

    job = new_job(repo, max_attempts=10)
    with ThreadPoolExecutor(max_workers=6) as pool:
        attempts = list(pool.map(lambda n: repo.attempts.claim(job["id"], f"w{n}"), range(6)))
    assert sorted(attempts) == [1, 2, 3, 4, 5, 6]
