"""Fixtures for the core tests: the queue, event bus and live state on the private Redis, a
job repository and storage on a fresh database, a full volume, and logging put back."""

from __future__ import annotations

import logging

import pytest

from studio_core.db.tables import LOCAL_USER_ID
from studio_core.events import EventBus
from studio_core.jobs.repo import JobRepository
from studio_core.live import LiveState
from studio_core.queue.job_queue import JobQueue
from studio_core.storage import StoragePaths
from tests.core.helpers import add_user
from tests.helpers import fill_volume


@pytest.fixture
def queue(redis_client):
    """A queue on the private Redis."""
    return JobQueue(redis_client)


@pytest.fixture
def bus(redis_client):
    """An event bus on the private Redis."""
    return EventBus(redis_client)


@pytest.fixture
def live(redis_client):
    """Live job state on the private Redis."""
    return LiveState(redis_client)


@pytest.fixture
def repo(db_engine):
    """A job repository on the parametrized database (3 attempts per job by default)."""
    return JobRepository(db_engine, default_max_attempts=3)


@pytest.fixture
def owners(db_engine):
    """Three job owners: the local user, ann and bob."""
    return [LOCAL_USER_ID, add_user(db_engine, "ann"), add_user(db_engine, "bob")]


@pytest.fixture
def paths(tmp_path):
    """Storage under tmp_path, its folders created."""
    return StoragePaths(tmp_path / "storage").ensure()


@pytest.fixture
def full_volume(small_tmpfs):
    """StoragePaths on a 2 MB tmpfs whose every free byte is taken by a filler file."""
    paths = StoragePaths(small_tmpfs).ensure()
    fill_volume(small_tmpfs)
    return paths


@pytest.fixture
def restore_logging():
    """Take configure_logging's handlers off the root logger again after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
