"""Platform differences in one place: which signals mean "stop", and how to install them.

POSIX sends SIGTERM (docker stop, systemd) and SIGINT (Ctrl-C); Windows has no SIGTERM from
the console but sends SIGINT for Ctrl-C and SIGBREAK for Ctrl-Break / a closing console.
Workers are threads, never forked processes, so nothing here depends on `fork`.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

IS_WINDOWS = sys.platform == "win32"


def stop_signals() -> list[signal.Signals]:
    """The signals that ask the worker to stop gracefully on this platform."""
    names = ["SIGINT", "SIGTERM"] + (["SIGBREAK"] if IS_WINDOWS else [])
    return [getattr(signal, n) for n in names if hasattr(signal, n)]


def install_stop_handlers(on_stop: Callable[[], None]) -> Callable[[], None]:
    """Call `on_stop` on a stop signal (main thread only); returns a function that restores."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may set handlers (e.g. a worker in a test)
    previous = {}

    def handler(signum, _frame) -> None:
        logger.info("worker stop signal=%s", signal.Signals(signum).name)
        on_stop()

    for sig in stop_signals():
        previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
