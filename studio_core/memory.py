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
import functools
import logging
import sys

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
LARGE_BLOCK_BYTES = 1024 * 1024


@functools.cache
def _glibc(name: str):
    """glibc's function `name`, or None (not Linux, or not glibc: musl has no mallopt or
    malloc_trim). Looked up once: find_library runs `ldconfig -p` in a subprocess (~3 ms),
    too much for every upload that ends a burst."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def return_large_blocks() -> bool:
    """Serve blocks >= 1 MB by mmap from now on in this process; True if glibc took it."""
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    taken = bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))
    logger.debug("malloc mmap threshold set=%s bytes=%s", taken, LARGE_BLOCK_BYTES)
    return taken


def trim_free_memory() -> bool:
    """Give the free pages of every malloc arena back to the system now (glibc's
    malloc_trim); True if any memory was released. A few ms for a heap of a few hundred MB."""
    malloc_trim = _glibc("malloc_trim")
    return malloc_trim is not None and bool(malloc_trim(0))
