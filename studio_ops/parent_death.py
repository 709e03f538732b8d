"""Children that die with the launcher, even when the launcher itself is SIGKILLed.

A SIGTERM or Ctrl-C lets the launcher stop its children in order; a SIGKILL (OOM killer, a
`kill -9`, a crashed terminal) gives it no chance, and on Linux its children would live on as
orphans holding the ports. The kernel's parent-death signal covers that case: each child asks
to receive SIGTERM when the process that started it dies, and then stops as it would on a
normal stop. Other systems have no such call; there the launcher's own handlers are all.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for Popen that sets the parent-death signal (None where unsupported)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # Loaded here, in the parent: the child, between fork and exec, only makes the call.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        # The parent may have died before the call: then no signal will ever come.
        if os.getppid() != parent:
            os._exit(1)

    return preexec
