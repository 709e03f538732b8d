"""Backend fixtures: an app on a fresh SQLite (or MariaDB) and the private Redis, a test
client, and the app behind the real server (uvicorn + backend.serving.asgi)."""

from __future__ import annotations

import pytest

from backend import create_app
from tests.backend.helpers import (
    ADMIN_PASSWORD,
    base_config,
    bearer,
    login_client,
    make_user,
    token_client,
)
from tests.backend.live_asgi import serve_in_thread


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
    """A test client of `app` authenticated as the admin (user 1) with a Bearer token, so a
    test about something else needs no login or CSRF token."""
    return token_client(app)


@pytest.fixture
def admin_client(app):
    """A test client logged in as the admin with a session cookie (`.csrf` holds its token)."""
    return login_client(app, "admin", ADMIN_PASSWORD)


@pytest.fixture
def users(app):
    """Two plain users, A and B (public fields)."""
    return {"a": make_user(app, "alice"), "b": make_user(app, "bob")}


@pytest.fixture
def user_client(app, users):
    """Bearer-token clients of the plain users A and B: `user_client["a"]`, `["b"]`."""
    return {key: token_client(app, user["id"]) for key, user in users.items()}


@pytest.fixture
def anon_client(app):
    """A test client with no credentials."""
    return app.test_client()


@pytest.fixture
def auth_headers(app):
    """Headers that authenticate `requests` calls to `live_server` (the admin's token)."""
    return bearer(app, name="live")


@pytest.fixture
def user_headers(app, users):
    """Headers that authenticate `requests` calls of the plain users A and B: `["a"]`, `["b"]`."""
    return {key: bearer(app, user["id"], name="live") for key, user in users.items()}


@pytest.fixture
def db_app(make_app, db_engine):
    """An app on the parametrized database (SQLite, and MariaDB with -m mysql)."""
    return make_app(DATABASE_URL=db_engine.url.render_as_string(hide_password=False))


@pytest.fixture
def live_server(app):
    """The app behind uvicorn and backend.serving.asgi on a free port (as `python -m backend` serves it)."""
    with serve_in_thread(app) as url:
        yield url
