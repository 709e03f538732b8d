"""`python -m studio_core.db` (docker compose's `migrate` service): migrates once, says so,
and a second run finds the schema current."""

from __future__ import annotations

import os
import subprocess
import sys

from studio_core.db.engine import make_engine
from studio_core.db.migrate import head_revision, is_up_to_date
from studio_ops.processes import ROOT


def _migrate(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "STORAGE_DIR": str(tmp_path / "storage"),
        "LOG_DIR": str(tmp_path / "logs"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'studio.db'}",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "studio_core.db"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_migrate_command_applies_once_then_finds_the_schema_current(tmp_path):
    first = _migrate(tmp_path)
    assert first.returncode == 0, first.stderr
    assert (
        f"migrations applied db=sqlite:///{tmp_path / 'studio.db'} from=empty to={head_revision()}"
        in first.stderr
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'studio.db'}")
    try:
        assert is_up_to_date(engine)
    finally:
        engine.dispose()
    second = _migrate(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "migrations: schema current" in second.stderr and "from=" not in second.stderr
    log = (tmp_path / "logs" / "migrate.log").read_text()
    assert log.count("migrations applied") == 1 and log.count("schema current") == 1


def test_migrate_command_reports_a_bad_configuration(tmp_path):
    bad = _migrate(tmp_path, MAX_BATCH="lots")
    assert bad.returncode == 2
    assert "configuration error" in bad.stderr and "MAX_BATCH" in bad.stderr
