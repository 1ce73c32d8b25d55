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
from ktlo.errors import StoreError
from ktlo.overrides import set_override
from ktlo.report.model import BASE_TABLE, prepare
from ktlo.store import Store

CACHE_ENTRIES = 512
Stamp = tuple[int, int, int, int]


class Snapshot:
    """One copy of the store with the report tables built, and the answers computed from it."""

    def __init__(self, store: Store, stamp: Stamp, version: int) -> None:
        self.store = store
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
        path = self.store.path
        self.store.close()
        for leftover in (path, Path(f"{path}.wal"), Path(f"{path}.lock")):
            leftover.unlink(missing_ok=True)


class Snapshots:
    """Keeps a current snapshot of the store at `source`, refreshed when the file changes."""

    def __init__(self, source: Path, config: Config, check_every: float = 1.0) -> None:
        if not source.exists():
            raise StoreError(f"no store at {source}", "run `ktlo analyze` or `ktlo sync` first")
        self.source = source
        self.config = config
        self.check_every = check_every
        self.busy_since: datetime | None = None  # a writer held the store at the last check
        self._dir = Path(tempfile.mkdtemp(prefix="ktlo-serve-"))
        self._lock = threading.Lock()  # guards the current snapshot and its users
        self._io = threading.Lock()  # one copy of, or write to, the store at a time
        self._current: Snapshot | None = None
        self._version = 0
        self._copies = 0
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self, on_refresh: Callable[[Snapshot], None] | None = None) -> None:
        """Take the first snapshot (waiting for a writer to finish), then watch the file."""
        while not self.refresh():
            time.sleep(0.2)
        self._on_refresh = on_refresh
        self._watcher = threading.Thread(target=self._watch, name="ktlo-snapshots", daemon=True)
        self._watcher.start()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher:
            self._watcher.join()
        with self._lock:
            if self._current:
                self._retire(self._current)
                self._current = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def _watch(self) -> None:
        if self._on_refresh and self._current:
            self._on_refresh(self._current)  # the first snapshot's pages, ahead of visitors
        while not self._stop.wait(self.check_every):
            try:
                if self.refresh() and self._on_refresh and self._current:
                    self._on_refresh(self._current)
            except StoreError:
                continue  # the store is mid-write or gone for a moment; try again next tick

    # -- reading ---------------------------------------------------------------------
    @contextmanager
    def current(self) -> Iterator[Snapshot]:
        """The snapshot to answer one request from; it stays open until the request ends."""
        with self._lock:
            snap = self._current
            if snap is None:
                raise StoreError("the dashboard is stopping", "start `ktlo serve` again")
            snap.users += 1
        try:
            yield snap
        finally:
            with self._lock:
                snap.users -= 1
                if snap.retired and snap.users == 0:
                    snap.close()

    def refresh(self) -> bool:
        """Copy the store if it changed since the last copy; False if a writer holds it."""
        stamp = _stamp(self.source)
        if self._current is not None and stamp == self._current.stamp:
            self.busy_since = None
            return True
        # Held until the new copy is in place, so that an override waits for it and is
        # applied to the copy that will be read (requests only take `_lock`, briefly).
        with self._io:
            try:
                copy = self._copy()
            except duckdb.IOException:
                self.busy_since = self.busy_since or datetime.now(UTC)
                return False
            stamp = _stamp(self.source)
            store = Store.open(copy)
            prepare(store, self.config, persist=True)
            with self._lock:
                self._version += 1
                snap = Snapshot(store, stamp, self._version)
                old, self._current = self._current, snap
                self.busy_since = None
                if old:
                    self._retire(old)
        return True

    def _copy(self) -> Path:
        """Hold the store read-only (so no writer can start) while its files are copied."""
        con = duckdb.connect(str(self.source), read_only=True)
        try:
            self._copies += 1
            target = self._dir / f"snapshot-{self._copies}.duckdb"
            shutil.copyfile(self.source, target)
            wal = Path(f"{self.source}.wal")
            if wal.exists():
                shutil.copyfile(wal, Path(f"{target}.wal"))
        finally:
            con.close()
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
