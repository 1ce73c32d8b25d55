"""Files that are not (whole) ktlo stores: one clear line from `Store.open`, from every
command and from `ktlo serve`, and nothing in the file changed."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.errors import StoreError, StoreVersionError
from ktlo.store import Store
from ktlo.store.schema import SCHEMA_VERSION
from tests.browser import free_port
from tests.conftest import GitRepo
from tests.report_work import build_org, write_config

TABLES = ("repositories", "work_items", "commits", "commit_files", "verdicts", "activities")


def ktlo_store(path: Path) -> Path:
    with Store.open(path) as store:
        build_org(store)
        store.con.execute("CHECKPOINT")
    return path


def damage_block(path: Path, block: int) -> None:
    """Overwrite 200 bytes inside data block `block` (DuckDB's blocks are 256 KiB from 12 KiB)."""
    with path.open("r+b") as handle:
        handle.seek(12288 + block * 262144 + 1000)
        handle.write(b"x" * 200)


def _text(path: Path) -> None:
    path.write_text("name,team\nana,payments\n")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _sqlite(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE people (name TEXT)")
    con.close()


def _other_duckdb(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE invoices (id INTEGER, amount DECIMAL(9, 2))")
    con.execute("INSERT INTO invoices VALUES (1, 9.50)")
    con.close()


def _newer(path: Path) -> None:
    with Store.open(ktlo_store(path)) as store:
        store.con.execute("UPDATE ktlo_meta SET value = '999' WHERE key = 'schema_version'")


def _without_meta(path: Path) -> None:
    ktlo_store(path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE ktlo_meta")
    con.close()


def _cut_short(path: Path) -> None:
    path.write_bytes(ktlo_store(path).read_bytes()[:6000])  # within DuckDB's headers


def _damaged_catalog(path: Path) -> None:
    damage_block(ktlo_store(path), 0)


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "text": (_text, "is not a DuckDB database, so not a ktlo store"),
    "empty": (_empty, "is an empty file, not a ktlo store"),
    "sqlite": (_sqlite, "is an SQLite database, so not a ktlo store"),
    "other duckdb": (_other_duckdb, "is a DuckDB database but not a ktlo store"),
    "newer ktlo": (_newer, "was written by a newer ktlo"),
    "no ktlo_meta": (_without_meta, "has ktlo's tables but not its ktlo_meta table"),
    "cut short": (_cut_short, "is damaged: it is cut short"),
    "damaged": (_damaged_catalog, "is damaged (Corrupt database file"),
}


@pytest.fixture(params=sorted(BAD))
def bad(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str, bytes]:
    make, message = BAD[request.param]
    path = tmp_path / "store.duckdb"
    make(path)
    return path, message, path.read_bytes()


@pytest.mark.parametrize("read_only", [True, False])
def test_a_bad_file_is_refused_and_left_as_it_was(
    bad: tuple[Path, str, bytes], read_only: bool
) -> None:
    path, message, before = bad
    with pytest.raises(StoreError, match=message.replace("(", r"\(")):
        Store.open(path, read_only=read_only)
    assert path.read_bytes() == before


def test_another_databases_tables_are_never_joined_by_ktlos(tmp_path: Path) -> None:
    path = tmp_path / "invoices.duckdb"
    _other_duckdb(path)
    with pytest.raises(StoreError, match="not a ktlo store"):
        Store.open(path)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SHOW TABLES").fetchall() == [("invoices",)]
    con.close()


def test_an_empty_database_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="empty DuckDB database, not a ktlo store yet"):
        Store.open(path, read_only=True)
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    """A store stamped with schema 1 whose tables are already newer (copied by hand)."""
    path = ktlo_store(tmp_path / "odd.duckdb")
    con = duckdb.connect(str(path))
    con.execute("UPDATE ktlo_meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="its tables do not match its schema version 1"):
        Store.open(path)
    assert path.read_bytes() == before
    with pytest.raises(StoreVersionError, match="has schema 1"):
        Store.open(path, read_only=True)


def test_damage_found_while_reading_is_one_store_error(tmp_path: Path) -> None:
    """Damage anywhere in the data is a StoreError naming the store, whether DuckDB finds it
    when the store is opened or only when a damaged block is read."""
    pristine = ktlo_store(tmp_path / "pristine.duckdb").read_bytes()
    found = []
    for block in range((len(pristine) - 12288) // 262144):
        path = tmp_path / f"damaged-{block}.duckdb"
        path.write_bytes(pristine)
        damage_block(path, block)
        opened = False
        try:
            with Store.open(path, read_only=True) as store:
                opened = True
                for table in TABLES:
                    store.con.execute(f"SELECT * FROM {table}").fetchall()
            found.append("a free block")
        except StoreError as exc:
            assert str(exc).startswith(f"the store {path} is damaged (Corrupt database file")
            found.append("while reading" if opened else "at open")
    assert {"at open", "while reading"} <= set(found)


def test_a_store_cut_in_half_is_one_store_error_when_read(tmp_path: Path) -> None:
    """How long a store must be cannot be told before reading; the missing part is found
    when a command reads it, and said in one line (a command, and `ktlo serve`)."""
    path = ktlo_store(tmp_path / "store.duckdb")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    message = f"cannot read or write the store {path} (IO Error: Could not read enough bytes"
    with pytest.raises(StoreError, match=re.escape(message)):
        with Store.open(path, read_only=True) as store:
            for table in TABLES:
                store.con.execute(f"SELECT * FROM {table}").fetchall()
    write_config(tmp_path)
    config = str(tmp_path / "ktlo.toml")
    result = CliRunner().invoke(main, ["report", "--json", "--db", str(path), "--config", config])
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"Error: {message}")
    done = subprocess.run(serve_command(path, tmp_path / "ktlo.toml"), capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and done.stderr.startswith(f"Error: {message}")
    assert len(done.stderr.strip().splitlines()) == 1


# -- every command, as a person runs it ----------------------------------------------------


def commands(tmp_path: Path, repo: Path) -> list[list[str]]:
    config = str(tmp_path / "ktlo.toml")
    return [
        ["analyze", str(repo)],
        ["allocation", "--config", config],
        ["budget", "--config", config],
        ["health", "--config", config],
        ["report", "--json", "--config", config],
        ["mode", "--config", config],
        ["forecast", "--config", config],
        ["sprints", "--config", config],
        ["review", "--config", config],
        ["override", "--list"],
        ["override", "ana1", "--as", "ktlo/bug"],
        ["reclassify", "--config", config],
        ["explain", "abc123"],
        ["init", "--output", str(tmp_path / "starter.toml")],
        ["rotation", "plan", "--team", "payments", "--start", "2026-04-06", "--config", config],
        ["rotation", "review", "--team", "payments", "--config", config],
    ]


def test_every_command_says_one_line_and_changes_nothing(
    bad: tuple[Path, str, bytes], tmp_path: Path, shop: GitRepo
) -> None:
    path, message, before = bad
    write_config(tmp_path)
    for args in commands(tmp_path, shop.path):
        result = CliRunner().invoke(main, [*args, "--db", str(path)])
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1, (args, result.stderr, result.exception)
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], args
        assert path.read_bytes() == before, args
    assert not (tmp_path / "starter.toml").exists()


# -- ktlo serve ------------------------------------------------------------------------------


def serve_command(db: Path, config: Path) -> list[str]:
    return [sys.executable, "-m", "ktlo", "serve", "--db", str(db), "--config", str(config),
            "--port", str(free_port())]  # fmt: skip


def test_serve_refuses_a_bad_store_before_showing_its_address(
    bad: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    path, message, before = bad
    write_config(tmp_path)
    done = subprocess.run(
        serve_command(path, tmp_path / "ktlo.toml"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()] and message in done.stderr
    assert done.stderr.startswith("Error: ") and "http://" not in done.stderr
    assert path.read_bytes() == before


def test_serve_refuses_a_store_damaged_inside_before_showing_its_address(tmp_path: Path) -> None:
    """Damage DuckDB finds only when the report tables are built (in a data block)."""
    write_config(tmp_path)
    pristine = ktlo_store(tmp_path / "pristine.duckdb").read_bytes()
    path = tmp_path / "store.duckdb"
    for block in range((len(pristine) - 12288) // 262144):
        path.write_bytes(pristine)
        damage_block(path, block)
        try:
            Store.open(path, read_only=True).close()
        except StoreError:
            continue  # found when opened: the case above
        command = serve_command(path, tmp_path / "ktlo.toml")
        with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as server:
            assert server.stderr is not None
            first = server.stderr.readline()  # the address once it answers, or the error
            if first.startswith("ktlo dashboard:"):
                server.terminate()  # a block the report does not read
                continue
            rest = server.stderr.read()
            assert server.wait(timeout=30) == 1 and rest == ""
        assert first.startswith(f"Error: the store {path} is damaged (Corrupt database file")
        return
    pytest.fail("no block was found damaged only when read")


def test_a_checkpoint_in_the_background_leaves_everything_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        build_org(store)  # written in transactions: DuckDB's write-ahead log holds it
        counts = {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in TABLES}
        assert Path(f"{path}.wal").exists()
        store.checkpoint_in_background()
        # the connection goes on reading while the other one checkpoints
        assert store.con.execute("SELECT count(*) FROM commits").fetchone() == counts["commits"]
    assert not Path(f"{path}.wal").exists()
    with Store.open(path, read_only=True) as again:
        assert {
            t: again.con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in TABLES
        } == counts


def test_a_background_checkpoint_beside_a_write_in_progress_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        build_org(store)
        store.con.execute("BEGIN TRANSACTION")  # a write in progress, then given up
        store.con.execute("DELETE FROM activities")
        store.checkpoint_in_background()
        assert store._checkpoint is not None
        store._checkpoint.join()
        store.con.execute("ROLLBACK")
        kept = store.con.execute("SELECT count(*) FROM activities").fetchone()
    assert not Path(f"{path}.wal").exists()
    with Store.open(path, read_only=True) as again:
        assert again.con.execute("SELECT count(*) FROM activities").fetchone() == kept
