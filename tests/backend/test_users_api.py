"""The users API (admins): create, list, change, disable, delete; the last admin stays; and
the whole account flow on SQLite and MariaDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from studio_core.db.tables import users as users_table
from tests.backend.helpers import (
    USER_PASSWORD,
    finish_job,
    login_client,
    post_login,
    services,
    session_rows,
    submit,
    token_client,
)

# --- users (admin) ---------------------------------------------------------------------------


def test_admin_creates_lists_and_changes_users(app, client):
    created = client.post(
        "/api/users", json={"username": "dave", "password": USER_PASSWORD, "role": "user"}
    )
    assert created.status_code == 201
    dave = created.get_json()
    assert dave["username"] == "dave" and dave["role"] == "user" and dave["disabled"] is False
    assert [u["username"] for u in client.get("/api/users").get_json()["users"]] == [
        "admin",
        "dave",
    ]
    dup = client.post("/api/users", json={"username": "dave", "password": USER_PASSWORD})
    assert dup.status_code == 409 and dup.get_json()["error"]["field"] == "username"
    promoted = client.patch(f"/api/users/{dave['id']}", json={"role": "admin"}).get_json()
    assert promoted["role"] == "admin"
    reset = client.patch(f"/api/users/{dave['id']}", json={"password": "a reset password"})
    assert reset.status_code == 200
    assert post_login(app.test_client(), "dave", "a reset password").status_code == 200
    assert client.patch("/api/users/999", json={"role": "user"}).status_code == 404


@pytest.mark.parametrize(
    "body,field",
    [
        ({"username": "ab", "password": USER_PASSWORD}, "username"),
        ({"username": "bad name", "password": USER_PASSWORD}, "username"),
        ({"username": "x" * 65, "password": USER_PASSWORD}, "username"),
        ({"username": "fine", "password": "short"}, "password"),
        ({"username": "fine", "password": "x" * 1025}, "password"),
        ({"username": "fine", "password": USER_PASSWORD, "role": "root"}, "role"),
    ],
)
def test_user_validation_names_the_field(client, body, field):
    resp = client.post("/api/users", json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == field


def test_the_last_admin_cannot_be_disabled_demoted_or_deleted(client):
    for change in ({"disabled": True}, {"role": "user"}):
        resp = client.patch("/api/users/1", json=change)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "last_admin"
    assert client.delete("/api/users/1").status_code == 409
    assert client.get("/api/auth/me").get_json()["user"]["role"] == "admin"


def test_a_disabled_user_is_locked_out_at_once(app, client, users, user_client):
    session = login_client(app, "alice", USER_PASSWORD)
    assert user_client["a"].get("/api/jobs").status_code == 200
    assert (
        client.patch(f"/api/users/{users['a']['id']}", json={"disabled": True}).status_code == 200
    )
    assert user_client["a"].get("/api/jobs").status_code == 401  # token
    assert session.get("/api/jobs").status_code == 401  # session
    assert post_login(app.test_client(), "alice", USER_PASSWORD).status_code == 401
    client.patch(f"/api/users/{users['a']['id']}", json={"disabled": False})
    assert user_client["a"].get("/api/jobs").status_code == 200  # the token works again


def test_deleting_a_user_deletes_their_jobs_and_files(app, client, users, user_client):
    job = submit(user_client["a"]).get_json()["job_id"]
    assert client.delete(f"/api/users/{users['a']['id']}").status_code == 409  # still queued
    finish_job(app, job)
    output = services(app).paths.outputs / f"{job}_0.png"
    assert output.is_file()
    assert client.delete(f"/api/users/{users['a']['id']}").status_code == 204
    assert not output.exists()
    assert client.get(f"/api/jobs/{job}").status_code == 404
    assert user_client["a"].get("/api/jobs").status_code == 401
    with services(app).db.connect() as conn:
        assert (
            conn.execute(
                sa.select(users_table.c.id).where(users_table.c.username == "alice")
            ).first()
            is None
        )


@pytest.mark.usefixtures("db_engine")
def test_accounts_over_http_on_each_database(db_app):
    """Login, rotation, CSRF, tokens, disable and delete on SQLite and MariaDB."""
    admin = token_client(db_app)
    bob = admin.post("/api/users", json={"username": "bob", "password": USER_PASSWORD})
    assert bob.status_code == 201
    bob_id = bob.get_json()["id"]
    session = login_client(db_app, "bob", USER_PASSWORD)
    again = post_login(session, "bob", USER_PASSWORD).get_json()["csrf_token"]
    assert again != session.csrf and session_rows(db_app) == 1
    token = session.post("/api/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": again})
    assert token.status_code == 201
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert submit(session, headers={"X-CSRF-Token": again}).status_code == 202
    assert admin.patch(f"/api/users/{bob_id}", json={"disabled": True}).status_code == 200
    assert session.get("/api/auth/me").status_code == 401
    assert db_app.test_client().get("/api/auth/me", headers=bearer).status_code == 401
    assert admin.delete(f"/api/users/{bob_id}").status_code == 409  # bob's job is queued
    assert admin.get("/api/jobs?all=1").get_json()["total"] == 1
