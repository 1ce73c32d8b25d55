"""Ingest: classified commits in the store, incremental re-runs, and resuming after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktlo.ingest.history import commit_item_id, ingest_repository, pending_commits
from ktlo.sources.git import open_repository
from ktlo.store import Store
from tests.conftest import BOB, GitRepo


def test_ingest_stores_commits_files_and_verdicts(shop: GitRepo, store: Store) -> None:
    repo = open_repository(shop.path)
    result = ingest_repository(store, repo)
    assert (result.new_commits, result.total_commits) == (10, 10)
    fix_id = commit_item_id(repo.repo_id, shop.shas["fix"])
    row = store.query(
        "SELECT w.title, c.lines_added, c.lines_deleted, v.investment, v.subcategory, v.reasons "
        "FROM work_items w JOIN commits c USING (item_id) JOIN verdicts v USING (item_id) "
        "WHERE item_id = ?",
        [fix_id],
    )[0]
    assert row["title"] == "fix(checkout): handle empty cart"
    assert (row["lines_added"], row["lines_deleted"]) == (2, 0)
    assert (row["investment"], row["subcategory"]) == ("ktlo", "bug")
    assert row["reasons"] == ['conventional_commit: "fix(checkout):" → bug']


def test_merge_commits_are_recorded_but_carry_no_lines(shop: GitRepo, store: Store) -> None:
    repo = open_repository(shop.path)
    ingest_repository(store, repo)
    merge = store.query(
        "SELECT is_merge, files_changed, lines_added FROM commits WHERE sha = ?",
        [shop.shas["merge"]],
    )[0]
    assert merge == {"is_merge": True, "files_changed": 0, "lines_added": 0}


def test_bots_are_flagged(shop: GitRepo, store: Store) -> None:
    ingest_repository(store, open_repository(shop.path))
    bots = store.query("SELECT author_name FROM work_items WHERE is_bot")
    assert bots == [{"author_name": "dependabot[bot]"}]


def test_second_run_reads_only_new_commits(shop: GitRepo, store: Store) -> None:
    ingest_repository(store, open_repository(shop.path))
    assert pending_commits(store, open_repository(shop.path)) == 0
    assert ingest_repository(store, open_repository(shop.path)).new_commits == 0
    shop.commit(
        "fix: round totals", {"src/menu.py": "MENU = []\n"}, BOB, "2026-03-10T10:00:00+00:00"
    )
    assert pending_commits(store, open_repository(shop.path)) == 1
    result = ingest_repository(store, open_repository(shop.path))
    assert (result.new_commits, result.total_commits) == (1, 11)


def test_refs_are_recorded_for_linking(new_repo, store: Store) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("linked")
    repo.commit("PAY-123 fix refund rounding (fixes #45)", {"a.txt": "a"})
    ingest_repository(store, open_repository(repo.path))
    assert store.query("SELECT refs FROM work_items")[0]["refs"] == ["PAY-123", "#45"]


class Interrupt(Exception):
    pass


def test_interrupted_ingest_keeps_whole_batches_and_resumes(shop: GitRepo, tmp_path: Path) -> None:
    repo = open_repository(shop.path)
    with Store.open(tmp_path / "full.duckdb") as full:
        ingest_repository(full, repo, batch_size=3)
        expected = _snapshot(full)

    calls = []

    def stop_after_two_batches(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise Interrupt

    path = tmp_path / "crashed.duckdb"
    with Store.open(path) as crashed, pytest.raises(Interrupt):
        ingest_repository(crashed, repo, progress=stop_after_two_batches, batch_size=3)
    with Store.open(path) as crashed:
        assert crashed.query("SELECT count(*) AS n FROM commits")[0]["n"] == 6
        assert pending_commits(crashed, repo) == 4
        assert ingest_repository(crashed, repo, batch_size=3).new_commits == 4
        assert _snapshot(crashed) == expected


def _snapshot(store: Store) -> list[tuple[object, ...]]:
    rows = store.con.execute(
        "SELECT w.item_id, w.title, c.parents, c.lines_added, v.investment, v.subcategory "
        "FROM work_items w JOIN commits c USING (item_id) JOIN verdicts v USING (item_id) "
        "ORDER BY item_id"
    ).fetchall()
    files = store.con.execute("SELECT * FROM commit_files ORDER BY item_id, path").fetchall()
    return rows + files


@pytest.mark.slow
def test_killed_analyze_resumes_to_the_same_store(tmp_path: Path) -> None:
    """`kill -9` in the middle of a first run, then a re-run: same store as one clean run."""
    import signal
    import subprocess
    import sys

    from tests.synthetic import build_repo

    repo_path = build_repo(tmp_path / "big", 6000)
    repo = open_repository(repo_path)
    with Store.open(tmp_path / "clean.duckdb") as clean:
        ingest_repository(clean, repo)
        expected = _snapshot(clean)

    db = tmp_path / "killed.duckdb"
    # The child kills itself with SIGKILL once its first batch is committed: mid-run on any
    # machine, however fast (a timer raced fast machines to the end of the history).
    child = (
        "import os, signal, sys\n"
        "from ktlo.sources.git import open_repository\n"
        "from ktlo.ingest.history import ingest_repository\n"
        "from ktlo.store import Store\n"
        "with Store.open(sys.argv[2]) as store:\n"
        "    ingest_repository(store, open_repository(sys.argv[1]), batch_size=1000,\n"
        "                      progress=lambda n: os.kill(os.getpid(), signal.SIGKILL))\n"
    )
    proc = subprocess.run([sys.executable, "-c", child, str(repo_path), str(db)], check=False)
    assert proc.returncode == -signal.SIGKILL
    with Store.open(db) as killed:
        stored_before = killed.query("SELECT count(*) AS n FROM commits")[0]["n"]
        assert stored_before < 6000, "the run finished before it was killed; give it more commits"
        orphans = killed.con.execute(
            "SELECT count(*) FROM (SELECT unnest(parents) AS sha FROM commits) "
            "WHERE sha NOT IN (SELECT sha FROM commits)"
        ).fetchone()
        assert orphans == (0,)  # whole batches only: every stored commit's parents are stored
        ingest_repository(killed, repo)
        assert _snapshot(killed) == expected
