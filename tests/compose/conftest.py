"""The compose stack fixture: a Docker engine (started here if needed), Compose v2, stand-in
images where no registry is reachable, and the shipped docker-compose.yml brought up from a
copy of the repository with the README's own commands.

Skips where no Docker engine or Compose v2 can be had; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.compose import standin_images
from tests.compose.compose_cli import ComposeProject, ComposeUnavailable, compose_env
from tests.compose.docker_engine import DockerEngine, EngineUnavailable
from tests.compose.readme_commands import QuickStart, read_quickstart
from tests.helpers import IN_CI

ROOT = Path(__file__).resolve().parents[2]
# A project name of its own: a user's real `comfyui-studio` stack and volumes are never touched.
PROJECT = "comfyui-studio-ci"
ADMIN_PASSWORD = "compose-admin-" + "pw9"
# What the test's compose commands see of the caller's environment: nothing of the studio's
# own variables (a COMFYUI_URL or DATABASE_URL exported in this shell would change the stack).
PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DOCKER_HOST", "DOCKER_CONFIG",
                "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "XDG_RUNTIME_DIR")  # fmt: skip


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"compose tests cannot run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_project(dest: Path) -> Path:
    """The files a clone has (tracked and new, not ignored): the build context users have."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _upstream_images(project: ComposeProject) -> list[str]:
    """Images the project pulls: `image:` of services that are not built, and the FROM lines;
    of the monitoring profile only Prometheus (no Grafana can be had without a registry)."""
    services = dict(project.config()["services"])
    services["prometheus"] = project.config("monitoring")["services"]["prometheus"]
    images = [svc["image"] for svc in services.values() if "image" in svc and "build" not in svc]
    dockerfile = (project.workdir / "Dockerfile").read_text()
    images += re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    return sorted(set(images))


@dataclass
class ComposeStack:
    """The running stack: its compose project, the README's lines, and the studio's address."""

    project: ComposeProject
    quickstart: QuickStart
    url: str
    port: int
    token: str = ""
    finished: list[str] = field(default_factory=list)  # jobs the tests saw finish

    @property
    def headers(self) -> dict[str, str]:
        """The admin's Bearer token."""
        return {"Authorization": f"Bearer {self.token}"}

    def readme(self, verb: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """Run the README's line for `verb`, as written; fail with its output if it fails."""
        line = self.quickstart.by_verb(verb)
        done = self.project.shell(line, timeout=timeout)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done

    def sign_in(self) -> None:
        """An API token for the admin (a cookie login first, as a person would)."""
        with requests.Session() as session:
            resp = session.post(
                self.url + "/api/auth/login",
                json={"username": "admin", "password": ADMIN_PASSWORD},
                timeout=10,
            )
            resp.raise_for_status()
            made = session.post(
                self.url + "/api/auth/tokens",
                json={"name": "compose test"},
                headers={"X-CSRF-Token": resp.json()["csrf_token"]},
                timeout=10,
            )
            made.raise_for_status()
            self.token = made.json()["token"]

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET as the admin."""
        return requests.get(self.url + path, headers=self.headers, timeout=15, **kwargs)

    def generate(self, **body) -> dict:
        """POST /api/generate as the admin; the 202 body."""
        resp = requests.post(
            self.url + "/api/generate", json=body, headers=self.headers, timeout=15
        )
        assert resp.status_code == 202, resp.text
        return resp.json()

    def wait_job(
        self, job_id: str, statuses: set[str], timeout: float = 180, stage: str | None = None
    ) -> dict:
        """Poll the job until its status is in `statuses` (and its stage is `stage`, if given)."""
        deadline = time.monotonic() + timeout
        job: dict = {}
        while time.monotonic() < deadline:
            resp = self.get(f"/api/status/{job_id}")
            if resp.status_code == 200:
                job = resp.json()
                if job["status"] in statuses and stage in (None, job["stage"]):
                    return job
            time.sleep(0.25)
        raise AssertionError(f"job {job_id} not {statuses} after {timeout} s: {job}")

    def sim_config(self, **patch) -> None:
        """Patch the demo engine's timings, from inside its container (it is not published)."""
        code = (
            "import json, sys, urllib.request as u; "
            "u.urlopen(u.Request('http://127.0.0.1:8188/sim/config', data=sys.argv[1].encode(), "
            "headers={'Content-Type': 'application/json'}), timeout=10)"
        )
        self.project.exec("comfyui-sim", "python", "-c", code, json.dumps(patch))


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory):
    """The shipped stack with the demo profile, up through the README's commands."""
    work = tmp_path_factory.mktemp("compose")
    engine = DockerEngine(work / "dockerd.log")
    try:
        engine.ensure()
    except EngineUnavailable as exc:
        _unavailable(str(exc))
    project = None
    try:
        try:
            base_env = compose_env(work / "docker-config")
        except ComposeUnavailable as exc:
            _unavailable(str(exc))
        port = _free_port()
        env = {key: base_env[key] for key in PASS_THROUGH if key in base_env}
        env.update(
            COMPOSE_PROJECT_NAME=PROJECT,
            SECRET_KEY=secrets.token_urlsafe(32),
            MYSQL_PASSWORD=secrets.token_urlsafe(12),
            MYSQL_ROOT_PASSWORD=secrets.token_urlsafe(12),
            STUDIO_ADMIN_PASSWORD=ADMIN_PASSWORD,
            METRICS_TOKEN=secrets.token_urlsafe(16),
            STUDIO_PORT=str(port),
        )
        project = ComposeProject(_copy_project(work / "project"), env)
        # A run that was interrupted may have left its containers and volumes.
        project.run("--profile", "monitoring", "down", "-v", "--remove-orphans", check=False)
        standin_images.ensure(_upstream_images(project))
        stack = ComposeStack(
            project, read_quickstart(ROOT / "README.md"), f"http://127.0.0.1:{port}", port
        )
        stack.readme("cp")
        stack.readme("up")
        stack.sign_in()
        yield stack
    finally:
        if project is not None:
            project.run("--profile", "monitoring", "down", "-v", "--remove-orphans", check=False)
        left = engine.stop()
        assert not left, f"the network is not as it was before dockerd started: {left}"
