"""Who a session cookie or an API token belongs to: one indexed read (primary or unique key
joined to users), plus a write at most once a minute to record the use.

A disabled user, an expired session and a revoked token prove nothing: the check is in
the same read, so it takes effect on the next request in every process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from studio_core.accounts import sessions as session_store
from studio_core.accounts import tokens as token_store
from studio_core.db.tables import api_tokens, sessions, users
from studio_core.db.utc import utcnow
from studio_core.outages import DB_OUTAGES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credential:
    """A proven caller: the user, and the session or token that proved it."""

    user_id: int
    username: str
    role: str
    via: str  # "session" | "token"
    session_id: str | None = None
    csrf_token: str | None = None
    token_id: int | None = None


def _record_use(touch: Callable, engine: Engine, key) -> None:
    # Bookkeeping only: a database that takes reads but not writes (a stuck writer holds
    # SQLite's lock) must not fail the request.
    try:
        touch(engine, key)
    except DB_OUTAGES as exc:
        logger.warning("last use not recorded error=%s", str(exc).splitlines()[0])


def from_session(engine: Engine, cookie_value: str) -> Credential | None:
    """The live session of an enabled user behind a cookie value, or None."""
    row_id = session_store.session_id(cookie_value)
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                users.c.id,
                users.c.username,
                users.c.role,
                sessions.c.csrf_token,
                sessions.c.last_seen_at,
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(
                sessions.c.id == row_id,
                sessions.c.expires_at > now,
                users.c.disabled.is_(False),
            )
        ).first()
    if row is None:
        return None
    if row.last_seen_at < now - session_store.TOUCH_EVERY:
        _record_use(session_store.touch_session, engine, row_id)
    return Credential(row.id, row.username, row.role, "session", row_id, row.csrf_token)


def from_token(engine: Engine, secret: str) -> Credential | None:
    """The unrevoked token of an enabled user behind a Bearer secret, or None."""
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                users.c.id,
                users.c.username,
                users.c.role,
                api_tokens.c.id.label("token_id"),
                api_tokens.c.last_used_at,
            )
            .join(users, users.c.id == api_tokens.c.user_id)
            .where(
                api_tokens.c.token_hash == token_store.token_hash(secret),
                api_tokens.c.revoked_at.is_(None),
                users.c.disabled.is_(False),
            )
        ).first()
    if row is None:
        return None
    if row.last_used_at is None or row.last_used_at < now - token_store.TOUCH_EVERY:
        _record_use(token_store.touch_token, engine, row.token_id)
    return Credential(row.id, row.username, row.role, "token", token_id=row.token_id)
