"""Helpers that several test packages share (fixtures live in the conftest.py files)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from studio_core.db.engine import make_engine

IN_CI = os.environ.get("CI") == "true"


def wait_until(
    check: Callable[[], object], timeout: float = 10.0, what: str = "condition", every: float = 0.05
):
    """Poll `check` until it returns something truthy and return that; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} not reached within {timeout}s")


@contextlib.contextmanager
def scratch_mysql_database(prefix: str) -> Iterator[str]:
    """URL of a new utf8mb4 database `<prefix>_<random>` on STUDIO_TEST_MYSQL_URL's server.

    Dropped on exit; skipped when STUDIO_TEST_MYSQL_URL is not set.
    """
    base = os.environ.get("STUDIO_TEST_MYSQL_URL")
    if not base:
        pytest.skip("STUDIO_TEST_MYSQL_URL not set")
    url = make_url(base)
    name = f"{prefix}_{secrets.token_hex(6)}"
    server = make_engine(url.set(database=""))
    with server.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        server.dispose()


@contextlib.contextmanager
def mounted_tmpfs(mount: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of `size_mb` at `mount` (root only; skipped elsewhere, a failure in CI)."""
    mount.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        if IN_CI:
            pytest.fail(f"CI must be able to mount a tmpfs: {mounted.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_volume(directory: Path) -> Path:
    """Take every free byte of the volume holding `directory` with one file; returns it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for chunk in (b"\0" * 65536, b"\0"):  # big blocks, then the last partial one
            try:
                while True:
                    os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)
    return filler


class MysqlDriverError(Exception):
    """What mysql-connector raises, reduced to the error number the studio reads (`errno`)."""

    def __init__(self, code: int):
        super().__init__(code, "driver message")
        self.errno = code
