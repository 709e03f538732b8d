"""The studio's SQL database: one URL for SQLite (default, a file under storage/) and
MySQL/MariaDB (`mysql+mysqlconnector://`).

- `utc`: the UTC timestamp column type and `utcnow()` (stored naive UTC, read back tz-aware)
- `tables`: the SQLAlchemy Core metadata and tables, and the seeded local user's id
- `engine`: the engine factory (SQLite pragmas, MySQL timeouts) and write transactions
- `migrate`: programmatic Alembic upgrades and revision checks (scripts in studio_core/migrations)
"""
