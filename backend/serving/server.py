"""The server behind `python -m backend`: uvicorn, WORKERS processes, on POSIX and Windows.

Each process runs backend.serving.asgi: the event streams (`/api/events`) as coroutines on its
asyncio loop, every other request in the Flask app on a pool of THREADS threads.

Why: the WSGI servers before (gunicorn gthread, waitress) held a thread per open event
stream, so 90 streams from one client left `/livez` unanswered. An open stream now costs a
coroutine and a queue (1,000 leave `/livez` and `/api/status` p99 under 50 ms,
bench/event_streams.py), and a request body is read on the loop before a thread takes the
request, so 100 clients trickling bodies hold no thread either (and meet a read timeout).
One ASGI server for everything, rather than gevent workers (gunicorn only, no Windows, and
a monkey-patched Redis/SQL stack) or a separate event process (a second port, process and
proxy rule for the same studio). uvicorn runs the same on Windows and POSIX, with its own
multiprocess supervisor (spawned processes) on both.

Two processes because one runs Python on one core at a time (the GIL): every Redis or SQL
round trip waits for the interpreter again behind the other threads, and at 50 clients that
wait, not the work, made the p99 (bench/api_latency.py). With several processes the
Prometheus counters live in files (prometheus-client's multiprocess mode) so that `/metrics`
adds up every worker, whichever one answers.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile

from studio_core.config import Settings

logger = logging.getLogger("backend")

WORKERS = 2  # one per core of the target machine
IDLE_TIMEOUT_S = 120  # an idle keep-alive connection is closed after this
CONNECTION_LIMIT = 4096  # per process: open streams + ordinary connections; then 503
GRACEFUL_S = 10  # on stop: how long requests in flight may finish (streams end at once)
WANTED_OPEN_FILES = 8192  # sockets: streams + connections + Redis + files


def metrics_dir_for_workers() -> str:
    """A fresh directory for prometheus-client's multiprocess files, removed at exit.

    Set in the parent before the workers start: they inherit PROMETHEUS_MULTIPROC_DIR and
    prometheus-client picks its file-backed values when they import it.
    """
    from prometheus_client import values

    path = tempfile.mkdtemp(prefix="studio-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path  # read by the multiprocess collector too
    values.ValueClass = values.MultiProcessValue()
    atexit.register(_remove_if_owner, path, os.getpid())
    return path


def _remove_if_owner(path: str, owner_pid: int) -> None:
    # Only the process that made the directory may remove it, or a worker exiting would wipe
    # the live counters of the others.
    if os.getpid() == owner_pid:
        shutil.rmtree(path, ignore_errors=True)


def raise_open_file_limit(wanted: int = WANTED_OPEN_FILES) -> None:
    """Lift the soft limit on open files towards `wanted` (POSIX; Windows has none to lift)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def worker_app():
    """The app of one server process (uvicorn's factory, imported in every worker)."""
    from backend import create_app
    from backend.serving.asgi import StudioASGI
    from studio_core.config import load_settings
    from studio_core.logging_setup import configure_logging
    from studio_core.memory import return_large_blocks

    configure_logging("backend", load_settings().log_dir)
    return_large_blocks()  # a decoded upload's memory goes back to the OS when it ends
    config = {}
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        config["METRICS_MULTIPROCESS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    return StudioASGI(create_app(config))


def uvicorn_options(settings: Settings, workers: int) -> dict:
    """uvicorn.run's keywords for this studio."""
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": workers,
        "factory": True,
        "http": "backend.serving.protocol:NoDelayHTTPProtocol",
        "lifespan": "on",
        "log_config": None,  # our logging (studio_core.logging_setup) stays in charge
        "access_log": False,  # the app logs one line per request itself
        # The app alone decides which forwarded headers to believe (backend.security).
        "proxy_headers": False,
        "server_header": False,
        "timeout_keep_alive": IDLE_TIMEOUT_S,
        "limit_concurrency": CONNECTION_LIMIT,
        "timeout_graceful_shutdown": GRACEFUL_S,
    }


def serve(settings: Settings, workers: int = WORKERS) -> None:
    """Serve until stopped (SIGINT/SIGTERM, or Ctrl+C/Ctrl+Break on Windows)."""
    import uvicorn

    raise_open_file_limit()
    if workers > 1:
        metrics_dir_for_workers()
    logger.info(
        "serving server=uvicorn host=%s port=%s processes=%s",
        settings.host,
        settings.port,
        workers,
    )
    uvicorn.run("backend.serving.server:worker_app", **uvicorn_options(settings, workers))
