"""Telling a ktlo store from every other file, and DuckDB's failures as StoreErrors.

`Store.open` hands DuckDB only a file that starts like a DuckDB database and is as long
as its own header says (`check_file`); an empty file, a text file or a copy cut short is
refused before DuckDB reads a byte of it. Inside DuckDB, which tables a database holds
decides whether it is a ktlo store (`kind_of_database`), and what DuckDB raises while a
store is used is mapped to a StoreError by its type (`store_failure`).

DuckDB documents the start of its files: an 8-byte checksum, the magic `DUCK`, the
storage version; two database headers follow, and the data starts at 12 KiB. How long a
whole file must be cannot be told from the headers (DuckDB trims free blocks at the end
without counting them out), so a copy cut short later on is found when a missing block is
read: DuckDB's IOException, mapped here like every other failure.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from ktlo.errors import StoreError

if TYPE_CHECKING:
    import duckdb

MAGIC = b"DUCK"
_MAIN = struct.Struct("<8x4s")  # checksum, magic
_DATA_START = 12288  # after the main header and the two database headers
_OTHER_FORMATS = {b"SQLite format 3\x00": "an SQLite database", b"PK\x03\x04": "a zip file"}

FIX_NOT_A_STORE = "pass --db a ktlo store, or the name of a file that does not exist yet"
FIX_DAMAGED = (
    "restore it from a backup, or start a new store with another --db "
    "(ktlo analyze and ktlo sync fill it again)"
)


def check_file(path: Path) -> None:
    """Refuse, before DuckDB reads it, a file that is empty, not DuckDB, or cut short
    within its headers."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_DATA_START)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return  # a new store
    except IsADirectoryError:
        raise StoreError(f"{path} is a folder, not a store", FIX_NOT_A_STORE) from None
    except OSError as exc:
        raise StoreError(
            f"cannot read the store {path}: {exc.strerror}", "check the file's permissions"
        ) from exc
    if size == 0:
        raise StoreError(
            f"{path} is an empty file, not a ktlo store",
            "delete it (ktlo creates the store itself), or pass another --db",
        )
    if len(head) < _MAIN.size or _MAIN.unpack_from(head)[0] != MAGIC:
        raise StoreError(f"{path} is {_format_of(head)}, so not a ktlo store", FIX_NOT_A_STORE)
    if size < _DATA_START:
        raise StoreError(
            f"the store {path} is damaged: it is cut short ({size:,} bytes, less than "
            "DuckDB's headers)",
            FIX_DAMAGED,
        )


def _format_of(head: bytes) -> str:
    for magic, name in _OTHER_FORMATS.items():
        if head.startswith(magic):
            return name
    return "not a DuckDB database"


def kind_of_database(con: duckdb.DuckDBPyConnection) -> str:
    """ "ktlo" (it has ktlo_meta), "empty" (no tables or views at all), or "other"."""
    names = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database()"
        ).fetchall()
    }
    if "ktlo_meta" in names:
        return "ktlo"
    return "other" if names else "empty"


def not_a_store(path: Path, con: duckdb.DuckDBPyConnection) -> StoreError:
    """The error for a DuckDB database that holds tables but no ktlo_meta table."""
    if _has(con, "work_items"):
        return StoreError(
            f"the store {path} is damaged: it has ktlo's tables but not its ktlo_meta table",
            FIX_DAMAGED,
        )
    return StoreError(
        f"{path} is a DuckDB database but not a ktlo store (ktlo adds its tables only to "
        "a new or empty database)",
        FIX_NOT_A_STORE,
    )


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_name = ?",
        [table],
    ).fetchone()
    return bool(row and row[0])


def store_failure(path: Path, exc: BaseException, *, opening: bool = False) -> StoreError | None:
    """DuckDB's failure while opening, reading or writing the store, as a StoreError; None
    if it is not about the store (an error in ktlo's own SQL keeps its traceback)."""
    import duckdb

    if opening and isinstance(exc, duckdb.IOException):
        # the header is DuckDB's, so: a storage version this DuckDB cannot read, or access
        return StoreError(
            f"cannot open the store {path} ({exc})",
            "if a newer ktlo wrote it, upgrade ktlo (pip install -U ktlo); otherwise check "
            "the file's permissions, or pass another --db",
        )
    if type(exc) is duckdb.Error or isinstance(exc, duckdb.SerializationException):
        # DuckDB raises its base class for a block whose checksum does not match
        return StoreError(f"the store {path} is damaged ({exc})", FIX_DAMAGED)
    if isinstance(exc, duckdb.InterruptException):
        return StoreError(f"reading the store {path} was interrupted", "run the command again")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return StoreError(
            f"the store {path} needs more memory than allowed ({exc})",
            "raise KTLO_MEMORY_LIMIT (e.g. KTLO_MEMORY_LIMIT=4GB)",
        )
    if isinstance(exc, duckdb.IOException | duckdb.FatalException):
        return StoreError(
            f"cannot read or write the store {path} ({exc})",
            "check the disk has room and the file's permissions; if the file is damaged, "
            + FIX_DAMAGED,
        )
    if opening and isinstance(exc, duckdb.Error):
        return StoreError(f"cannot open the store {path} ({exc})", FIX_NOT_A_STORE)
    return None
