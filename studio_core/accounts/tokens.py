"""Personal API tokens: a random secret shown once, stored as its sha256, named, revocable.

`Authorization: Bearer <token>` authenticates a script without a cookie (and so without
CSRF). `last_used_at` is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from studio_core.db.engine import write_transaction
from studio_core.db.tables import api_tokens
from studio_core.db.utc import utcnow
from studio_core.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)

PREFIX = "cst_"  # recognisable in logs and secret scanners
TOUCH_EVERY = timedelta(minutes=1)
MAX_NAME = 100


def token_hash(secret: str) -> str:
    """The stored form of a token (sha256, hex): tokens are random, so no slow hash is needed."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_token_name(name: object) -> str:
    """A token name: 1-100 characters, not all whitespace (as the OpenAPI document says:
    maxLength on what is sent, a pattern for "not blank"); stored trimmed. Else 400."""
    if not isinstance(name, str) or len(name) > MAX_NAME or not name.strip():
        raise InvalidInput(f"'name' must be 1-{MAX_NAME} characters, not only spaces", field="name")
    return name.strip()


def _public(row) -> dict:
    m = row._mapping
    return {
        "id": m["id"],
        "name": m["name"],
        "created_at": m["created_at"].isoformat(),
        "last_used_at": m["last_used_at"].isoformat() if m["last_used_at"] else None,
    }


_COLUMNS = (api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.last_used_at)


def create_token(engine: Engine, user_id: int, name: str) -> dict:
    """A new token: `{id, name, created_at, last_used_at, token}`, the secret only here."""
    secret = PREFIX + secrets.token_urlsafe(32)
    with write_transaction(engine) as conn:
        new_id = conn.execute(
            sa.insert(api_tokens).values(
                user_id=user_id, name=name, token_hash=token_hash(secret), created_at=utcnow()
            )
        ).inserted_primary_key[0]
        row = conn.execute(sa.select(*_COLUMNS).where(api_tokens.c.id == new_id)).one()
    logger.info("token created user=%s token=%s", user_id, new_id)
    return {**_public(row), "token": secret}


def list_tokens(engine: Engine, user_id: int) -> list[dict]:
    """A user's live tokens, oldest first (never the secret)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(*_COLUMNS)
            .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.id)
        )
        return [_public(r) for r in rows]


def revoke_token(engine: Engine, user_id: int, token_id: int) -> None:
    """Revoke one of the user's tokens; NotFound for another's or an unknown one."""
    with write_transaction(engine) as conn:
        done = conn.execute(
            sa.update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                api_tokens.c.user_id == user_id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        ).rowcount
    if not done:
        raise NotFound(f"token {token_id} not found")
    logger.info("token revoked user=%s token=%s", user_id, token_id)


def revoke_user_tokens(engine: Engine, user_id: int) -> int:
    """Revoke every token of a user; returns how many."""
    with write_transaction(engine) as conn:
        return conn.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount


def touch_token(engine: Engine, token_id: int) -> None:
    """Record a use; conditional so concurrent requests write it once a minute at most."""
    now = utcnow()
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                sa.or_(
                    api_tokens.c.last_used_at.is_(None),
                    api_tokens.c.last_used_at < now - TOUCH_EVERY,
                ),
            )
            .values(last_used_at=now)
        )
