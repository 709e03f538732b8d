"""Helpers that several test packages share (fixtures live in the conftest.py files)."""

from __future__ import annotations

import errno
import os
from pathlib import Path


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
