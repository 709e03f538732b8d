"""Fixtures for the simulator conformance suite: the session simulator, idle and reset, and
the node schemas with file lists for the validator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from comfy_schema.object_info import load_object_info, with_file_lists
from comfyui_sim.config import DEFAULT_MODELS
from tests.sim.helpers import TIMEOUT, Sim


@pytest.fixture
def sim(sim_url) -> Iterator[Sim]:
    """The session simulator: reset, idle again after the test."""
    client = Sim(sim_url)
    client.wait_idle()
    yield client
    requests.post(sim_url + "/sim/reset", json={}, timeout=TIMEOUT)
    client.wait_idle()


@pytest.fixture(scope="module")
def info():
    """ComfyUI's node schemas with the simulator's model files and one input image listed."""
    return with_file_lists(load_object_info(), DEFAULT_MODELS, ["top.png"])
