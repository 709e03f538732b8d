"""Accounts on the HTTP side: the app's password hasher and login throttle, the first admin
at start, and the login / logout / password-change flows the views call.

Plain functions over explicit services (no `request`): the views pass what they read.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from flask import Flask, current_app

from backend.services import Studio
from studio_core.accounts import sessions, tokens, users
from studio_core.accounts.bootstrap import ensure_admin
from studio_core.accounts.passwords import Passwords, check_password
from studio_core.accounts.throttle import LoginThrottle
from studio_core.errors import InvalidInput, TooManyRequests, Unauthorized

logger = logging.getLogger(__name__)

EXTENSION = "studio_accounts"
BAD_LOGIN = "wrong user name or password"


@dataclass
class Accounts:
    """The app's password hasher (one cost for every new hash) and login throttle."""

    passwords: Passwords
    throttle: LoginThrottle


def init_app(app: Flask, studio: Studio) -> Accounts:
    """Build the hasher and throttle; give the first admin a password if it has none."""
    s = studio.settings
    accounts = Accounts(
        Passwords(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism),
        LoginThrottle(studio.redis),
    )
    app.extensions[EXTENSION] = accounts
    generated = ensure_admin(studio.db, accounts.passwords, s.studio_admin_password)
    if generated is not None:
        message = (
            f"First start: created the admin account. User name: admin  Password: {generated}  "
            "(shown once: write it down, then change it in the app)"
        )
        logger.warning(message)
        # Also on stdout: whoever started the studio sees it even with logs in a file.
        sys.stdout.write(message + "\n")
        sys.stdout.flush()
    return accounts


def accounts() -> Accounts:
    """The current app's accounts services."""
    return current_app.extensions[EXTENSION]


def login(
    studio: Studio, acc: Accounts, body: dict, address: str | None, old_cookie: str | None
) -> tuple[dict, sessions.NewSession]:
    """Check a user name and password (throttled); a new session replacing the old cookie's.

    A wrong password, an unknown user and a disabled one all cost one argon2 verification
    and answer the same 401.
    """
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not username:
        raise InvalidInput("'username' is required", field="username")
    if not isinstance(password, str) or not password:
        raise InvalidInput("'password' is required", field="password")
    wait = acc.throttle.retry_after(username, address)
    if wait is not None:
        raise TooManyRequests(f"too many failed logins; retry in {wait} s", retry_after=wait)
    row = users.find_login(studio.db, username) if len(username) <= 64 else None
    checked = acc.passwords.verify(row.password_hash if row else None, password[:1024])
    if row is None or not checked.ok or row.disabled or len(password) > 1024:
        lock = acc.throttle.failed(username, address)
        logger.info("login failed name_known=%s address=%s lock=%s", row is not None, address, lock)
        raise Unauthorized(BAD_LOGIN, code="invalid_credentials")
    acc.throttle.succeeded(username)
    if checked.new_hash is not None:
        users.set_password_hash(studio.db, row.id, checked.new_hash)
        logger.info("password rehashed user=%s", row.id)
    new = sessions.create_session(studio.db, row.id, replaces=old_cookie)
    sessions.purge_expired(studio.db)  # logins are rare: the table never needs a sweeper
    logger.info("login user=%s address=%s", row.id, address)
    return users.public_user(row), new


def logout(studio: Studio, identity, everywhere: bool, revoke_tokens: bool) -> None:
    """End this session, or every session of the user (and optionally their tokens)."""
    if everywhere:
        ended = sessions.delete_user_sessions(studio.db, identity.user_id)
        revoked = tokens.revoke_user_tokens(studio.db, identity.user_id) if revoke_tokens else 0
        logger.info(
            "logout everywhere user=%s sessions=%s tokens=%s", identity.user_id, ended, revoked
        )
    elif identity.session_id is not None:
        sessions.delete_session(studio.db, identity.session_id)
        logger.info("logout user=%s", identity.user_id)


def change_password(
    studio: Studio, acc: Accounts, identity, body: dict, address: str | None
) -> dict:
    """Change the caller's own password (the current one is required); ends their other
    sessions. A wrong current password counts as a failed login of the account."""
    current, new = body.get("current_password"), body.get("new_password")
    if not isinstance(current, str) or not current:
        raise InvalidInput("'current_password' is required", field="current_password")
    new = check_password(new, "new_password")
    wait = acc.throttle.retry_after(identity.username, address)
    if wait is not None:
        raise TooManyRequests(f"too many failed attempts; retry in {wait} s", retry_after=wait)
    row = users.find_login(studio.db, identity.username)
    if row is None or not acc.passwords.verify(row.password_hash, current[:1024]).ok:
        acc.throttle.failed(identity.username, address)
        raise InvalidInput("the current password is wrong", field="current_password")
    return users.update_user(
        studio.db,
        identity.user_id,
        password_hash=acc.passwords.hash(new),
        keep_session=identity.session_id,
    )
