"""Backend fixtures: an app on a fresh SQLite (or MariaDB) and the private Redis, a client,
and helpers that play the worker's part (engine info, claim/finish) through studio_core."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from backend import create_app
from backend.services import studio as _studio
from studio_core.db.tables import LOCAL_USER_ID
from studio_core.engines import EngineInfo

FAST_LIMITS = {"RATE_LIMIT_READS": "1000/second", "RATE_LIMIT_GENERATE": "1000/minute"}


def png_bytes(width: int = 64, height: int = 48, fmt: str = "PNG", exif: bytes | None = None):
    """A small image in the given format (optionally with EXIF)."""
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 30, 90))
    if exif is not None:
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def base_config(tmp_path: Path, redis_url: str, **overrides) -> dict:
    """An isolated test configuration (no .env, no process environment)."""
    config = {
        "ENV": {},
        "TESTING": True,
        "STUDIO_ENV": "development",
        "REDIS_URL": redis_url,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "LOG_DIR": str(tmp_path / "logs"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'studio.db'}",
        "SSE_PING_S": 0.2,
        "METRICS_CACHE_S": 0,
        **FAST_LIMITS,
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(tmp_path, redis_url):
    """Build apps with overrides; every one is closed after the test."""
    built = []

    def factory(**overrides):
        app = create_app(base_config(tmp_path, redis_url, **overrides))
        built.append(app)
        return app

    yield factory
    for app in built:
        app.extensions["studio"].close()


@pytest.fixture
def app(make_app):
    """An app on a fresh SQLite file and the private Redis."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def db_app(make_app, db_engine):
    """An app on the parametrized database (SQLite, and MariaDB with -m mysql)."""
    return make_app(DATABASE_URL=db_engine.url.render_as_string(hide_password=False))


def services(app):
    """The app's Studio services."""
    with app.app_context():
        return _studio()


def publish_engine(
    app, *, online=True, simulator=True, url="http://gpu1:8188", models=None, nodes=None, ttl=60
):
    """Play a worker that saw its engine: every node and model the catalog needs, by default."""
    s = services(app)
    if nodes is None:
        nodes = set().union(*(t.requires["nodes"] for t in s.catalog.tools))
    if models is None:
        models = {}
        for tool in s.catalog.tools:
            for folder, files in tool.required_models.items():
                models.setdefault(folder, set()).update(files)
        models = {k: sorted(v) for k, v in models.items()}
    s.engines.publish(
        EngineInfo(
            url=url,
            online=online,
            simulator=simulator,
            node_classes=frozenset(nodes),
            models=models,
            worker_id="w1",
        ),
        ttl,
    )


def finish_job(app, job_id: str, images: int = 1, worker: str = "w1") -> None:
    """Play a worker finishing a job: claim, write outputs through StoragePaths, finish."""
    s = services(app)
    s.queue.remove(job_id)  # a worker took it out of the waiting list
    attempt = s.repo.attempts.claim(job_id, worker)
    assert attempt is not None
    outputs = [s.paths.write_output(job_id, n, png_bytes(80, 60), 32) for n in range(images)]
    assert s.repo.attempts.finish(job_id, attempt, outputs)


def submit(client, body=None, **kwargs):
    """POST /api/generate with a JSON body."""
    return client.post(
        "/api/generate", json=body or {"workflow": "text_to_image", "prompt": "a cat"}, **kwargs
    )


__all__ = ["LOCAL_USER_ID", "finish_job", "png_bytes", "publish_engine", "services", "submit"]
