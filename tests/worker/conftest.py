"""Fixtures for the worker tests: a ComfyUI client on the session simulator, and a studio
stack (SQLite, the private Redis, the simulator) for workers run in threads."""

from __future__ import annotations

import pytest

from tests.worker.helpers import build_stack, make_settings, new_id, teardown
from worker.comfy.client import ComfyClient


@pytest.fixture
def client(sim_url):
    """A ComfyUI client on the session simulator, polling /history every 0.5 s."""
    with ComfyClient(sim_url, new_id("test"), timeout=5, poll_interval=0.5) as c:
        yield c


@pytest.fixture
def slow_poll_client(sim_url):
    """A ComfyUI client polling /history only every 2 s, so the WebSocket must do the work."""
    # Prompts in the tests end well before a poll, through the WebSocket and the reconcile
    # after reconnect; polling is the last resort for frames sent to the dead socket between
    # the drop and the reconnect.
    with ComfyClient(sim_url, new_id("test"), timeout=5, poll_interval=2, backoff_cap=0.3) as c:
        yield c


@pytest.fixture
def stack(tmp_path, redis_url, sim_url):
    """A studio stack on SQLite + the private Redis + the session simulator."""
    built = build_stack(make_settings(tmp_path, redis_url, sim_url), redis_url, sim_url)
    yield built
    teardown(built)
