"""Fixtures for the operator script tests: a live studio with tight rate limits."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def limited_studio(tmp_path_factory):
    """A live studio with tight limits: 5 reads per second per route, 3 submits per minute."""
    from studio_ops.live_stack import start_live_studio

    studio = start_live_studio(
        tmp_path_factory.mktemp("limited"),
        RATE_LIMIT_READS="5/second",
        RATE_LIMIT_GENERATE="3/minute",
    )
    yield studio
    studio.stop()
