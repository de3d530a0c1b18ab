"""Worker threads that do not oversubscribe the machine.

The engines run chunks on a thread pool (numpy releases the GIL in its kernels). A BLAS
call inside a chunk would start the BLAS library's own threads on top, so workers x BLAS
threads could exceed the cores and the threads would fight for them; `cpu_budget` caps
BLAS at cores // workers while a run lasts (the hot path itself calls no BLAS).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

MAX_WORKERS = 8


def cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """One worker thread per usable core, at most MAX_WORKERS."""
    return max(1, min(cores(), MAX_WORKERS))


def blas_threads(workers: int) -> int:
    """BLAS threads each worker may use so that workers x BLAS threads <= cores."""
    return max(1, cores() // max(1, workers))


@contextmanager
def cpu_budget(workers: int) -> Iterator[None]:
    """Limit BLAS (OpenBLAS, MKL, BLIS) to `blas_threads(workers)` while the block runs."""
    with threadpool_limits(limits=blas_threads(workers), user_api="blas"):
        yield
