"""POST /api/jobs/cancel-all: every active job of the caller, each cancelled as one cancel is;
never another user's (an admin's everyone-cancel only on an explicit `all=1`); CSRF-guarded."""

from __future__ import annotations

from tests.backend.helpers import (
    USER_PASSWORD,
    finish_job,
    login_client,
    services,
    submit,
)


def _running(app, client) -> str:
    """A job of `client`'s user that a worker took (claimed, processing)."""
    job_id = submit(client).get_json()["job_id"]
    s = services(app)
    s.queue.remove(job_id)  # out of the waiting list, as a claim takes it
    assert s.repo.attempts.claim(job_id, "w1") is not None
    return job_id


def _status(app, job_id: str) -> str:
    return services(app).repo.get(job_id)["status"]


def test_cancel_all_stops_my_queued_and_running_jobs_and_no_one_elses(app, user_client):
    a, b = user_client["a"], user_client["b"]
    s = services(app)
    done = submit(a).get_json()["job_id"]
    finish_job(app, done)
    running = _running(app, a)
    queued = submit(a).get_json()["job_id"]
    others = [submit(b).get_json()["job_id"], _running(app, b)]

    resp = a.post("/api/jobs/cancel-all")
    assert resp.status_code == 200
    assert resp.get_json() == {"cancelled": [running, queued]}  # oldest first
    for job_id in (running, queued):
        assert _status(app, job_id) == "cancelled"
        assert s.queue.is_cancel_requested(job_id)  # what the workers listen for
        assert s.live.get(job_id)["status"] == "cancelled"
    assert s.queue.position(queued) is None  # out of the queue: no worker will take it
    assert _status(app, done) == "finished"
    # B's jobs: untouched, still waiting or running, no cancel flag.
    assert [_status(app, j) for j in others] == ["queued", "processing"]
    assert s.queue.position(others[0]) == 0
    assert not any(s.queue.is_cancel_requested(j) for j in others)
    again = a.post("/api/jobs/cancel-all")  # nothing left: an empty list, not an error
    assert again.status_code == 200 and again.get_json() == {"cancelled": []}


def test_an_admin_cancels_only_their_own_unless_asking_for_everyone(app, client, user_client):
    mine = submit(client).get_json()["job_id"]
    theirs = [submit(user_client["a"]).get_json()["job_id"], _running(app, user_client["b"])]
    assert client.post("/api/jobs/cancel-all").get_json() == {"cancelled": [mine]}
    assert [_status(app, j) for j in theirs] == ["queued", "processing"]
    everyone = client.post("/api/jobs/cancel-all?all=1")
    assert everyone.status_code == 200 and everyone.get_json() == {"cancelled": theirs}
    assert [_status(app, j) for j in theirs] == ["cancelled", "cancelled"]


def test_a_plain_user_may_not_cancel_everyones(app, client, user_client):
    admin_job = submit(client).get_json()["job_id"]
    own = submit(user_client["a"]).get_json()["job_id"]
    resp = user_client["a"].post("/api/jobs/cancel-all?all=1")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "all"
    assert _status(app, admin_job) == "queued" and _status(app, own) == "queued"


def test_cancel_all_with_a_session_cookie_needs_the_csrf_token(app, users):
    page = login_client(app, "alice", USER_PASSWORD)
    job_id = submit(page, headers={"X-CSRF-Token": page.csrf}).get_json()["job_id"]
    refused = page.post("/api/jobs/cancel-all")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    cross = page.post(
        "/api/jobs/cancel-all",
        headers={"X-CSRF-Token": page.csrf, "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert _status(app, job_id) == "queued"
    resp = page.post("/api/jobs/cancel-all", headers={"X-CSRF-Token": page.csrf})
    assert resp.status_code == 200 and resp.get_json() == {"cancelled": [job_id]}
