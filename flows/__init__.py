"""Prefect flows and the `mql` command: they wire the stages of `tasks/`.

Every process that runs the product imports this package first, so it sets how the process's C
allocator hands memory back (see free_memory_promptly)."""

from __future__ import annotations

import ctypes
import ctypes.util

_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)


def free_memory_promptly() -> bool:
    """Ask glibc to give every large block (from 128 KiB: arrays, frames) its own mapping, returned
    to the system when freed, and to keep two allocation arenas, not one per thread. By default
    glibc raises that threshold as blocks are freed and keeps freed memory for reuse in per-thread
    arenas: a night's peak memory then holds the garbage of its earlier stages (0.5 GB of the
    1 M-row dedupe stage's 4.3 GB). False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)) and bool(libc.mallopt(_M_ARENA_MAX, 2))
    except (OSError, AttributeError, TypeError):  # no C library by that name, or no mallopt
        return False


free_memory_promptly()
