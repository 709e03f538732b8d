"""A whole studio on real processes for tests and benchmarks: Redis, simulator, workers, backend.

Every part is a real process started the way a user starts it (`python -m backend`,
`python -m worker`, `python -m comfyui_sim`), on free loopback ports, with private storage,
a private SQLite file and a private redis-server. Tests can kill and restart workers.
The admin's password is LIVE_ADMIN_PASSWORD; `headers` carry an API token of the admin
(made through the API once the backend answers), for every call but the public probes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from studio_core.db.engine import make_engine
from studio_core.db.migrate import upgrade
from studio_ops.embedded_redis import start_scratch_redis
from studio_ops.processes import ROOT, Proc, free_port, start_simulator

LIVE_ADMIN_PASSWORD = "live-admin-password-0123"


@dataclass
class LiveStudio:
    """Handles on the processes of one live studio."""

    root: Path
    env: dict[str, str]
    redis: Proc
    sim: Proc
    url: str = ""
    backend: subprocess.Popen | None = None
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    token: str = ""  # an API token of the admin
    _logs: list = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        """Headers that authenticate a call as the admin."""
        return {"Authorization": f"Bearer {self.token}"}

    def login(self, username: str = "admin", password: str = LIVE_ADMIN_PASSWORD):
        """A requests.Session logged in with a cookie; its CSRF token is `session.csrf`."""
        session = requests.Session()
        resp = session.post(
            self.url + "/api/auth/login",
            json={"username": username, "password": password},
            timeout=10,
        )
        resp.raise_for_status()
        session.csrf = resp.json()["csrf_token"]
        return session

    def token_for(
        self, username: str = "admin", password: str = LIVE_ADMIN_PASSWORD, name: str = "live stack"
    ) -> str:
        """A new API token of that user (logged in with a cookie to make it)."""
        with self.login(username, password) as session:
            resp = session.post(
                self.url + "/api/auth/tokens",
                json={"name": name},
                headers={"X-CSRF-Token": session.csrf},
                timeout=10,
            )
            resp.raise_for_status()
            return resp.json()["token"]

    def new_user(self, prefix: str = "u") -> tuple[str, str]:
        """A new plain user with a random name, made by the admin: (username, password)."""
        name, password = f"{prefix}{uuid.uuid4().hex[:10]}", "a-user-password-9"
        resp = requests.post(
            self.url + "/api/users",
            json={"username": name, "password": password, "role": "user"},
            headers=self.headers,
            timeout=10,
        )
        resp.raise_for_status()
        return name, password

    def _make_token(self) -> None:
        self.token = self.token_for()

    # -- processes ---------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.out", "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def start_worker(self, worker_id: str = "w1", **extra: str) -> subprocess.Popen:
        """Start `python -m worker` with this studio's settings."""
        env = {**self.env, "WORKER_ID": worker_id, **extra}
        proc = self._spawn(f"worker-{worker_id}", [sys.executable, "-m", "worker"], env)
        self.workers[worker_id] = proc
        return proc

    def kill_worker(self, worker_id: str) -> None:
        """SIGKILL a worker (no cleanup, as a crash or power loss)."""
        proc = self.workers.pop(worker_id)
        proc.kill()
        proc.wait(timeout=10)

    def start_backend(self) -> None:
        """Start `python -m backend` and wait for /livez."""
        port = free_port()
        env = {**self.env, "PORT": str(port), "HOST": "127.0.0.1"}
        self.backend = self._spawn("backend", [sys.executable, "-m", "backend"], env)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.backend.poll() is not None:
                raise RuntimeError(f"backend exited: see {self.root / 'backend.out'}")
            try:
                if requests.get(self.url + "/livez", timeout=1).ok:
                    if not self.token:
                        self._make_token()
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("backend did not answer /livez")

    def wait_workers_online(self, count: int = 1, timeout: float = 30) -> None:
        """Wait until the HUD shows `count` workers and an engine online."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            metrics = requests.get(
                self.url + "/api/metrics", headers=self.headers, timeout=5
            ).json()
            online = [w for w in metrics.get("workers", []) if w.get("online")]
            engines = [b for b in metrics.get("backends", []) if b.get("online")]
            if len(online) >= count and engines:
                return
            time.sleep(0.2)
        raise RuntimeError("workers did not come online")

    def stop(self) -> None:
        """Stop everything this studio started."""
        procs = [*self.workers.values()] + ([self.backend] if self.backend else [])
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.workers.clear()
        self.sim.stop()
        self.redis.stop()
        for log in self._logs:
            log.close()

    # -- API helpers -------------------------------------------------------------------------
    def generate(self, **body) -> dict:
        """POST /api/generate and return the 202 body."""
        resp = requests.post(
            self.url + "/api/generate", json=body, headers=self.headers, timeout=10
        )
        assert resp.status_code == 202, resp.text
        return resp.json()

    def status(self, job_id: str) -> dict:
        """GET /api/status/<id>."""
        resp = requests.get(f"{self.url}/api/status/{job_id}", headers=self.headers, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def wait_status(self, job_id: str, statuses: set[str], timeout: float = 60) -> dict:
        """Poll the job until its status is one of `statuses`."""
        deadline = time.monotonic() + timeout
        job = {}
        while time.monotonic() < deadline:
            job = self.status(job_id)
            if job["status"] in statuses:
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} stuck in {job.get('status')}: {job}")

    def sim_config(self, **patch) -> None:
        """Patch the simulator's timings and faults."""
        requests.post(self.sim.url + "/sim/config", json=patch, timeout=5).raise_for_status()


def start_live_studio(
    root: Path,
    *,
    sim_args: tuple[str, ...] = ("--node-ms", "5", "--step-ms", "30"),
    workers: int = 1,
    **env_extra: str,
) -> LiveStudio:
    """Start Redis, the simulator, `workers` workers and the backend under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    redis = start_scratch_redis(root / "redis")
    sim = start_simulator(root / "sim", *sim_args)
    storage = root / "storage"
    # DATABASE_URL=... in env_extra (e.g. a MariaDB database the test created) replaces the
    # private SQLite file; it is migrated here too, before any process starts.
    database_url = env_extra.get("DATABASE_URL") or f"sqlite:///{storage / 'studio.db'}"
    storage.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    upgrade(engine)  # once, before two processes would race to migrate the same file
    engine.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "REDIS_"))},
        "PYTHONUNBUFFERED": "1",
        "STUDIO_ENV": "development",
        "SECRET_KEY": "live-test-secret-key-0123456789",
        "STUDIO_ADMIN_PASSWORD": LIVE_ADMIN_PASSWORD,
        "REDIS_URL": redis.url,
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(storage),
        "LOG_DIR": str(root / "logs"),
        "COMFYUI_URL": sim.url,
        "HEARTBEAT_TTL_S": "3",
        "RATE_LIMIT_GENERATE": "10000/minute",
        "RATE_LIMIT_IMPORTS": "10000/minute",
        "RATE_LIMIT_READS": "10000/second",
        "DEMO_MODE": "off",
        **env_extra,
    }
    studio = LiveStudio(root=root, env=env, redis=redis, sim=sim)
    try:
        for index in range(workers):
            studio.start_worker(f"w{index + 1}")
        studio.start_backend()
        studio.wait_workers_online(workers)
    except BaseException:
        studio.stop()
        raise
    return studio
