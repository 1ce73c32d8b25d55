"""Opening the store, keeping one writer at a time, and writing batches of rows."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import duckdb

from ktlo.errors import StoreError, StoreLockedError, StoreVersionError
from ktlo.store.checks import FIX_DAMAGED, check_file, kind_of_database, not_a_store, store_failure
from ktlo.store.schema import MIGRATIONS, SCHEMA_VERSION

Row = Sequence[Any]


def default_store_path(repo_path: Path) -> Path:
    """Where `ktlo analyze` keeps a repository's store when no --db is given."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ktlo"
    digest = hashlib.sha256(str(repo_path.resolve()).encode()).hexdigest()[:12]
    return cache / f"{repo_path.resolve().name or 'root'}-{digest}.duckdb"


class Store:
    """A DuckDB file holding everything ktlo knows. Open it with `Store.open`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, lock: IO[str] | None) -> None:
        self.con = con
        self.path = path
        self._lock = lock
        self._checkpoint: threading.Thread | None = None
        self._when_closed: list[Callable[[], None]] = []

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False, wait: float | None = None) -> Store:
        """Open (and create or migrate, when writing) the store at `path`: the one way in.

        A file that is empty, not DuckDB, cut short or damaged, a DuckDB database with
        tables but no ktlo store in it, and a store from a newer ktlo are refused with a
        StoreError before anything in them changes. An empty DuckDB database may become a
        store. `wait`: seconds to wait while another process holds the file (default
        KTLO_LOCK_WAIT); then StoreLockedError.
        """
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError(f"no store at {path}", "run `ktlo analyze` or `ktlo sync` first")
        check_file(path)
        lock = None if read_only else _acquire_writer_lock(path)
        try:
            con = _connect(path, read_only, wait)
        except BaseException:
            if lock:
                lock.close()
            raise
        store = cls(con, path, lock)
        try:
            con.execute("SET enable_progress_bar = false")  # DuckDB's bar would go to stdout
            store._limit_memory()
            store._migrate(read_only)
        except BaseException as exc:
            store.close()
            failure = store_failure(path, exc)
            if failure is not None:
                raise failure from exc
            raise
        return store

    @classmethod
    def check(cls, path: Path | str) -> None:
        """Raise the StoreError that opening `path` for reading would; a store another
        process is writing passes (it is a store, and it will be readable)."""
        try:
            cls.open(path, read_only=True, wait=0).close()
        except StoreLockedError:
            return

    def cursor(self) -> Store:
        """Another connection to the same open database, for a second thread: it sees the
        stored tables, not this connection's temporary ones. Close it when done."""
        cursor = Store(self.con.cursor(), self.path, None)
        cursor.con.execute("SET enable_progress_bar = false")
        return cursor

    def checkpoint_in_background(self) -> None:
        """Start moving what was written (DuckDB's write-ahead log) into the database file on
        another connection, while this one goes on reading: DuckDB releases the GIL as it
        works, so the checkpoint `close` would do runs on the other core beside the queries
        and Python of a report. A checkpoint that fails is left to `close`, which checkpoints
        again and says what went wrong."""
        if self._checkpoint is not None or self._lock is None:  # once; writers only
            return
        cursor = self.con.cursor()

        def checkpoint() -> None:
            try:
                cursor.execute("CHECKPOINT")
            except duckdb.Error:
                pass  # close() checkpoints again and reports it
            finally:
                cursor.close()

        self._checkpoint = threading.Thread(target=checkpoint, name="ktlo-checkpoint", daemon=True)
        self._checkpoint.start()

    def when_closed(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the connection is closed (e.g. to remove a file a view of
        this connection reads); an OSError it raises is ignored."""
        self._when_closed.append(callback)

    def close(self) -> None:
        if self._checkpoint is not None:
            self._checkpoint.join()
            self._checkpoint = None
        self.con.close()
        if self._lock:
            self._lock.close()
            self._lock = None
        callbacks, self._when_closed = self._when_closed, []
        for callback in callbacks:
            with suppress(OSError):
                callback()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close; DuckDB's failures about the file (damaged, unreadable, disk full) raised
        while the store was in use become one StoreError naming it."""
        self.close()
        failure = store_failure(self.path, exc) if exc is not None else None
        if failure is not None:
            raise failure from exc

    @contextmanager
    def one_thread_when_small(self, commits: int) -> Iterator[None]:
        """Run DuckDB on one thread inside the block when the store will hold fewer than
        SMALL_STORE commits (`commits`, counted by the caller): each table then fits in a
        row group or two, so a second thread has little to take and costs its scheduling,
        beside git and ktlo's own thread on a small machine (BENCHMARKS.md). The setting is
        the database's, so a background checkpoint runs on one thread too; it is restored
        after."""
        if commits >= SMALL_STORE:
            yield
            return
        row = self.con.execute("SELECT current_setting('threads')").fetchone()
        self.con.execute("SET threads = 1")
        try:
            yield
        finally:
            with suppress(duckdb.Error):  # a connection that failed inside keeps its error
                self.con.execute(f"SET threads = {int(row[0]) if row else 1}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def upsert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert or replace `rows` (tuples in `columns` order) keyed by the table's primary key.

        The rows travel as one list per column and are unnested in SQL: DuckDB's
        executemany is row-at-a-time and about 200x slower.
        """
        if rows:
            self._insert(f"INSERT OR REPLACE INTO {table}", columns, rows)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Append rows (tables without a key, temporary tables)."""
        if rows:
            self._insert(f"INSERT INTO {table}", columns, rows)

    def _insert(self, verb: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        by_column = [list(values) for values in zip(*rows, strict=True)]
        params = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        self.con.execute(f"{verb} ({', '.join(columns)}) SELECT {params}", by_column)

    def insert_columns(self, table: str, columns: Sequence[str], data: Any) -> None:
        """Append a batch given column-wise: a pyarrow Table (read in place), or one list per column."""
        names = ", ".join(columns)
        if hasattr(data, "column_names"):  # a pyarrow Table: DuckDB scans it without conversion
            if not data.num_rows:
                return
            self.con.register("_ktlo_batch", data)
            try:
                self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _ktlo_batch")
            finally:
                self.con.unregister("_ktlo_batch")
        elif data and len(data[0]):
            params = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
            self.con.execute(f"INSERT INTO {table} ({names}) SELECT {params}", list(data))

    def replace(
        self,
        table: str,
        key: str,
        keys: Sequence[Any],
        columns: Sequence[str],
        rows: Sequence[Row],
    ) -> None:
        """Make `rows` the only rows of `table` whose `key` is in `keys` (call inside a transaction).

        The idempotent upsert of tables without a PRIMARY KEY: a re-run of the same batch
        leaves exactly one copy of each row.
        """
        if keys:
            self.con.execute(
                f"DELETE FROM {table} WHERE {key} IN (SELECT unnest($1))", [list(keys)]
            )
        if rows:
            self._insert(f"INSERT INTO {table}", columns, rows)

    def get_cursor(self, source: str, scope: str) -> Any:
        """The sync cursor a source last wrote for `scope`, or None."""
        row = self.con.execute(
            "SELECT cursor FROM sync_state WHERE source = ? AND scope = ?", [source, scope]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def set_cursor(self, source: str, scope: str, cursor: Any) -> None:
        """Record a sync cursor; call it inside the transaction that wrote the data it covers."""
        self.upsert(
            "sync_state",
            ["source", "scope", "cursor", "updated_at"],
            [(source, scope, json.dumps(cursor), _utcnow())],
        )

    def set_cursors(self, source: str, cursors: dict[str, Any]) -> None:
        """Record several scopes' cursors at once (inside the transaction of their data)."""
        now = _utcnow()
        rows = [(source, scope, json.dumps(cursor), now) for scope, cursor in cursors.items()]
        self.upsert("sync_state", ["source", "scope", "cursor", "updated_at"], rows)

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts keyed by column name; `params` binds its
        `?` (a sequence) or its `$name`s (a mapping)."""
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def schema_version(self) -> int:
        row = self.con.execute(
            "SELECT value FROM ktlo_meta WHERE key = 'schema_version'"
        ).fetchone()
        return int(row[0]) if row else 0

    def _limit_memory(self) -> None:
        """Cap DuckDB's buffer pool so the writer's memory stays flat however long the history."""
        limit = os.environ.get("KTLO_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
        try:
            self.con.execute("SET memory_limit = ?", [limit])
        except duckdb.Error as exc:
            raise StoreError(
                f"KTLO_MEMORY_LIMIT={limit!r} is not a memory size",
                "use a size such as 512MB or 2GB",
            ) from exc

    def _migrate(self, read_only: bool) -> None:
        kind = kind_of_database(self.con)
        if kind == "other":
            raise not_a_store(self.path, self.con)
        if kind == "empty" and read_only:
            raise StoreError(
                f"{self.path} is an empty DuckDB database, not a ktlo store yet",
                "run `ktlo analyze` or `ktlo sync` with this --db first",
            )
        version = self.schema_version() if kind == "ktlo" else 0
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"the store {self.path} was written by a newer ktlo (schema {version}, "
                f"this ktlo knows {SCHEMA_VERSION})",
                "upgrade ktlo (pip install -U ktlo), or use another --db",
            )
        if version == SCHEMA_VERSION:
            return
        if read_only:
            raise StoreVersionError(
                f"the store {self.path} has schema {version}, this ktlo needs {SCHEMA_VERSION}",
                "run any writing command (ktlo analyze, ktlo sync) once to migrate it",
            )
        try:
            with self.transaction():  # all of it or nothing: a failed migration changes nothing
                self.con.execute(
                    "CREATE TABLE IF NOT EXISTS ktlo_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
                )
                for statements in MIGRATIONS[version:]:
                    for statement in statements:
                        self.con.execute(statement)
                self.con.execute(
                    "INSERT OR REPLACE INTO ktlo_meta VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)],
                )
        except (duckdb.CatalogException, duckdb.ConstraintException) as exc:
            # the tables are not what schema `version` says: changed by hand or half-copied
            raise StoreError(
                f"the store {self.path} is damaged: its tables do not match its schema "
                f"version {version} ({exc}); nothing in it was changed",
                FIX_DAMAGED,
            ) from exc


DEFAULT_MEMORY_LIMIT = "1GB"
SMALL_STORE = 100_000  # commits: below this, ingest and analysis run DuckDB on one thread
_OPEN_FIX = "check the path and its permissions, or pass another --db"


def _connect(path: Path, read_only: bool, wait: float | None) -> duckdb.DuckDBPyConnection:
    """Connect, waiting while another process holds DuckDB's file lock for a moment.

    DuckDB lets one process write or many read, never both. Readers such as the dashboard
    hold the file only for a fraction of a second at a time (it reads a private copy), so
    a writer that finds the file locked waits up to `wait` seconds (default KTLO_LOCK_WAIT,
    10) before giving up, and so does a reader that finds a writer.
    """
    if wait is None:
        wait = float(os.environ.get("KTLO_LOCK_WAIT", LOCK_WAIT_SECONDS))
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not (isinstance(exc, duckdb.IOException) and _locked_by_another_process(path)):
                failure = store_failure(path, exc, opening=True)
                raise (failure or exc) from exc
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"the store {path} is held by another process",
                    "wait for it to finish (a ktlo sync, or a program with the file open)",
                ) from exc
            time.sleep(0.05)


LOCK_WAIT_SECONDS = 10.0


def _locked_by_another_process(path: Path) -> bool:
    """Whether another process holds a lock on the file (read from /proc/locks on Linux).

    Where that cannot be read, assume it does: the wait is bounded anyway.
    """
    try:
        st = path.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return True
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        fields = line.split()
        if "->" not in fields and len(fields) > 5 and fields[5] == inode:
            return fields[4] != str(os.getpid())
    return False


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _acquire_writer_lock(path: Path) -> IO[str]:
    """Take the advisory writer lock beside the store, or say who holds it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(f"{path}.lock", "a+")  # noqa: SIM115 - held for the store's lifetime
    except OSError as exc:
        raise StoreError(f"cannot create the store {path}: {exc.strerror}", _OPEN_FIX) from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "unknown"
        lock.close()
        raise StoreLockedError(
            f"the store {path} is being written by another ktlo process (pid {holder})",
            "wait for it to finish, or pass another --db",
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock
