"""Server-side login sessions: the cookie holds a random value, the table its sha256.

A session lives SESSION_DAYS from login (a login always makes a new one: the id rotates), its
`last_seen_at` is written at most once a minute, and it carries the CSRF token that
cookie-authenticated writes must echo in `X-CSRF-Token`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from studio_core.db.engine import write_transaction
from studio_core.db.tables import sessions
from studio_core.db.utc import utcnow

SESSION_DAYS = 14
TOUCH_EVERY = timedelta(minutes=1)


def session_id(cookie_value: str) -> str:
    """The row id of a cookie value (its sha256, hex)."""
    return hashlib.sha256(cookie_value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewSession:
    """A session just made: the cookie value (sent once) and its CSRF token."""

    cookie_value: str
    id: str
    csrf_token: str
    max_age_s: int


def create_session(engine: Engine, user_id: int, replaces: str | None = None) -> NewSession:
    """A new session for a user; the row of the cookie it `replaces` (its value) is deleted."""
    value = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    row_id = session_id(value)
    with write_transaction(engine) as conn:
        if replaces:
            conn.execute(sa.delete(sessions).where(sessions.c.id == session_id(replaces)))
        conn.execute(
            sa.insert(sessions).values(
                id=row_id,
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(days=SESSION_DAYS),
            )
        )
    return NewSession(value, row_id, csrf, SESSION_DAYS * 86400)


def delete_session(engine: Engine, row_id: str) -> None:
    """End one session (logout)."""
    with write_transaction(engine) as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.id == row_id))


def delete_user_sessions(engine: Engine, user_id: int, keep: str | None = None) -> int:
    """End every session of a user (but `keep`); returns how many ended."""
    query = sa.delete(sessions).where(sessions.c.user_id == user_id)
    if keep is not None:
        query = query.where(sessions.c.id != keep)
    with write_transaction(engine) as conn:
        return conn.execute(query).rowcount


def touch_session(engine: Engine, row_id: str) -> None:
    """Record a use; conditional so concurrent requests write it once a minute at most."""
    now = utcnow()
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(sessions)
            .where(sessions.c.id == row_id, sessions.c.last_seen_at < now - TOUCH_EVERY)
            .values(last_seen_at=now)
        )


def purge_expired(engine: Engine) -> int:
    """Delete expired sessions; returns how many."""
    with write_transaction(engine) as conn:
        return conn.execute(sa.delete(sessions).where(sessions.c.expires_at < utcnow())).rowcount
