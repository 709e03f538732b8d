"""The users table: create, list, change role / disabled / password, delete.

Every change that could leave the studio without an enabled admin is refused (409
`last_admin`) inside the same write transaction that makes it. Disabling a user or setting
their password ends their sessions (a disabled user's tokens stop working through the
`disabled` flag, checked on every request). Deleting a user deletes everything they own:
jobs (rows and files), uploads, tokens and sessions; refused (409) while one of their jobs
is queued or running. Disabling keeps the history and is the reversible choice.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from studio_core.db.engine import write_transaction
from studio_core.db.tables import (
    api_tokens,
    job_counts,
    job_inputs,
    job_outputs,
    jobs,
    sessions,
    uploads,
    users,
)
from studio_core.db.utc import utcnow
from studio_core.errors import Conflict, InvalidInput, NotFound
from studio_core.jobs.states import ACTIVE

logger = logging.getLogger(__name__)

ROLES = ("admin", "user")
_PUBLIC = (users.c.id, users.c.username, users.c.role, users.c.disabled, users.c.created_at)


def public_user(row: Any) -> dict[str, Any]:
    """A user as the API shows it (never the hash)."""
    m = row._mapping if hasattr(row, "_mapping") else row
    created = m["created_at"]
    return {
        "id": m["id"],
        "username": m["username"],
        "role": m["role"],
        "disabled": bool(m["disabled"]),
        "created_at": created.isoformat() if created is not None else None,
    }


def check_role(role: object) -> str:
    """The role if it is 'admin' or 'user'; else 400."""
    if role not in ROLES:
        raise InvalidInput("'role' must be 'admin' or 'user'", field="role")
    return role  # type: ignore[return-value]


def create_user(engine: Engine, username: str, password_hash: str, role: str = "user") -> dict:
    """Insert a user (validated name and role, hashed password); 409 when the name is taken."""
    try:
        with write_transaction(engine) as conn:
            new_id = conn.execute(
                sa.insert(users).values(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    disabled=False,
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
            row = conn.execute(sa.select(*_PUBLIC).where(users.c.id == new_id)).one()
    except IntegrityError:
        raise Conflict(f"user name {username!r} is taken", field="username") from None
    logger.info("user created user=%s name=%s role=%s", new_id, username, role)
    return public_user(row)


def get_user(engine: Engine, user_id: int) -> dict:
    """One user (public fields); NotFound otherwise."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(*_PUBLIC).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return public_user(row)


def find_login(engine: Engine, username: str) -> Any | None:
    """(id, username, role, disabled, created_at, password_hash) of a user name, or None."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(*_PUBLIC, users.c.password_hash).where(users.c.username == username)
        ).first()


def list_users(engine: Engine) -> list[dict]:
    """Every user, oldest first."""
    with engine.connect() as conn:
        return [public_user(r) for r in conn.execute(sa.select(*_PUBLIC).order_by(users.c.id))]


def set_password_hash(engine: Engine, user_id: int, password_hash: str) -> None:
    """Store a new hash (a login's rehash; changes and resets go through `update_user`)."""
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )


def update_user(
    engine: Engine,
    user_id: int,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    password_hash: str | None = None,
    keep_session: str | None = None,
) -> dict:
    """Change role, disabled and/or password; ends sessions (but `keep_session`) when the
    user is disabled or gets a new password; 409 when no enabled admin would be left."""
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = role
    if disabled is not None:
        values["disabled"] = disabled
    if password_hash is not None:
        values["password_hash"] = password_hash
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise NotFound(f"user {user_id} not found")
        if values:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))
        _check_admin_left(conn)
        if disabled or password_hash is not None:
            ended = sa.delete(sessions).where(sessions.c.user_id == user_id)
            if keep_session is not None:
                ended = ended.where(sessions.c.id != keep_session)
            conn.execute(ended)
        row = conn.execute(sa.select(*_PUBLIC).where(users.c.id == user_id)).one()
    logger.info("user updated user=%s fields=%s", user_id, ",".join(sorted(values)) or "-")
    return public_user(row)


def delete_user(engine: Engine, user_id: int) -> list[str]:
    """Delete a user and all they own; returns storage-relative files to remove after commit."""
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise NotFound(f"user {user_id} not found")
        owned = sa.select(jobs.c.id).where(jobs.c.user_id == user_id)
        active = conn.execute(
            owned.where(jobs.c.status.in_([s.value for s in ACTIVE]), jobs.c.deleted_at.is_(None))
        ).first()
        if active is not None:
            raise Conflict(
                "the user has a queued or running job: cancel it first, or disable the user"
            )
        files = _owned_files(conn, user_id, owned)
        conn.execute(sa.delete(jobs).where(jobs.c.user_id == user_id))  # children cascade
        for table in (uploads, job_counts, api_tokens, sessions):
            conn.execute(sa.delete(table).where(table.c.user_id == user_id))
        conn.execute(sa.delete(users).where(users.c.id == user_id))
        _check_admin_left(conn)
    logger.info("user deleted user=%s files=%s", user_id, len(files))
    return files


def _owned_files(conn: Connection, user_id: int, owned) -> list[str]:
    files: list[str] = []
    for r in conn.execute(
        sa.select(job_outputs.c.filename, job_outputs.c.thumb_filename).where(
            job_outputs.c.job_id.in_(owned)
        )
    ):
        files += [f"outputs/{r.filename}", f"outputs/thumbs/{r.thumb_filename}"]
    files += conn.execute(
        sa.select(job_inputs.c.path).where(job_inputs.c.job_id.in_(owned))
    ).scalars()
    files += conn.execute(sa.select(uploads.c.path).where(uploads.c.user_id == user_id)).scalars()
    return sorted(set(files))


def _check_admin_left(conn: Connection) -> None:
    # FOR UPDATE: two admins demoting each other at once cannot both see the other remain.
    admins = conn.execute(
        sa.select(users.c.id)
        .where(users.c.role == "admin", users.c.disabled.is_(False))
        .with_for_update()
    ).all()
    if not admins:
        # Raising rolls the transaction back: the change never happened.
        raise Conflict("this would leave no enabled admin", code="last_admin")
