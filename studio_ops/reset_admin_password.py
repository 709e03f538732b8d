"""Set a user's password from the command line (a forgotten admin password), ending their sessions.

    python -m studio_ops.reset_admin_password [--user admin] [--password-stdin]

Reads the studio's settings (.env, environment) for the database. Without --password-stdin a
strong password is generated and printed once. The account is enabled again too. Run it on
the studio's machine: whoever can run it can already read the database.
"""

from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa

from studio_core.accounts.bootstrap import generate_password
from studio_core.accounts.passwords import Passwords, check_password
from studio_core.accounts.users import update_user
from studio_core.config import load_settings
from studio_core.db.engine import make_engine
from studio_core.db.migrate import is_up_to_date
from studio_core.db.tables import ADMIN_USERNAME, users
from studio_core.errors import AppError
from studio_ops.studio_http import EXIT_FAIL, EXIT_OK


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="reset_admin_password", description="Set a user's password (default: admin)."
    )
    parser.add_argument("--user", default=ADMIN_USERNAME, help="user name (default: admin)")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the new password from stdin"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, settings=None) -> int:
    """Set the password; print the generated one; return the exit code."""
    args = parse_args(argv)
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    try:
        if not is_up_to_date(engine):
            print("reset_admin_password: the database is not migrated: start the studio once")
            return EXIT_FAIL
        with engine.connect() as conn:
            user_id = conn.execute(
                sa.select(users.c.id).where(users.c.username == args.user)
            ).scalar_one_or_none()
        if user_id is None:
            print(f"reset_admin_password: no user {args.user!r}")
            return EXIT_FAIL
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        try:
            if password is not None:
                check_password(password)
        except AppError as exc:
            print(f"reset_admin_password: {exc.message}")
            return EXIT_FAIL
        shown = password is None
        password = password or generate_password()
        hasher = Passwords(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        )
        update_user(engine, user_id, disabled=False, password_hash=hasher.hash(password))
    finally:
        engine.dispose()
    print(f"reset_admin_password: {args.user!r} has a new password; their sessions ended.")
    if shown:
        print(f"reset_admin_password: password: {password}  (shown once)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
