"""The first admin: on first start, `admin` gets STUDIO_ADMIN_PASSWORD or a generated one.

Race-safe across processes started together: the password is set by a conditional UPDATE
(only while the admin still has no password) or, if the admin row is gone, an INSERT on the
unique user name; only the process whose write took effect reports a generated password.
Once the admin has a password, STUDIO_ADMIN_PASSWORD is ignored (changing the variable does
not change the password: use `python -m studio_ops.reset_admin_password`).
"""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from studio_core.accounts.passwords import NO_PASSWORD, Passwords, check_password
from studio_core.config import ConfigError
from studio_core.db.engine import write_transaction
from studio_core.db.tables import ADMIN_USERNAME, users
from studio_core.db.utc import utcnow
from studio_core.errors import InvalidInput

logger = logging.getLogger(__name__)


def generate_password() -> str:
    """A strong random password (about 190 bits), easy to copy."""
    return secrets.token_urlsafe(24)


def ensure_admin(engine: Engine, passwords: Passwords, configured: str | None) -> str | None:
    """Give the first admin a password if it has none; returns the password when this call
    generated it (the caller shows it once), else None."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.password_hash).where(users.c.username == ADMIN_USERNAME)
        ).first()
    if row is not None and row.password_hash != NO_PASSWORD:
        return None  # already set up: the variable never overwrites a password
    try:
        password = check_password(configured, "STUDIO_ADMIN_PASSWORD") if configured else None
    except InvalidInput as exc:
        raise ConfigError(exc.message) from None
    generated = password is None
    password = password or generate_password()
    password_hash = passwords.hash(password)
    try:
        with write_transaction(engine) as conn:
            if row is not None:
                won = conn.execute(
                    sa.update(users)
                    .where(users.c.id == row.id, users.c.password_hash == NO_PASSWORD)
                    .values(password_hash=password_hash, role="admin", disabled=False)
                ).rowcount
            else:
                conn.execute(
                    sa.insert(users).values(
                        username=ADMIN_USERNAME,
                        password_hash=password_hash,
                        role="admin",
                        disabled=False,
                        created_at=utcnow(),
                    )
                )
                won = 1
    except IntegrityError:
        won = 0  # another process created it first
    if not won:
        return None
    source = "generated" if generated else "STUDIO_ADMIN_PASSWORD"
    logger.info("first admin set up name=%s source=%s", ADMIN_USERNAME, source)
    return password if generated else None
