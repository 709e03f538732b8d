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
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from studio_ops.processes import free_port
from tests.compose import standin_images
from tests.compose.compose_cli import ComposeProject, ComposeUnavailable, compose_env
from tests.compose.docker_engine import DockerEngine, EngineUnavailable
from tests.compose.readme_commands import QuickStart, read_quickstart
from tests.helpers import IN_CI

ROOT = Path(__file__).resolve().parents[2]
# A project name of its own: a user's real `comfyui-studio` stack and volumes are never touched.
PROJECT = "comfyui-studio-ci"
ADMIN_PASSWORD = "compose-admin-" + "pw9"
STARTER = pytest.StashKey["StackStarter"]()
# What the test's compose commands see of the caller's environment: nothing of the studio's
# own variables (a COMFYUI_URL or DATABASE_URL exported in this shell would change the stack).
PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DOCKER_HOST", "DOCKER_CONFIG",
                "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "XDG_RUNTIME_DIR")  # fmt: skip


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"compose tests cannot run in CI: {reason}")
    pytest.skip(reason)


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


class StackStarter:
    """Brings the stack up (engine, Compose, stand-ins, the README's `cp` and `up`) and down.

    Started in a thread as soon as collection ends when other tests run first (the compose
    tests are moved to the end): the image builds and MySQL's first start then overlap the
    rest of the suite instead of adding to it. Alone, the fixture starts it in place."""

    def __init__(self, work: Path, *, owns_work: bool = False):
        self.work = work
        self.owns_work = owns_work  # a folder of its own (not pytest's tmp_path): removed at close
        self.engine = DockerEngine(work / "dockerd.log")
        self.project: ComposeProject | None = None
        self.stack: ComposeStack | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def start_in_background(self) -> None:
        """Begin `run()` on a daemon thread."""
        self._thread = threading.Thread(target=self._run_catching, name="compose-up", daemon=True)
        self._thread.start()

    def _run_catching(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # handed to the fixture, which raises it in the test
            self.error = exc

    def run(self) -> ComposeStack:
        """Everything up to a signed-in admin; EngineUnavailable / ComposeUnavailable say why."""
        self.engine.ensure()
        base_env = compose_env(self.work / "docker-config")
        port = free_port()
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
        self.project = ComposeProject(_copy_project(self.work / "project"), env)
        # A run that was interrupted may have left its containers and volumes.
        self._down()
        standin_images.ensure(_upstream_images(self.project))
        stack = ComposeStack(
            self.project, read_quickstart(ROOT / "README.md"), f"http://127.0.0.1:{port}", port
        )
        stack.readme("cp")
        stack.readme("up")
        stack.sign_in()
        self.stack = stack
        return stack

    def result(self, timeout: float = 1500) -> ComposeStack:
        """The stack, waiting for the background start if there is one."""
        if self._thread is None:
            return self.run()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"the compose stack was not up after {timeout} s")
        if self.error is not None:
            raise self.error
        assert self.stack is not None
        return self.stack

    def _down(self) -> None:
        assert self.project is not None
        self.project.run("--profile", "monitoring", "down", "-v", "--remove-orphans", check=False)

    def close(self) -> list[str]:
        """Take the stack down and stop a dockerd started here; what differs in the network."""
        if self._closed:
            return []
        self._closed = True
        if self._thread is not None:
            self._thread.join(1500)
        if self.project is not None:
            self._down()
        left = self.engine.stop()
        shutil.rmtree(self.work if self.owns_work else self.work / "project", ignore_errors=True)
        return left


def pytest_collection_modifyitems(session, config, items):
    """The compose tests go last, so their stack can come up while the others run."""
    compose = [item for item in items if item.get_closest_marker("compose")]
    if compose:
        items[:] = [item for item in items if not item.get_closest_marker("compose")] + compose


def pytest_collection_finish(session):
    """Start the stack in the background when compose tests follow other tests."""
    items = session.items
    if not items or not items[-1].get_closest_marker("compose"):
        return
    if items[0].get_closest_marker("compose"):
        return  # only compose tests: the fixture starts it in place
    work = Path(tempfile.mkdtemp(prefix="studio-compose-"))
    starter = StackStarter(work, owns_work=True)
    session.config.stash[STARTER] = starter
    starter.start_in_background()


def pytest_sessionfinish(session):
    """An interrupted run still takes the stack down (the fixture's teardown may not run)."""
    starter = session.config.stash.get(STARTER, None)
    if starter is not None:
        starter.close()


@pytest.fixture(scope="module")
def compose_stack(request, tmp_path_factory):
    """The shipped stack with the demo profile, up through the README's commands."""
    starter = request.config.stash.get(STARTER, None)
    if starter is None:
        starter = StackStarter(tmp_path_factory.mktemp("compose"))
    try:
        try:
            stack = starter.result()
        except (EngineUnavailable, ComposeUnavailable) as exc:
            _unavailable(str(exc))
        yield stack
    finally:
        left = starter.close()
        assert not left, f"the network is not as it was before dockerd started: {left}"
