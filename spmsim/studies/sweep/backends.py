"""Where a sweep's tasks run: in this process, on a Dask LocalCluster, or on an existing
Dask cluster (a scheduler address or a `distributed.Client`).

A backend runs one function over a list of small, picklable tasks and yields
`(task number, result)` as each finishes, in whatever order they finish; the caller
stores each result at once. On Dask every task is submitted with `retries=`, and a task
whose worker dies is rescheduled by the scheduler (up to its `allowed-failures`), so a
lost worker costs time, not the sweep. `distributed` is imported only when asked for.

Dask's nannies start workers with `MALLOC_TRIM_THRESHOLD_=65536`, which turns off glibc's
adaptive mmap threshold: every large numpy temporary is then mapped and faulted in afresh,
and the engine spends about twice the CPU time. Our LocalCluster unsets it; on another
cluster the sweep says so when the workers have it (the README shows the dask config).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from tqdm.auto import tqdm

from spmsim.errors import SpmsimError

if TYPE_CHECKING:
    from distributed import Client as DaskClient
else:
    DaskClient = Any

TRIM = "MALLOC_TRIM_THRESHOLD_"
RETRIES = 2  # reruns of a task that raised (a dead worker's tasks are rerun regardless)
CONNECT_TIMEOUT = "20s"


class Backend(Protocol):
    description: str
    note: str  # a warning about the backend, or ""
    workers: int  # processes running tasks at once (they share a run's memory budget)

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            keys: Sequence[str]) -> Iterator[tuple[int, Any]]: ...


class SerialBackend:
    """Tasks one after another in this process: the default, and the reference."""

    description = "serial (this process)"
    note = ""
    workers = 1

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            keys: Sequence[str]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)


class DaskBackend:
    """Tasks as Dask futures, yielded as they complete; the pending ones are cancelled
    if the caller stops early (an error or Ctrl-C)."""

    def __init__(self, client: DaskClient, description: str, retries: int = RETRIES):
        self.client, self.description, self.retries = client, description, retries
        self.workers = max(1, _workers(client))
        slow = [w for w, v in client.run(getenv, TRIM).items() if v is not None]
        self.note = (f"{len(slow)} worker(s) run with {TRIM} set (Dask's default): the engine "
                     "needs about twice the CPU there; start them with the dask config "
                     f"`distributed.nanny.pre-spawn-environ.{TRIM}: null`") if slow else ""

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            keys: Sequence[str]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        futures = [self.client.submit(fn, task, key=key, pure=False, retries=self.retries)
                   for task, key in zip(tasks, keys, strict=True)]
        number = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as e:
                    raise SpmsimError(f"task {future.key} failed on {self.description} after "
                                      f"{self.retries} retries: {type(e).__name__}: {e}; the "
                                      "finished tasks are kept: run again to resume") from e
                future.release()
                yield number[future.key], result
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                self.client.cancel(pending)


def getenv(name: str) -> str | None:
    """An environment variable of the process this runs in (a worker, by `client.run`)."""
    return os.environ.get(name)


def run_tasks(backend: Backend, fn: Callable[[Any], Any], tasks: Sequence[Any],
              keys: Sequence[str], progress: bool = True,
              desc: str = "tasks") -> Iterator[tuple[int, Any]]:
    """`backend.run`, with a tqdm bar that moves as each task finishes."""
    with tqdm(total=len(tasks), desc=desc, unit="candidate", disable=not progress) as bar:
        for item in backend.run(fn, tasks, keys):
            bar.update(1)
            yield item


def _workers(client: DaskClient) -> int:
    return len(client.scheduler_info().get("workers", {}))


@contextmanager
def open_backend(workers: int | None = None, scheduler: str | None = None,
                 client: DaskClient | None = None) -> Iterator[Backend]:
    """Serial unless told otherwise: `workers=N` starts (and stops) a LocalCluster of N
    single-threaded worker processes; `scheduler=` connects to a running cluster;
    `client=` uses the caller's client (left open)."""
    if sum(x is not None for x in (workers, scheduler, client)) > 1:
        raise SpmsimError("give at most one of --workers, --scheduler or a Dask client")
    if client is not None:
        yield DaskBackend(client, f"Dask cluster {client.scheduler.address} "
                                  f"({_workers(client)} workers)")
        return
    if workers is None and scheduler is None:
        yield SerialBackend()
        return
    from distributed import Client

    if scheduler is not None:
        try:
            remote = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as e:
            raise SpmsimError(f"--scheduler {scheduler}: cannot reach a Dask scheduler "
                              f"({type(e).__name__}: {e}); start one with `dask scheduler` "
                              "and workers with `dask worker tcp://HOST:8786`") from None
        with remote:
            yield DaskBackend(remote, f"Dask cluster {scheduler} ({_workers(remote)} workers)")
        return
    if workers < 1:
        raise SpmsimError(f"--workers {workers}: give at least 1")
    with local_cluster(workers) as local:
        yield DaskBackend(local, f"Dask LocalCluster ({workers} worker processes)")


@contextmanager
def local_cluster(workers: int) -> Iterator[DaskClient]:
    """A client of a new LocalCluster: `workers` processes of one thread each, no
    dashboard, glibc's malloc left adaptive (see the module notes); closed on exit."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{TRIM}": None}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    with cluster, Client(cluster) as client:
        yield client
