"""Where the mining runs: in this process, in local worker processes, or on a Dask cluster.

All three are a `concurrent.futures.Executor`, so the writer's loop (`ktlo.ingest.scale.runner`)
is one piece of code: `ProcessPoolExecutor` for `--jobs N`, Dask's `Client.get_executor()`
for `--executor dask://HOST:PORT`, and an inline executor for `--jobs 1` (no pool to
start, the baseline of the measurements). A `Pool` adds what the interface lacks: how many
tasks to keep in flight, and starting the executor again after a worker process died
(`BrokenExecutor`; Dask re-runs a dead worker's tasks itself).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from ktlo.errors import ConfigError

P = ParamSpec("P")
T = TypeVar("T")

LOCAL = "local"
_DASK = re.compile(r"^dask://(?P<address>[^/\s]+:\d+)/?$")
WATCH_SECONDS = 1.0  # how often a local worker checks that its writer is alive
IN_FLIGHT_PER_WORKER = 2  # one running, one waiting, so no worker idles while the writer loads


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Engine:
    """How to run the mining: `local` processes (`jobs` of them) or `dask://HOST:PORT`."""

    executor: str = LOCAL
    jobs: int = 1

    @classmethod
    def parse(cls, executor: str | None, jobs: int | None) -> Engine:
        """Validate --executor / --jobs (or ktlo.toml's [git] executor and jobs)."""
        executor = (executor or LOCAL).strip()
        if executor != LOCAL and not _DASK.match(executor):
            raise ConfigError(
                f"unknown executor {executor!r}",
                "use `local`, or dask://HOST:PORT for a Dask scheduler (docs/scaling.md)",
            )
        if jobs is not None and jobs < 1:
            raise ConfigError(f"--jobs {jobs} is not a number of processes", "use 1 or more")
        return cls(executor, jobs or default_jobs())

    @property
    def is_dask(self) -> bool:
        """Runs on a Dask cluster."""
        return self.executor != LOCAL

    def describe(self) -> str:
        """For people: `this process`, `4 local processes` or the Dask address."""
        if self.is_dask:
            return self.executor
        return "this process" if self.jobs == 1 else f"{self.jobs} local processes"

    @contextmanager
    def open(self) -> Iterator[Pool]:
        """A pool to submit to; closed (workers stopped, a Dask client disconnected) on exit."""
        pool = _dask_pool(self.executor) if self.is_dask else _local_pool(self.jobs)
        try:
            yield pool
        finally:
            pool.close()


class Pool:
    """An executor, the tasks worth keeping in flight on it, and a restart after a crash."""

    def __init__(
        self,
        make: Callable[[], tuple[Executor, int]],
        workers: int,
        restartable: bool = True,
    ) -> None:
        self.workers = workers  # until started: the number expected
        self._make = make
        self._executor: Executor | None = None
        self._close: Callable[[], None] = lambda: None
        self._restartable = restartable

    @property
    def slots(self) -> int:
        """How many tasks to keep in flight."""
        return self.workers * IN_FLIGHT_PER_WORKER

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Executor.submit, starting the executor (or connecting to Dask) on first use."""
        if self._executor is None:  # started on first use: an all-unchanged run starts nothing
            self._executor, self.workers = self._make()
        return self._executor.submit(fn, *args, **kwargs)

    def restart(self) -> None:
        """Drop an executor whose worker died (its futures fail); the next submit starts anew."""
        if self._restartable and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """Stop the workers (local) or disconnect, cancelling what is still queued (Dask)."""
        if self._restartable and self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None
        self._close()

    def on_close(self, close: Callable[[], None]) -> None:
        """Also call `close` when the pool closes (a Dask client's disconnect)."""
        self._close = close


class InlineExecutor(Executor):
    """Runs each task at submit, in this process: `--jobs 1`."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _local_pool(jobs: int) -> Pool:
    if jobs == 1:
        return Pool(lambda: (InlineExecutor(), 1), 1)

    def start() -> tuple[Executor, int]:
        pool = ProcessPoolExecutor(
            jobs, mp_context=_context(), initializer=_worker_init, initargs=(os.getpid(),)
        )
        return pool, jobs

    return Pool(start, jobs)


def _worker_init(writer: int) -> None:
    """Leave Ctrl-C to the writer (it stops dispatching and lets tasks end); die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settle_for_mining()
    threading.Thread(target=_exit_with, args=(writer,), daemon=True).start()


#: Tracked allocations between young collections while mining (Python's default: 700).
MINING_GC_THRESHOLD = (10_000, 10, 10)


def settle_for_mining() -> None:
    """Set a mining process's garbage collector for mining, once per process.

    What the process loaded before (modules, pydantic's and DuckDB's tables) lives until
    it exits, yet each full collection would walk all of it again: it is frozen out of
    the collector's sight. Mining makes millions of short-lived tuples and lists, few of
    them in cycles: young collections come every 10,000 allocations instead of 700. On
    psf/requests the collector's CPU falls from ≈ 120 to ≈ 35 ms of a ≈ 1 s run."""
    if _SETTLED:
        return
    _SETTLED.append(True)
    gc.freeze()
    gc.set_threshold(*MINING_GC_THRESHOLD)


_SETTLED: list[bool] = []


def _exit_with(writer: int) -> None:
    """A worker whose writer was killed (kill -9) would wait for work forever: exit instead."""
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            os.kill(writer, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid now belongs to another user's process: ours is gone
            os._exit(1)


def _context() -> Any:
    """forkserver where there is one: workers fork from a clean process that imported ktlo once."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ktlo.ingest.scale.mining"])
    return context


def _dask_pool(executor: str) -> Pool:
    """Connects on first use: a run with nothing to mine never talks to the cluster."""
    pool = Pool(lambda: _dask_connect(executor, pool), 1, restartable=False)
    return pool


def _dask_connect(executor: str, pool: Pool) -> tuple[Executor, int]:
    try:  # Dask ships no type information: its client is Any here
        Client: Any = importlib.import_module("distributed").Client
    except ImportError:
        raise ConfigError(
            f"--executor {executor} needs Dask", "install it with pip install 'ktlo[scale]'"
        ) from None
    match = _DASK.match(executor)
    assert match is not None  # Engine.parse checked it
    address = f"tcp://{match['address']}"
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address}: {exc}",
            "start one with `dask scheduler` and workers with `dask worker ADDRESS` (docs/scaling.md)",
        ) from exc
    try:
        if not client.nthreads():
            client.wait_for_workers(1, timeout=60)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ConfigError(
            f"the Dask scheduler at {address} has no workers",
            "start some with `dask worker ADDRESS --nthreads 1`",
        ) from exc
    pool.on_close(client.close)
    workers = max(1, sum(client.nthreads().values()))
    return client.get_executor(pure=False), workers
