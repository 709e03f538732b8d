"""`python -m studio_ops.reset_admin_password`: a new password (given or generated), sessions end."""

from __future__ import annotations

import io

import sqlalchemy as sa

from studio_core.accounts import sessions
from studio_core.accounts.credentials import from_session
from studio_core.accounts.passwords import Passwords
from studio_core.config import load_settings
from studio_core.db.engine import make_engine
from studio_core.db.migrate import upgrade
from studio_core.db.tables import users
from studio_ops.reset_admin_password import main

CHEAP = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}


def _settings(tmp_path):
    return load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'studio.db'}", **CHEAP}, env={})


def _hash(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(users.c.password_hash).where(users.c.username == "admin")
        ).scalar_one()


def test_generated_password_is_printed_and_sessions_end(tmp_path, capsys):
    settings = _settings(tmp_path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    session = sessions.create_session(engine, 1)
    assert main([], settings=settings) == 0
    out = capsys.readouterr().out
    password = out.split("(shown once)")[0].split()[-1]
    assert Passwords(1, 8, 1).verify(_hash(engine), password).ok
    assert from_session(engine, session.cookie_value) is None
    engine.dispose()


def test_password_from_stdin_is_checked_and_not_printed(tmp_path, capsys, monkeypatch):
    settings = _settings(tmp_path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--password-stdin"], settings=settings) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["--password-stdin"], settings=settings) == 0
    assert "a long enough password" not in capsys.readouterr().out
    assert Passwords(1, 8, 1).verify(_hash(engine), "a long enough password").ok
    assert main(["--user", "nobody"], settings=settings) == 1
    engine.dispose()
