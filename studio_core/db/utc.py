"""UTC timestamps: the column type that stores them portably and the clock that makes them.

Timestamps are stored as naive UTC and read back tz-aware; naive input is rejected.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import mysql


def utcnow() -> datetime:
    """The current time, tz-aware UTC (never naive)."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """Stores UTC without a zone (portable), returns tz-aware UTC; rejects naive input."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))  # keep microseconds
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                "naive datetime given to a UTC column; use studio_core.db.utc.utcnow()"
            )
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
