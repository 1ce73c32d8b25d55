"""The store: schema versions, one writer, idempotent upserts, cursors in transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktlo.errors import StoreError, StoreLockedError, StoreVersionError
from ktlo.store import Store
from ktlo.store.schema import SCHEMA_VERSION


def test_new_store_is_migrated_to_the_current_schema(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    tables = {
        r["table_name"] for r in store.query("SELECT table_name FROM information_schema.tables")
    }
    assert {
        "work_items",
        "commits",
        "commit_files",
        "verdicts",
        "sync_state",
        "repositories",
    } <= tables


def test_store_from_a_newer_ktlo_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    with Store.open(path) as store:
        store.con.execute("UPDATE ktlo_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreVersionError, match="newer ktlo"):
        Store.open(path)


def test_second_writer_is_told_who_holds_the_store(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    with (
        Store.open(path),
        pytest.raises(StoreLockedError, match=r"another ktlo process \(pid \d+\)"),
    ):
        Store.open(path)
    Store.open(path).close()  # released on close


def test_read_only_open_of_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)


def test_read_only_open_of_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    import duckdb

    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="not a ktlo store"):
        Store.open(path, read_only=True)


def test_upsert_replaces_by_primary_key(store: Store) -> None:
    store.set_cursor("git", "a", {"tips": ["x"]})
    store.set_cursor("git", "a", {"tips": ["y"]})
    assert store.get_cursor("git", "a") == {"tips": ["y"]}
    assert store.query("SELECT count(*) AS n FROM sync_state")[0]["n"] == 1


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.set_cursor("git", "a", {"tips": ["x"]})
        raise RuntimeError("crash mid-batch")
    assert store.get_cursor("git", "a") is None
