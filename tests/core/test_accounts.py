"""Accounts domain: argon2id hashes and rehash, users and the last-admin rule, sessions,
tokens, credentials, the first admin (also concurrent starts), on SQLite and MariaDB."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import extract_parameters

from studio_core.accounts import bootstrap, credentials, sessions, tokens, users
from studio_core.accounts.passwords import NO_PASSWORD, Passwords, check_password, check_username
from studio_core.config import ConfigError
from studio_core.db.tables import LOCAL_USER_ID, api_tokens
from studio_core.db.tables import sessions as sessions_table
from studio_core.db.tables import users as users_table
from studio_core.db.utc import utcnow
from studio_core.errors import Conflict, InvalidInput, TooManyRequests

CHEAP = Passwords(time_cost=1, memory_kib=8, parallelism=1)


def test_default_hashes_are_argon2id_with_rfc_9106_cost():
    params = extract_parameters(Passwords().hash("a good password"))
    assert params.type.name == "ID"
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)


def test_verify_and_rehash_when_the_parameters_change():
    stored = CHEAP.hash("a good password")
    assert CHEAP.verify(stored, "a good password").ok
    assert CHEAP.verify(stored, "a good password").new_hash is None
    assert not CHEAP.verify(stored, "a wrong password").ok
    stronger = Passwords(time_cost=2, memory_kib=16, parallelism=1)
    checked = stronger.verify(stored, "a good password")
    assert checked.ok and extract_parameters(checked.new_hash).time_cost == 2
    for stored in (None, NO_PASSWORD, "not a hash"):
        assert not CHEAP.verify(stored, "a good password").ok


def test_hashes_run_at_most_max_concurrent_at_once_and_a_login_that_waits_too_long_is_429(
    monkeypatch,
):
    from studio_core.accounts import passwords as module

    monkeypatch.setattr(module, "SLOT_WAIT_S", 0.2)
    hasher = Passwords(time_cost=1, memory_kib=8, parallelism=1, max_concurrent=2)
    stored = hasher.hash("a long enough password")
    running, peak, gate = [0], [0], threading.Event()
    real = hasher.hasher

    class SlowHasher:
        def verify(self, hash_, password):
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            gate.wait(5)
            running[0] -= 1
            return real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(hasher, "hasher", SlowHasher())
    threads = [
        threading.Thread(target=hasher.verify, args=(stored, "a long enough password"))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    while running[0] < 2:
        pass
    with pytest.raises(TooManyRequests) as refused:  # a third waits SLOT_WAIT_S, then 429
        hasher.verify(stored, "a long enough password")
    assert refused.value.retry_after
    gate.set()
    for thread in threads:
        thread.join()
    assert peak[0] == 2
    assert hasher.verify(stored, "a long enough password").ok  # slots are given back


@pytest.mark.parametrize("password", ["123456789", 12345678901, None, "x" * 1025])
def test_password_rules(password):
    with pytest.raises(InvalidInput):
        check_password(password)


@pytest.mark.parametrize("name", ["ab", "a b", "é-name", "x" * 65, "name/slash", 5])
def test_username_rules(name):
    with pytest.raises(InvalidInput):
        check_username(name)
    assert check_username("ok_name.1-2") == "ok_name.1-2"


def test_migration_made_the_seeded_user_the_admin(db_engine):
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(users_table).where(users_table.c.id == LOCAL_USER_ID)).one()
    assert (row.username, row.role, row.password_hash) == ("admin", "admin", NO_PASSWORD)


def test_first_admin_from_the_setting_is_not_overwritten_later(db_engine):
    assert bootstrap.ensure_admin(db_engine, CHEAP, "the first password") is None
    assert bootstrap.ensure_admin(db_engine, CHEAP, "another password") is None
    with db_engine.connect() as conn:
        stored = conn.execute(
            sa.select(users_table.c.password_hash).where(users_table.c.username == "admin")
        ).scalar_one()
    assert CHEAP.verify(stored, "the first password").ok
    assert not CHEAP.verify(stored, "another password").ok


def test_first_admin_generated_once(db_engine):
    generated = bootstrap.ensure_admin(db_engine, CHEAP, None)
    assert generated and len(generated) >= 24
    assert bootstrap.ensure_admin(db_engine, CHEAP, None) is None


def test_a_too_short_admin_password_is_a_config_error(db_engine):
    with pytest.raises(ConfigError, match="STUDIO_ADMIN_PASSWORD"):
        bootstrap.ensure_admin(db_engine, CHEAP, "short")


def test_concurrent_first_starts_set_one_password(db_engine):
    results, barrier = [], threading.Barrier(6)

    def start():
        barrier.wait()
        results.append(bootstrap.ensure_admin(db_engine, CHEAP, None))

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shown = [r for r in results if r is not None]
    assert len(results) == 6 and len(shown) == 1  # printed by exactly one process
    with db_engine.connect() as conn:
        admins = (
            conn.execute(
                sa.select(users_table.c.password_hash).where(users_table.c.role == "admin")
            )
            .scalars()
            .all()
        )
    assert len(admins) == 1 and CHEAP.verify(admins[0], shown[0]).ok


def test_the_last_enabled_admin_stays(db_engine):
    bootstrap.ensure_admin(db_engine, CHEAP, "the first password")
    for change in ({"disabled": True}, {"role": "user"}):
        with pytest.raises(Conflict):
            users.update_user(db_engine, LOCAL_USER_ID, **change)
    with pytest.raises(Conflict):
        users.delete_user(db_engine, LOCAL_USER_ID)
    other = users.create_user(db_engine, "second", CHEAP.hash("x" * 10), "admin")
    users.update_user(db_engine, LOCAL_USER_ID, role="user")  # another admin remains
    with pytest.raises(Conflict):
        users.update_user(db_engine, other["id"], disabled=True)
    assert users.get_user(db_engine, LOCAL_USER_ID)["role"] == "user"


def test_sessions_resolve_expire_and_end_with_a_disabled_user(db_engine):
    user = users.create_user(db_engine, "sam", CHEAP.hash("x" * 10))
    new = sessions.create_session(db_engine, user["id"])
    found = credentials.from_session(db_engine, new.cookie_value)
    assert (found.user_id, found.via, found.csrf_token) == (user["id"], "session", new.csrf_token)
    assert credentials.from_session(db_engine, new.cookie_value + "x") is None
    with db_engine.begin() as conn:
        stored = conn.execute(sa.select(sessions_table.c.id)).scalars().all()
        assert stored == [sessions.session_id(new.cookie_value)]  # never the cookie itself
        conn.execute(sa.update(sessions_table).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert credentials.from_session(db_engine, new.cookie_value) is None
    assert sessions.purge_expired(db_engine) == 1
    again = sessions.create_session(db_engine, user["id"])
    users.update_user(db_engine, user["id"], disabled=True)
    assert credentials.from_session(db_engine, again.cookie_value) is None


def test_tokens_resolve_record_use_once_a_minute_and_revoke(db_engine):
    user = users.create_user(db_engine, "tia", CHEAP.hash("x" * 10))
    token = tokens.create_token(db_engine, user["id"], "ci")
    assert credentials.from_token(db_engine, token["token"]).token_id == token["id"]
    first = tokens.list_tokens(db_engine, user["id"])[0]["last_used_at"]
    assert first is not None
    credentials.from_token(db_engine, token["token"])
    assert tokens.list_tokens(db_engine, user["id"])[0]["last_used_at"] == first
    with db_engine.begin() as conn:
        conn.execute(sa.update(api_tokens).values(last_used_at=utcnow() - timedelta(minutes=2)))
    credentials.from_token(db_engine, token["token"])
    assert tokens.list_tokens(db_engine, user["id"])[0]["last_used_at"] > first
    tokens.revoke_token(db_engine, user["id"], token["id"])
    assert credentials.from_token(db_engine, token["token"]) is None
    assert tokens.list_tokens(db_engine, user["id"]) == []


def test_deleting_a_user_takes_sessions_tokens_and_the_row(db_engine):
    user = users.create_user(db_engine, "uma", CHEAP.hash("x" * 10))
    sessions.create_session(db_engine, user["id"])
    tokens.create_token(db_engine, user["id"], "t")
    assert users.delete_user(db_engine, user["id"]) == []
    with db_engine.connect() as conn:
        for table in (sessions_table, api_tokens):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
    assert [u["username"] for u in users.list_users(db_engine)] == ["admin"]


def test_an_existing_install_history_becomes_the_admins(tmp_path):
    from studio_core.db.engine import make_engine
    from studio_core.db.migrate import upgrade
    from studio_core.db.tables import jobs

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0004")  # an install from before accounts, with a job of "local"
        with engine.begin() as conn:
            conn.execute(
                sa.insert(jobs).values(
                    id="old-job",
                    user_id=LOCAL_USER_ID,
                    tool="t",
                    status="finished",
                    prompt="p",
                    params={},
                    batch_size=1,
                    max_attempts=3,
                    favorite=False,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
        upgrade(engine)
        assert bootstrap.ensure_admin(engine, CHEAP, "the first password") is None
        with engine.connect() as conn:
            owner = conn.execute(
                sa.select(users_table.c.username, users_table.c.role)
                .join(jobs, jobs.c.user_id == users_table.c.id)
                .where(jobs.c.id == "old-job")
            ).one()
        assert tuple(owner) == ("admin", "admin")
    finally:
        engine.dispose()
