"""`python -m studio_ops.launcher`: start the whole studio on one machine with one command.

Starts (or reuses) Redis, runs the migrations, starts the backend and one worker per ComfyUI
URL. It never guesses an engine: with DEMO_MODE=auto the ComfyUI simulator is the (demo)
engine exactly when COMFYUI_URL is not set, on a free port of its own (said in the log, and
the UI shows a banner because the workers report the engine as a simulator); a configured
ComfyUI that is down means jobs wait for it. Children that die are restarted; Ctrl-C, SIGINT
or SIGTERM to this process (Ctrl+Break on Windows) stops everything it started, and on Linux
a SIGKILLed launcher takes its children with it (studio_ops.parent_death). Platform
differences stay in this module.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from studio_core.config import Settings, load_settings
from studio_core.engines import engine_answers
from studio_core.logging_setup import configure_logging
from studio_ops.parent_death import die_with_parent
from studio_ops.processes import free_port, simulator_command, wait_for

logger = logging.getLogger("studio.launcher")

RESTART_BACKOFF_S = 2.0


@dataclass
class Child:
    """A supervised process and how to start it again."""

    name: str
    argv: list[str]
    env: dict[str, str]
    popen: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        """Start (or restart) the process."""
        # Windows: a process group of its own, so `ask_to_stop` can send it Ctrl+Break.
        flags = subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0
        self.popen = subprocess.Popen(
            self.argv, env=self.env, creationflags=flags, preexec_fn=die_with_parent()
        )
        self.started_at = time.monotonic()
        logger.info("started name=%s pid=%s", self.name, self.popen.pid)

    def ask_to_stop(self) -> None:
        """SIGTERM, or Ctrl+Break on Windows (where terminate() is a hard kill): the backend's
        server stops its own worker processes then, instead of leaving them orphaned."""
        if os.name == "nt":
            self.popen.send_signal(signal.CTRL_BREAK_EVENT)
        else:
            self.popen.terminate()


def persistent_secret(storage_dir: Path) -> str:
    """A random SECRET_KEY kept under storage/ so sessions survive restarts."""
    path = storage_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    storage_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    if os.name != "nt":
        path.chmod(0o600)
    return key


def _wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


class Launcher:
    """Owns the child processes of one studio."""

    def __init__(self, settings: Settings, demo: str):
        self.settings = settings
        self.demo = demo
        self.children: list[Child] = []
        self.redis_handle = None
        self.stopping = False

    def prepare(self) -> dict[str, str]:
        """Redis, secret, migrations; returns the environment for the children."""
        from studio_core.db.engine import make_engine
        from studio_core.db.migrate import upgrade
        from studio_ops.embedded_redis import ensure_redis

        settings = self.settings
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        if not settings.secret_key:
            env["SECRET_KEY"] = persistent_secret(settings.storage_dir)
        redis_url, self.redis_handle = ensure_redis(
            settings.redis_url, settings.storage_dir / "redis"
        )
        if self.redis_handle:
            logger.info("redis embedded url=%s data=%s", redis_url, settings.storage_dir / "redis")
        env["REDIS_URL"] = redis_url
        env["DATABASE_URL"] = settings.database_url
        env["STORAGE_DIR"] = str(settings.storage_dir)
        env["LOG_DIR"] = str(settings.log_dir)
        engine = make_engine(settings.database_url)  # no DB_TIMEOUT_S: an ALTER may take long
        upgrade(engine)
        engine.dispose()
        logger.info("database migrated url=%s", engine.url.render_as_string(hide_password=True))
        return env

    def engine_urls(self, env: dict[str, str]) -> list[str]:
        """The ComfyUI URLs the workers use, starting the demo engine when asked to.

        auto: the simulator exactly when COMFYUI_URL is not set. A configured ComfyUI that does
        not answer is still the engine (jobs wait for it, the page says it is unreachable):
        a silent switch to test patterns would look like a working studio that is not.
        """
        settings = self.settings
        if self.demo == "on" or (self.demo == "auto" and not settings.comfyui_configured):
            return [self._start_simulator(env)]
        urls = settings.comfyui_urls
        for url in urls:
            if not engine_answers(url):
                logger.warning(
                    "comfyui not answering url=%s: jobs wait for it (ENGINE_WAIT_S=%s) and the "
                    "page says ComfyUI is unreachable. Start ComfyUI there, fix COMFYUI_URL, or "
                    "run with --demo on for the simulator.",
                    url,
                    settings.engine_wait_s,
                )
        return urls

    def _start_simulator(self, env: dict[str, str]) -> str:
        """Start the ComfyUI simulator on a free port of its own; return its URL.

        Never a fixed port such as ComfyUI's 8188: whatever else answers there is not ours.
        """
        port = free_port()
        sim_url = f"http://127.0.0.1:{port}"
        data_dir = self.settings.storage_dir / "comfyui_sim"
        # --preview: live preview frames, like ComfyUI's --preview-method
        child = self._add("comfyui-sim", simulator_command(port, data_dir, "--preview"), env)
        wait_for(lambda: engine_answers(sim_url), 30, "the demo engine (simulator)", child.popen)
        why = "--demo on" if self.demo == "on" else "COMFYUI_URL is not set"
        logger.warning(
            "demo mode (%s): the ComfyUI simulator at %s is the engine (images are test "
            "patterns). Set COMFYUI_URL to your ComfyUI (e.g. http://127.0.0.1:8188) and "
            "restart to use it.",
            why,
            sim_url,
        )
        return sim_url

    def _add(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name=name, argv=argv, env=env)
        # Listed before it starts: a stop signal arriving in between still finds it.
        self.children.append(child)
        child.start()
        return child

    def start(self) -> None:
        """Start every process of the studio."""
        env = self.prepare()
        for index, url in enumerate(self.engine_urls(env)):
            worker_env = {**env, "COMFYUI_URL": url}
            worker_env.setdefault("WORKER_ID", f"worker-{index + 1}")
            if index:
                worker_env["WORKER_ID"] = f"{env.get('WORKER_ID', 'worker')}-{index + 1}"
            self._add(f"worker-{index + 1}", [sys.executable, "-m", "worker"], worker_env)
        self._add("backend", [sys.executable, "-m", "backend"], env)
        port = self.settings.port
        if _wait_until(lambda: _http_ok(f"http://127.0.0.1:{port}/livez"), 30):
            logger.info("studio ready url=http://localhost:%s", port)
        else:
            logger.error("backend did not answer /livez on port %s within 30 s", port)

    def supervise(self) -> None:
        """Restart children that exit until asked to stop."""
        while not self.stopping:
            for child in self.children:
                if child.popen and child.popen.poll() is not None and not self.stopping:
                    code = child.popen.returncode
                    child.restarts += 1
                    logger.error(
                        "exited name=%s code=%s restarts=%s", child.name, code, child.restarts
                    )
                    time.sleep(RESTART_BACKOFF_S)
                    child.start()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the children (backend first, then workers, engine), then Redis."""
        self.stopping = True
        for child in reversed(self.children):
            if child.popen and child.popen.poll() is None:
                child.ask_to_stop()
        for child in reversed(self.children):
            if child.popen:
                try:
                    child.popen.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    logger.warning("killing name=%s: it did not stop within 20 s", child.name)
                    child.popen.kill()
                    child.popen.wait()
        if self.redis_handle:
            self.redis_handle.stop()
        logger.info("studio stopped")


def _http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def main(argv: list[str] | None = None) -> int:
    """Parse flags, start the studio and supervise it until interrupted."""
    parser = argparse.ArgumentParser(prog="studio", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--demo",
        choices=["auto", "on", "off"],
        default=None,
        help="use the ComfyUI simulator: auto = when COMFYUI_URL is not set (default), "
        "on = always, off = never",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging("launcher", settings.log_dir)
    launcher = Launcher(settings, demo=args.demo or settings.demo_mode)

    def on_signal(signum, _frame):
        # Once: a second signal must not interrupt stop() and orphan the rest.
        if not launcher.stopping:
            launcher.stopping = True
            raise KeyboardInterrupt

    # SIGINT too: a parent that ignores it would otherwise leave it ignored here.
    # SIGBREAK: Ctrl+Break on Windows, which scripts/studio.py forwards there.
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)
    try:
        launcher.start()
        launcher.supervise()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        launcher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
