"""Helpers for the backend tests (fixtures live in conftest.py): an isolated app config,
images to upload, and the worker's part (engine info, claim/finish) played through studio_core."""

from __future__ import annotations

import io
from pathlib import Path

import requests
import sqlalchemy as sa
from PIL import Image

from backend.accounts import accounts
from backend.services import studio as _studio
from studio_core.accounts.tokens import create_token
from studio_core.accounts.users import create_user
from studio_core.db.tables import LOCAL_USER_ID, sessions
from studio_core.engines import EngineInfo

FAST_LIMITS = {
    "RATE_LIMIT_READS": "1000/second",
    "RATE_LIMIT_GENERATE": "1000/minute",
    "RATE_LIMIT_IMPORTS": "1000/minute",
    "RATE_LIMIT_LOGIN": "1000/minute",
}
ADMIN_PASSWORD = "admin-password-for-tests"
USER_PASSWORD = "user-password-for-tests"
# argon2id at its smallest cost: every test app hashes the admin's password at start.
CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}


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
        "STUDIO_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **CHEAP_ARGON2,
        **FAST_LIMITS,
    }
    config.update(overrides)
    return config


def services(app):
    """The app's Studio services."""
    with app.app_context():
        return _studio()


def publish_engine(
    app,
    *,
    online=True,
    simulator=True,
    url="http://gpu1:8188",
    models=None,
    nodes=None,
    ttl=60,
    families=None,
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
            families=families or {},
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


def bearer(app, user_id: int = LOCAL_USER_ID, name: str = "tests") -> dict[str, str]:
    """An Authorization header with a new API token of the user (id 1: the admin)."""
    token = create_token(services(app).db, user_id, name)["token"]
    return {"Authorization": f"Bearer {token}"}


def make_user(app, username: str, role: str = "user", password: str = USER_PASSWORD) -> dict:
    """Create a user directly (public fields)."""
    with app.app_context():
        hashed = accounts().passwords.hash(password)
    return create_user(services(app).db, username, hashed, role)


def token_client(app, user_id: int = LOCAL_USER_ID):
    """A test client that sends a Bearer token of the user on every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(app, user_id)["Authorization"]
    return client


def header_lines(headers: dict[str, str] | None) -> str:
    """Headers as raw HTTP/1.1 lines (for tests that write requests on a socket)."""
    return "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())


def login_client(app, username: str, password: str):
    """A test client logged in with a session cookie; its CSRF token is `client.csrf`."""
    client = app.test_client()
    resp = client.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    client.csrf = resp.get_json()["csrf_token"]
    return client


def live_login(url: str, username: str = "admin", password: str = ADMIN_PASSWORD):
    """A `requests.Session` logged in to a running server with a session cookie (`.csrf`)."""
    session = requests.Session()
    resp = session.post(
        url + "/api/auth/login", json={"username": username, "password": password}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    session.csrf = resp.json()["csrf_token"]
    return session


def post_login(client, username: str = "admin", password: str = ADMIN_PASSWORD, **kwargs):
    """POST /api/auth/login with a user name and password (the answer, whatever it is)."""
    return client.post(
        "/api/auth/login", json={"username": username, "password": password}, **kwargs
    )


def session_rows(app) -> int:
    """How many session rows the app's database holds."""
    with services(app).db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar_one()
