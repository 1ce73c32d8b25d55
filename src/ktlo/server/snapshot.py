"""The dashboard reads a private copy of the store, so that it and `ktlo sync` never block
each other for longer than a file copy.

DuckDB allows one writing process or many reading ones, never both. The dashboard
therefore never keeps the store open: when the store file changes, it opens it read-only
for as long as a copy takes (a writer that finds it locked waits, see
ktlo.store.store._connect), copies it, and builds its report tables in the copy
(`alloc_all`, ktlo.report.model). Requests read the copy through their own cursors. While
a sync holds the store, the copy in hand keeps being served, with a notice. An override is
written to the store itself (briefly taking the writer lock) and applied to the copy at
once, so the page that made it shows it.

The copying and the preparing happen in a background thread, so the server answers (and
stops) at once; the first requests wait for the first copy. Every DuckDB connection doing
work for the dashboard is registered (`Work`), and stopping interrupts them all, so
`ktlo serve` stops promptly on SIGTERM and Ctrl-C even in the middle of a long query.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ktlo.config import Config
from ktlo.errors import StoreError, StoreLockedError
from ktlo.report.model import BASE_TABLE, prepare
from ktlo.store import Store
from ktlo.store.checks import store_failure
from ktlo.verdicts.overrides import set_override

CACHE_ENTRIES = 512
FIRST_COPY_WAIT = 120.0  # seconds a request waits for the first copy of the store
STOP_WAIT = 5.0  # seconds stopping waits for the work in flight to end
Stamp = tuple[int, int, int, int]
STOPPING = ("the dashboard is stopping", "start `ktlo serve` again")


class Work:
    """The DuckDB connections doing work for the dashboard now; stopping interrupts them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, duckdb.DuckDBPyConnection] = {}
        self._stopping = threading.Event()
        self._interrupter: threading.Thread | None = None

    @contextmanager
    def on(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Register `con` while the block runs; an interrupt becomes "the dashboard is stopping"."""
        with self._lock:
            if self._stopping.is_set():
                raise StoreError(*STOPPING)
            self._running[id(con)] = con
        try:
            yield
        except duckdb.InterruptException as exc:
            raise StoreError(*STOPPING) from exc
        finally:
            with self._lock:
                self._running.pop(id(con), None)

    def interrupt(self) -> None:
        """Refuse new work and interrupt the work in flight until none is left (a thread does
        it, so a signal handler may call this)."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
        self._interrupter = threading.Thread(
            target=self._interrupt_until_idle, name="ktlo-stop", daemon=True
        )
        self._interrupter.start()

    def wait_idle(self, timeout: float) -> None:
        if self._interrupter is not None:
            self._interrupter.join(timeout)

    def _interrupt_until_idle(self) -> None:
        # A connection between two queries misses an interrupt: repeat until it leaves.
        deadline = time.monotonic() + STOP_WAIT
        while time.monotonic() < deadline:
            with self._lock:
                running = list(self._running.values())
            if not running:
                return
            for con in running:
                con.interrupt()
            time.sleep(0.02)


class Snapshot:
    """One copy of the store with the report tables built, and the answers computed from it."""

    def __init__(self, store: Store, stamp: Stamp, version: int, work: Work) -> None:
        self.store = store
        self.work = work
        self.stamp = stamp
        self.version = version
        self.taken_at = datetime.now(UTC)
        self.users = 0
        self.retired = False
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._computing: dict[Any, threading.Lock] = {}
        self._generation = 0

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """A Store on its own cursor, for one request (temp views stay with the cursor)."""
        cursor = self.store.con.cursor()
        try:
            with self.work.on(cursor):
                yield Store(cursor, self.store.path, None)
        finally:
            cursor.close()

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The answer for `key`, computed once per snapshot (and after each override).

        Requests for a key being computed wait for that computation instead of repeating it.
        An answer begun before `forget` is kept under the old generation, never served.
        """
        with self._cache_lock:
            key = (self._generation, key)
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            busy = self._computing.setdefault(key, threading.Lock())
        with busy:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            value = compute()
            with self._cache_lock:
                self._cache[key] = value
                self._computing.pop(key, None)
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return value

    def forget(self) -> None:
        """Drop every answer (the copy was just changed by an override)."""
        with self._cache_lock:
            self._generation += 1
            self._cache.clear()

    def close(self) -> None:
        self.store.close()
        _remove(self.store.path)


class Snapshots:
    """Keeps a current snapshot of the store at `source`, refreshed when the file changes."""

    def __init__(self, source: Path, config: Config, check_every: float = 1.0) -> None:
        Store.check(source)  # not a store, empty, damaged, newer: refused here
        self.source = source
        self.config = config
        self.check_every = check_every
        self.busy_since: datetime | None = None  # a writer held the store at the last check
        self.failure: StoreError | None = None  # why no copy could be taken yet
        self.work = Work()
        self._dir = Path(tempfile.mkdtemp(prefix="ktlo-serve-"))
        self._lock = threading.Lock()  # guards the current snapshot and its users
        self._io = threading.Lock()  # one copy of, or write to, the store at a time
        self._current: Snapshot | None = None
        self._version = 0
        self._copies = 0
        self._stop = threading.Event()
        self._first = threading.Event()  # a first copy is in place, or it failed, or stopping
        self._watcher: threading.Thread | None = None
        #: called in the watcher thread with each new snapshot (to compute pages ahead)
        self.on_refresh: Callable[[Snapshot], None] | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Take the first snapshot and then watch the file, in a background thread (once)."""
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="ktlo-snapshots", daemon=True)
            self._watcher.start()

    def wait_first(self) -> None:
        """Wait until the first snapshot is in place or a writer holds the store; raise the
        StoreError that kept it from being taken (a store damaged inside, say)."""
        while not self._first.wait(0.1):
            if self.busy_since is not None:
                return
        with self._lock:
            if self._current is None:
                raise self._why_none()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def interrupt(self) -> None:
        """Stop at once: no new work, and the DuckDB work in flight interrupted."""
        self._stop.set()
        self._first.set()
        self.work.interrupt()

    def stop(self) -> None:
        self.interrupt()
        self.work.wait_idle(STOP_WAIT)
        if self._watcher:
            self._watcher.join(STOP_WAIT)
        with self._lock:
            if self._current:
                self._retire(self._current)
                self._current = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def _watch(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    changed = self.refresh()
                    self.failure = None
                except StoreError as exc:
                    # mid-write or gone for a moment: try again next tick; until a first
                    # copy is in place, the pages say why there is none
                    changed, self.failure = False, exc
                if self._current is not None or self.failure is not None:
                    self._first.set()
                if changed and self.on_refresh and self._current and not self._stop.is_set():
                    self.on_refresh(self._current)
                waiting_for_writer = self._current is None and self.failure is None
                self._stop.wait(
                    min(self.check_every, 0.2) if waiting_for_writer else self.check_every
                )
        finally:
            self._first.set()  # requests never wait for a watcher that is gone

    # -- reading ---------------------------------------------------------------------
    @contextmanager
    def current(self) -> Iterator[Snapshot]:
        """The snapshot to answer one request from; it stays open until the request ends.

        Until the first copy is in place, a request waits for it (FIRST_COPY_WAIT)."""
        self._first.wait(FIRST_COPY_WAIT)
        with self._lock:
            snap = self._current
            if snap is None or self._stop.is_set():
                raise self._why_none()
            snap.users += 1
        try:
            yield snap
        finally:
            with self._lock:
                snap.users -= 1
                if snap.retired and snap.users == 0:
                    snap.close()

    def _why_none(self) -> StoreError:
        if self._stop.is_set():
            return StoreError(*STOPPING)
        if self.failure is not None:
            return StoreError(self.failure.what, self.failure.fix)
        if self.busy_since is not None:
            return StoreError(
                "the store is being written (ktlo sync) and has not been read yet",
                "reload the page when the sync ends",
            )
        return StoreError("the dashboard is still reading the store", "reload in a moment")

    def refresh(self) -> bool:
        """Copy the store if it changed since the last copy, True when a new copy is in
        place; False if it did not change or a writer holds it."""
        stamp = _stamp(self.source)
        if self._current is not None and stamp == self._current.stamp:
            self.busy_since = None
            return False
        # Held until the new copy is in place, so that an override waits for it and is
        # applied to the copy that will be read (requests only take `_lock`, briefly).
        with self._io:
            try:
                copy = self._copy()
            except StoreLockedError:
                self.busy_since = self.busy_since or datetime.now(UTC)
                return False
            stamp = _stamp(self.source)
            store = self._prepared(copy)
            with self._lock:
                self._version += 1
                snap = Snapshot(store, stamp, self._version, self.work)
                old, self._current = self._current, snap
                self.busy_since = None
                if old:
                    self._retire(old)
        return True

    def _prepared(self, copy: Path) -> Store:
        """Open the copy and build its report tables; a failure leaves no copy behind."""
        store = Store.open(copy)
        try:
            with self.work.on(store.con):
                prepare(store, self.config, persist=True)
        except BaseException as exc:
            store.close()
            _remove(copy)
            failure = store_failure(self.source, exc)
            if failure is not None:
                raise failure from exc
            raise
        return store

    def _copy(self) -> Path:
        """Hold the store read-only (so no writer can start) while its files are copied."""
        with Store.open(self.source, read_only=True, wait=0):
            self._copies += 1
            target = self._dir / f"snapshot-{self._copies}.duckdb"
            shutil.copyfile(self.source, target)
            wal = Path(f"{self.source}.wal")
            if wal.exists():
                shutil.copyfile(wal, Path(f"{target}.wal"))
        return target

    def _retire(self, snap: Snapshot) -> None:
        snap.retired = True
        if snap.users == 0:
            snap.close()

    # -- writing ---------------------------------------------------------------------
    def override(self, item_id: str, label: str, note: str | None) -> tuple[str, str | None]:
        """Write an override to the store, and apply it to the current snapshot at once."""
        with self._io:
            with Store.open(self.source) as store:
                investment, subcategory = set_override(store, item_id, label, note, self.config)
            with self.current() as snap, snap.reader() as copy:
                set_override(copy, item_id, label, note, self.config)
                copy.con.execute(
                    f"UPDATE {BASE_TABLE} SET investment = ?, subcategory = ? WHERE item_id = ?",
                    [investment, subcategory, item_id],
                )
                snap.forget()
        return investment, subcategory


def _stamp(path: Path) -> Stamp:
    """What changes when the store is written: its size and time, and its WAL's."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise StoreError(f"the store {path} is gone", "run `ktlo sync` to create it") from exc
    try:
        wal = Path(f"{path}.wal").stat()
        wal_stamp = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        wal_stamp = (0, 0)
    return (st.st_mtime_ns, st.st_size, *wal_stamp)


def _remove(copy: Path) -> None:
    for leftover in (copy, Path(f"{copy}.wal"), Path(f"{copy}.lock")):
        leftover.unlink(missing_ok=True)
