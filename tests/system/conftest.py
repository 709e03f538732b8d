"""Fixtures for the system tests: the shared live studio, private ones to break, and a
MariaDB/MySQL database of their own."""

from __future__ import annotations

import pytest
import requests

from studio_ops.live_stack import LiveStudio, start_live_studio
from tests.helpers import scratch_mysql_database
from tests.system.helpers import StudioDb

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


@pytest.fixture(scope="module")
def own_studio(tmp_path_factory):
    """A studio a module may slow down and inject faults into (one worker, MAX_INFLIGHT 2)."""
    studio = start_live_studio(tmp_path_factory.mktemp("own-studio"), sim_args=FAST_SIM)
    yield studio
    studio.stop()


@pytest.fixture
def quiet(own_studio):
    """The module's private studio with the simulator's timings and faults reset after the test."""
    yield own_studio
    requests.post(own_studio.sim.url + "/sim/reset", json={}, timeout=5).raise_for_status()


@pytest.fixture
def mysql_url():
    """A dedicated database on STUDIO_TEST_MYSQL_URL's server, dropped afterwards."""
    with scratch_mysql_database("studio_sys") as url:
        yield url


@pytest.fixture
def studio_db(studio):
    """Read access to the shared studio's database."""
    db = StudioDb(studio)
    yield db
    db.close()
