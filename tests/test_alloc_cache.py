"""The allocation table kept beside the store (ktlo.effort.alloc_cache): read back while
nothing it is made of changed, rebuilt the moment anything did, never in the way."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

import ktlo.effort.allocation as allocation_module
from ktlo.cli import main
from tests.conftest import BOB, GitRepo

TEAMS = """
[[teams]]
name = "checkout"
members = ["Alice Martin"]
cost_per_fte_month = 20000

[[teams]]
name = "platform"
members = ["Bob Chen", "Carol Diaz"]
cost_per_fte_month = 25000

[initiatives."Payments v2"]
capitalizable = true

[people."Bob Chen"]
capacity = 1.0
"""
MOVED = TEAMS.replace('["Alice Martin"]', '["Alice Martin", "Bob Chen"]').replace(
    '["Bob Chen", "Carol Diaz"]', '["Carol Diaz"]'
)


def _ktlo(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _setup(shop: GitRepo, tmp_path: Path, text: str = TEAMS) -> tuple[str, str]:
    db = str(tmp_path / "s.duckdb")
    config = tmp_path / "ktlo.toml"
    config.write_text(text, encoding="utf-8")
    assert CliRunner().invoke(main, ["analyze", str(shop.path), "--db", db]).exit_code == 0
    return db, str(config)


def _cache(db: str) -> Path:
    return Path(db + ".cache")


def _fresh(*args: str, db: str) -> dict[str, Any]:
    """The document computed with no saved table to read (what the code before computed)."""
    shutil.rmtree(_cache(db), ignore_errors=True)
    return _ktlo(*args)


def _double_on_disk(saved: Path) -> None:
    """Every person-day of a saved table doubled, in place: a run that reads it shows it."""
    doubled = (
        duckdb.connect()
        .read_parquet(str(saved))
        .project("* REPLACE (person_days * 2 AS person_days)")
    )
    doubled.write_parquet(str(saved) + ".x")
    Path(str(saved) + ".x").replace(saved)


COMMANDS = (
    ("allocation",),
    ("allocation", "--by", "team"),
    ("allocation", "--by", "initiative"),
    ("capitalization",),
    ("budget",),
)


def test_a_second_run_reads_the_saved_table_and_answers_the_same(
    shop: GitRepo, tmp_path: Path
) -> None:
    db, config = _setup(shop, tmp_path)
    for command in COMMANDS:
        first = _ktlo(*command, "--db", db, "--config", config)
        assert _ktlo(*command, "--db", db, "--config", config) == first, command
    # one file per kind of table: with initiatives (allocation --by initiative and
    # capitalization share it) and without
    saved = sorted(p.name.split("-")[:2] for p in _cache(db).glob("*.parquet"))
    assert saved == [["alloc", "i0c0"], ["alloc", "i1c0"]]


def test_the_saved_table_is_what_the_next_run_reads(shop: GitRepo, tmp_path: Path) -> None:
    """Proof that the file is read, not recomputed: doubled on disk, doubled in the answer."""
    db, config = _setup(shop, tmp_path)
    before = _ktlo("allocation", "--db", db, "--config", config)
    (saved,) = _cache(db).glob("alloc-*.parquet")
    _double_on_disk(saved)
    after = _ktlo("allocation", "--db", db, "--config", config)
    assert after["totals"]["person_days"] == 2 * before["totals"]["person_days"]
    # a range is computed each time: every day of the shop's history, not the file's doubles
    ranged = _ktlo("allocation", "--since", "2025-01-01", "--db", db, "--config", config)
    assert ranged["totals"]["person_days"] == before["totals"]["person_days"]


def test_a_new_sync_is_counted(shop: GitRepo, tmp_path: Path) -> None:
    db, config = _setup(shop, tmp_path)
    args = ("allocation", "--by", "team", "--db", db, "--config", config)
    before = _ktlo(*args)
    shop.commit("fix: round totals", {"src/round.py": "R = 2\n"}, BOB, "2026-03-06T10:00:00+00:00")
    assert CliRunner().invoke(main, ["analyze", str(shop.path), "--db", db]).exit_code == 0
    after = _ktlo(*args)
    assert after["totals"]["person_days"] > before["totals"]["person_days"]
    assert after == _fresh(*args, db=db)


def test_an_override_is_counted(shop: GitRepo, tmp_path: Path) -> None:
    db, config = _setup(shop, tmp_path)
    args = ("allocation", "--db", db, "--config", config)
    before = _ktlo(*args)
    feature = shop.shas["feat"]
    result = CliRunner().invoke(main, ["review", feature[:10], "--as", "ktlo/bug", "--db", db])
    assert result.exit_code == 0, result.output
    after = _ktlo(*args)
    assert after["totals"]["ktlo_person_days"] > before["totals"]["ktlo_person_days"]
    assert after == _fresh(*args, db=db)


def test_a_changed_team_and_another_config_are_counted(shop: GitRepo, tmp_path: Path) -> None:
    db, config = _setup(shop, tmp_path)
    args = ("allocation", "--by", "team", "--db", db)
    by_team = {g["key"]: g["person_days"] for g in _ktlo(*args, "--config", config)["groups"]}
    other = tmp_path / "other.toml"
    other.write_text(MOVED, encoding="utf-8")  # Bob moves from platform to checkout
    moved = _ktlo(*args, "--config", str(other))
    moved_by_team = {g["key"]: g["person_days"] for g in moved["groups"]}
    assert moved_by_team["checkout"] > by_team["checkout"]
    assert moved == _fresh(*args, "--config", str(other), db=db)
    Path(config).write_text(MOVED, encoding="utf-8")  # the same change in the first file
    assert _ktlo(*args, "--config", config) == moved


def test_a_person_s_capacity_and_time_off_are_counted(shop: GitRepo, tmp_path: Path) -> None:
    db, config = _setup(shop, tmp_path)
    args = ("allocation", "--db", db, "--config", config)
    before = _ktlo(*args)["totals"]["person_days"]
    away = 'capacity = 1.0\ntime_off = [{ start = "2026-01-10", end = "2026-01-10" }]'
    for edited in (TEAMS.replace("capacity = 1.0", away), TEAMS.replace("1.0", "0.5")):
        _ktlo(*args)  # the table of the file as it was is saved
        Path(config).write_text(edited, encoding="utf-8")
        after = _ktlo(*args)
        assert after["totals"]["person_days"] < before
        assert after == _fresh(*args, db=db)
        Path(config).write_text(TEAMS, encoding="utf-8")


def test_a_folder_that_cannot_be_written_or_a_damaged_file_computes_as_before(
    shop: GitRepo, tmp_path: Path
) -> None:
    db, config = _setup(shop, tmp_path)
    args = ("allocation", "--by", "initiative", "--db", db, "--config", config)
    expected = _fresh(*args, db=db)
    for saved in _cache(db).glob("*.parquet"):
        saved.write_bytes(b"not parquet")
    assert _ktlo(*args) == expected
    shutil.rmtree(_cache(db))
    _cache(db).write_text("a file where the folder would go", encoding="utf-8")
    assert _ktlo(*args) == expected
    assert _cache(db).read_text(encoding="utf-8") == "a file where the folder would go"


def test_a_file_left_half_written_by_a_stopped_process_is_removed(
    shop: GitRepo, tmp_path: Path
) -> None:
    db, config = _setup(shop, tmp_path)
    _cache(db).mkdir()
    stale, writing = _cache(db) / ".alloc-i0c0-0.parquet.1", _cache(db) / ".alloc-i0c0-1.parquet.2"
    for path in (stale, writing):
        path.write_bytes(b"half a Parquet file")
    os.utime(stale, (time.time() - 2 * 3600, time.time() - 2 * 3600))  # two hours ago
    _ktlo("allocation", "--db", db, "--config", config)
    assert not stale.exists() and writing.exists()  # another process may still be writing


def _sync(shop: GitRepo, tmp_path: Path) -> tuple[str, str]:
    db = str(tmp_path / "s.duckdb")
    config = tmp_path / "ktlo.toml"
    config.write_text(f'[git]\nrepositories = ["{shop.path}"]\n{TEAMS}', encoding="utf-8")
    result = CliRunner().invoke(main, ["sync", "git", "--db", db, "--config", str(config)])
    assert result.exit_code == 0, result.output
    return db, str(config)


def test_a_sync_of_a_large_store_prepares_the_tables_the_next_commands_read(
    shop: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(allocation_module, "PREPARE_FROM_ITEMS", 1)  # "large" from one item
    db, config = _sync(shop, tmp_path)
    saved = sorted(p.name.split("-")[1] for p in _cache(db).glob("alloc-*.parquet"))
    assert saved == ["i0c0", "i1c0"]  # allocation and budget; --by initiative, capitalization
    # the first allocation after the sync reads what the sync prepared: doubled on disk,
    # doubled in the answer
    (plain,) = _cache(db).glob("alloc-i0c0-*.parquet")
    _double_on_disk(plain)
    after = _ktlo("allocation", "--db", db, "--config", config)
    assert (
        after["totals"]["person_days"]
        == 2 * _fresh("allocation", "--db", db, "--config", config, db=db)["totals"]["person_days"]
    )


def test_a_sync_of_a_small_store_prepares_nothing(shop: GitRepo, tmp_path: Path) -> None:
    db, _ = _sync(shop, tmp_path)  # a few commits: every allocation is computed in no time
    assert not list(_cache(db).glob("*.parquet"))


def _read_back(db: str, config: str) -> tuple[Any, Any]:
    """A store whose `alloc` was read back from the saved file, and the allocation then."""
    from ktlo.config import load_config
    from ktlo.effort.allocation import build_allocation
    from ktlo.store import Store

    store = Store.open(db, read_only=True)
    build_allocation(store, load_config(Path(config)), None, None, initiatives=False, cached=True)
    return store, store.con.execute("SELECT sum(person_days), count(*) FROM alloc").fetchone()


def test_a_saved_table_is_read_through_a_link_that_outlives_its_replacement(
    shop: GitRepo, tmp_path: Path
) -> None:
    db, config = _setup(shop, tmp_path)
    _ktlo("allocation", "--db", db, "--config", config)  # saves the table
    store, before = _read_back(db, config)
    try:
        (link,) = _cache(db).glob(".alloc-*.use-*")
        # another command (another ktlo.toml) replaces the file this store reads
        for saved in _cache(db).glob("alloc-*.parquet"):
            saved.unlink()
        _ktlo("allocation", "--db", db, "--config", config)
        assert (
            store.con.execute("SELECT sum(person_days), count(*) FROM alloc").fetchone() == before
        )
    finally:
        store.close()
    assert not link.exists()  # removed with the store


def test_a_link_left_by_a_killed_process_is_removed_and_one_in_use_is_kept(
    shop: GitRepo, tmp_path: Path
) -> None:
    db, config = _setup(shop, tmp_path)
    _ktlo("allocation", "--db", db, "--config", config)
    (saved,) = _cache(db).glob("alloc-*.parquet")
    dead = _cache(db) / f".{saved.name}.use-{2**22 + 12345}"  # beyond Linux's pid range
    os.link(saved, dead)
    store, _ = _read_back(db, config)  # this process's own link, in use
    try:
        (mine,) = _cache(db).glob(f".alloc-*.use-{os.getpid()}")
        (tmp_path / "ktlo.toml").write_text(MOVED, encoding="utf-8")
        _ktlo("allocation", "--db", db, "--config", config)  # a save: cleans up
        assert not dead.exists() and mine.exists()
    finally:
        store.close()


def test_where_no_link_can_be_made_the_saved_table_is_copied(
    shop: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, config = _setup(shop, tmp_path)
    expected = _ktlo("allocation", "--db", db, "--config", config)

    def refuse(*args: object) -> None:
        raise PermissionError("no hard links here")

    monkeypatch.setattr(os, "link", refuse)
    store, _ = _read_back(db, config)
    try:
        kind = store.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = 'alloc'"
        ).fetchone()
        assert kind == ("LOCAL TEMPORARY",)
    finally:
        store.close()
    assert _ktlo("allocation", "--db", db, "--config", config) == expected
