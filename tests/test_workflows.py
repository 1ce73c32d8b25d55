"""The workflows the front ends call (ktlo.workflows): each opens the store, runs its steps
in order and closes it, so the CLI, the demo and a library caller get the same result."""

from __future__ import annotations

from pathlib import Path

from ktlo.config import Config
from ktlo.ingest.scale.executors import Engine
from ktlo.metrics.repository import AnalyzeOptions
from ktlo.store import Store
from ktlo.workflows import analyze_repositories, reclassify_store, sync_all
from tests.conftest import GitRepo


def test_analyze_mines_then_analyzes_what_it_mined_and_closes_the_store(
    shop: GitRepo, tmp_path: Path
) -> None:
    path = tmp_path / "team.duckdb"
    options = AnalyzeOptions(period="quarter", top=3)
    result = analyze_repositories(path, [shop.path], Engine(jobs=1), Config(), options)
    assert result.document is not None and not result.run.failures
    assert result.document.period == "quarter"
    assert result.document.totals.commits > 0
    # the footer's command names a real commit of this store, and the store, since
    # ./ktlo.duckdb would not find it
    assert result.hint is not None and result.hint.startswith("ktlo explain ")
    assert result.hint.endswith(f"--db {path}")
    with Store.open(path) as store:  # closed by the workflow: writable again
        mined = store.con.execute("SELECT count(*) FROM commits").fetchone()
    assert mined is not None and mined[0] >= result.document.totals.commits


def test_a_sync_that_stored_nothing_learns_nothing(tmp_path: Path) -> None:
    outcome = sync_all(tmp_path / "ktlo.duckdb", Config(), [], [], Engine(jobs=1))
    assert (outcome.results, outcome.run, outcome.learned, outcome.failed) == ([], None, [], False)


def test_reclassify_dry_run_leaves_the_store_as_it_was(shop: GitRepo, tmp_path: Path) -> None:
    path = tmp_path / "ktlo.duckdb"
    analyze_repositories(path, [shop.path], Engine(jobs=1), Config(), AnalyzeOptions())
    with Store.open(path) as store:
        store.con.execute("UPDATE verdicts SET investment = 'new_work', subcategory = 'feature'")
        before = store.con.execute(
            "SELECT count(*) FROM verdicts WHERE investment = 'ktlo'"
        ).fetchone()
    trial = reclassify_store(path, Config(), dry_run=True)
    with Store.open(path) as store:
        after = store.con.execute(
            "SELECT count(*) FROM verdicts WHERE investment = 'ktlo'"
        ).fetchone()
    assert trial.changed > 0 and before == after == (0,)
    done = reclassify_store(path, Config())
    assert done.changed == trial.changed
