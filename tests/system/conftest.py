"""Fixtures for the system tests: the shared live studio and private ones to break."""

from __future__ import annotations

import pytest

from studio_ops.live_stack import LiveStudio, start_live_studio
from tests.system.support import StudioDb

# Fast simulator for private studios: 5 ms a node, 30 ms a sampler step.
FAST_SIM = ("--node-ms", "5", "--step-ms", "30")


@pytest.fixture
def studio(live_studio) -> LiveStudio:
    """The session's shared live studio (never break it: use `make_studio` for that)."""
    return live_studio


@pytest.fixture
def make_studio(tmp_path):
    """Factory for private live studios under tmp_path, all stopped at teardown."""
    started: list[LiveStudio] = []

    def make(name: str = "studio", **kwargs) -> LiveStudio:
        kwargs.setdefault("sim_args", FAST_SIM)
        studio = start_live_studio(tmp_path / name, **kwargs)
        started.append(studio)
        return studio

    yield make
    for studio in started:
        studio.stop()


@pytest.fixture
def studio_db(studio):
    """Read access to the shared studio's database."""
    db = StudioDb(studio)
    yield db
    db.close()
