"""Give large freed blocks back to the operating system (glibc only).

glibc raises its mmap threshold to the size of the largest block freed so far (up to 32 MB):
after the first decoded upload, Pillow's image blocks come from the heap arenas of the
server's threads, and a fragmented arena keeps them, so a backend that decoded a few large
images held 100+ MB per process for good (bench/upload_memory.py, issue 9). A fixed 1 MB
threshold serves every block of 1 MB or more with its own mmap, unmapped at free: the
memory of an upload is returned when the upload ends. Smaller allocations are unchanged.
Elsewhere (musl, macOS, Windows) this does nothing: their allocators behave differently
and there is no such knob.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
LARGE_BLOCK_BYTES = 1024 * 1024


def return_large_blocks() -> bool:
    """Serve blocks >= 1 MB by mmap from now on in this process; True if glibc took it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (e.g. musl has no mallopt)
    taken = bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))
    logger.debug("malloc mmap threshold set=%s bytes=%s", taken, LARGE_BLOCK_BYTES)
    return taken


def trim_free_memory() -> bool:
    """Give the free pages of every malloc arena back to the system now (glibc's
    malloc_trim); True if any memory was released. A few ms for a heap of a few hundred MB."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False  # not glibc
    return bool(malloc_trim(0))
