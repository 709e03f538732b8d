"""The WSGI server behind `python -m backend`, chosen here and nowhere else.

    POSIX with gunicorn installed   gunicorn, gthread workers: WORKERS processes x THREADS
    Windows (or no gunicorn)        waitress: one process x THREADS_SINGLE threads

One Python process runs Python code on one core at a time (the GIL): every Redis or SQL
round trip waits for the interpreter again behind the other threads, and at 50 clients that
wait, not the work, made the p99. Two processes halve it (bench/api_latency.py). SSE holds a
thread per open stream, hence threaded workers rather than more single-threaded ones.

With several processes the Prometheus counters live in files (prometheus-client's
multiprocess mode) so that `/metrics` adds up every worker, whichever one answers.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Callable

from flask import Flask

from studio_core.config import Settings

logger = logging.getLogger("backend")

WORKERS = 2  # one per core of the target machine
THREADS = 32  # per worker: open SSE streams + concurrent ordinary requests
THREADS_SINGLE = 64  # waitress: the same total in one process
IDLE_TIMEOUT_S = 120  # an idle keep-alive connection is closed after this
CONNECTION_LIMIT = 256


def choose() -> str:
    """ "gunicorn" on POSIX when it is installed, else "waitress" (Windows has no fork)."""
    if os.name != "posix":
        return "waitress"
    try:
        import gunicorn  # noqa: F401  (only whether it is there)
    except ImportError:
        return "waitress"
    return "gunicorn"


def metrics_dir_for_workers() -> str:
    """A fresh directory for prometheus-client's multiprocess files, removed at exit.

    Must run before any metric object exists (i.e. before `create_app`): the value class is
    picked when prometheus-client is imported, which the backend package already did.
    """
    from prometheus_client import values

    path = tempfile.mkdtemp(prefix="studio-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path  # read by the multiprocess collector too
    values.ValueClass = values.MultiProcessValue()
    atexit.register(_remove_if_owner, path, os.getpid())
    return path


def _remove_if_owner(path: str, owner_pid: int) -> None:
    # Forked workers inherit atexit hooks; only the process that made the directory may
    # remove it, or a worker exiting would wipe the live counters of the others.
    if os.getpid() == owner_pid:
        shutil.rmtree(path, ignore_errors=True)


def serve_waitress(app: Flask, settings: Settings) -> None:
    """Serve with waitress in this process until it stops."""
    from waitress import serve

    logger.info(
        "serving server=waitress host=%s port=%s processes=1 threads=%s",
        settings.host,
        settings.port,
        THREADS_SINGLE,
    )
    serve(
        app,
        host=settings.host,
        port=settings.port,
        threads=THREADS_SINGLE,
        ident="comfyui-studio",
        channel_timeout=IDLE_TIMEOUT_S,
        connection_limit=CONNECTION_LIMIT,
    )


def serve_gunicorn(app: Flask, settings: Settings) -> None:
    """Serve with gunicorn: the app built once here, then forked into WORKERS processes."""
    from gunicorn.app.base import BaseApplication
    from prometheus_client import multiprocess

    def post_fork(_server, _worker) -> None:
        # SQL connections must not be shared across processes; redis-py pools notice the
        # new pid and reconnect on their own.
        app.extensions["studio"].db.dispose(close=False)

    def child_exit(_server, worker) -> None:
        multiprocess.mark_process_dead(worker.pid)

    options: dict[str, object] = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": WORKERS,
        "worker_class": "gthread",
        "threads": THREADS,
        "worker_connections": CONNECTION_LIMIT,
        "keepalive": IDLE_TIMEOUT_S,
        "timeout": IDLE_TIMEOUT_S,  # a worker whose main loop is stuck this long is replaced
        "graceful_timeout": 10,
        "preload_app": True,
        # The app's ProxyFix alone decides which forwarded headers to believe.
        "forwarded_allow_ips": "",
        "post_fork": post_fork,
        "child_exit": child_exit,
        "proc_name": "comfyui-studio",
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable:
            return app

    logger.info(
        "serving server=gunicorn host=%s port=%s processes=%s threads=%s",
        settings.host,
        settings.port,
        WORKERS,
        THREADS,
    )
    Server().run()
