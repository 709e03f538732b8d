"""Helpers for the core tests (fixtures live in conftest.py)."""

from __future__ import annotations

import sqlalchemy as sa

from studio_core.db.tables import users


def add_user(engine, username: str, role: str = "user") -> int:
    """Insert a user and return its id."""
    with engine.begin() as conn:
        return conn.execute(
            sa.insert(users).values(username=username, password_hash="x", role=role)
        ).inserted_primary_key[0]
