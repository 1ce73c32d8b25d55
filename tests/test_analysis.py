"""`analyze` numbers on a hand-checked history: shares, periods, trend, budget, hotspots, people."""

from __future__ import annotations

from datetime import date

import pytest

from ktlo.errors import ConfigError
from ktlo.ingest.history import ingest_repository
from ktlo.metrics.repository import AnalyzeOptions, Budget, analyze, period_label
from ktlo.sources.git import open_repository
from ktlo.store import Store
from tests import estimates
from tests.conftest import GitRepo

# The shop fixture, classified (merge excluded):
#   2026-01  feat (new_work/feature, 3 lines), fix (ktlo/bug, 2 lines)
#   2026-02  rename (tech_debt, 0), logo (feature, binary), café fix (bug, 1), dependabot (dependency, 1)
#   2026-03  export (feature, 2), docs (maintenance, 1), revert (incident, 1)
# With no answers, the tests' prior (tests/fixtures/estimate) corrects a share s of verdicts
# to s·PPV(r) + (1 − s)·FOR(r) (tests/estimates.py), r the store's read mix: 6 of the 9
# decided commits are read as KTLO (the merge is other).
SHOP_READ_KTLO = 6 / 9


def corrected(share: float) -> float:
    return estimates.corrected(share, SHOP_READ_KTLO)


@pytest.fixture
def doc(shop: GitRepo, store: Store) -> dict[str, object]:
    repo = open_repository(shop.path)
    ingest_repository(store, repo)
    return analyze(store, AnalyzeOptions(repo.repo_id)).to_json()


def test_totals_exclude_merges(doc: dict) -> None:  # type: ignore[type-arg]
    assert doc["totals"]["commits"] == 9
    assert doc["totals"]["merges_excluded"] == 1
    assert doc["totals"]["authors"] == 3  # the bot is not a person


def test_shares_by_commits_and_lines(doc: dict) -> None:  # type: ignore[type-arg]
    commits = doc["shares"]["commits"]
    assert {k: commits[k] for k in ("ktlo_verdicts", "new_work", "other", "verified")} == {
        "ktlo_verdicts": round(6 / 9, 4),
        "new_work": round(3 / 9, 4),
        "other": 0.0,
        "verified": 0,
    }
    assert commits["ktlo"] == corrected(6 / 9)
    assert commits["ktlo_low"] < commits["ktlo"] < commits["ktlo_high"]
    assert doc["totals"]["lines"] == 11
    assert doc["shares"]["lines"]["ktlo_verdicts"] == round(6 / 11, 4)
    assert doc["shares"]["lines"]["ktlo"] == corrected(6 / 11)


def test_effort_is_the_basis(doc: dict) -> None:  # type: ignore[type-arg]
    # person-days: Alice 3 days, Bob 3, Carol 2 (the bot none); KTLO: Alice 2, Bob 2, Carol 1
    assert doc["basis"] == "effort"
    assert doc["totals"]["person_days"] == 8.0
    assert doc["shares"]["effort"]["ktlo_verdicts"] == 0.625
    assert doc["shares"]["effort"]["ktlo"] == corrected(0.625)
    assert doc["budget"]["share"] == corrected(0.625)
    assert [(p["person"], p["ktlo_person_days"]) for p in doc["people"]] == [
        ("Alice Martin", 2.0),
        ("Bob Chen", 2.0),
        ("Carol Diaz", 1.0),
    ]


def test_subcategories(doc: dict) -> None:  # type: ignore[type-arg]
    counts = {s["subcategory"]: s["commits"] for s in doc["subcategories"]}
    assert counts == {
        "incident": 1, "bug": 2, "security": 0, "dependency": 1, "performance": 0,
        "reliability": 0, "maintenance": 1, "tech_debt": 1, "feature": 3, "project": 0,
    }  # fmt: skip


def test_periods_and_trend(doc: dict) -> None:  # type: ignore[type-arg]
    periods = [(p["period"], p["commits"], p["ktlo_commits"]) for p in doc["periods"]]
    assert periods == [("2026-01", 2, 1), ("2026-02", 4, 3), ("2026-03", 3, 2)]
    assert doc["trend"]["recent_share_commits"] == corrected(6 / 9)
    assert doc["trend"]["recent_share"] == corrected(0.625)
    assert doc["trend"]["direction"] == "unknown"  # fewer than two windows of history


def test_budget_status(doc: dict) -> None:  # type: ignore[type-arg]
    # 68% of effort corrected, and even with nine commits the interval lies above the band
    assert 0.4 < doc["budget"]["share_low"] < doc["budget"]["share"] == corrected(0.625)
    assert doc["budget"]["status"] == "over"
    assert Budget(0.2, 0.4).status(0.1) == "under"
    assert Budget(0.2, 0.4).status(0.3) == "inside"
    band = Budget(0.2, 0.4)
    assert band.status(0.5, 0.45, 0.55) == "over"  # the whole interval above the band
    assert band.status(0.5, 0.35, 0.6) == "likely over"
    assert band.status(0.1, 0.05, 0.15) == "under"
    assert band.status(0.1, 0.05, 0.25) == "likely under"
    assert band.status(0.3, 0.1, 0.5) == "inside"  # the estimate decides; the interval qualifies


def test_hotspots_and_people(doc: dict) -> None:  # type: ignore[type-arg]
    top = doc["hotspots"]["directories"][0]
    assert (top["directory"], top["ktlo_commits"]) == ("src", 3)  # fix, rename, café fix
    people = {p["person"]: p["ktlo_commits"] for p in doc["people"]}
    assert people == {"Bob Chen": 2, "Alice Martin": 2, "Carol Diaz": 1}
    assert doc["bots"][0]["bot"] == "dependabot[bot]"


def test_since_until_and_quarters(shop: GitRepo, store: Store) -> None:
    repo = open_repository(shop.path)
    ingest_repository(store, repo)
    feb = analyze(store, AnalyzeOptions(repo.repo_id, date(2026, 2, 1), date(2026, 3, 1))).to_json()
    assert feb["totals"]["commits"] == 4
    quarters = analyze(store, AnalyzeOptions(repo.repo_id, period="quarter")).to_json()
    assert [p["period"] for p in quarters["periods"]] == ["2026-Q1"]


def test_unknown_period(store: Store) -> None:
    with pytest.raises(ConfigError, match="unknown period"):
        analyze(store, AnalyzeOptions("x", period="fortnight"))


def test_period_labels() -> None:
    assert period_label(date(2026, 1, 5), "week") == "2026-W02"
    assert period_label(date(2026, 4, 1), "quarter") == "2026-Q2"
    assert period_label(date(2026, 11, 1), "month") == "2026-11"


def test_an_analysis_leaves_the_stores_threads_as_it_found_them(
    shop: GitRepo, store: Store
) -> None:
    repo = open_repository(shop.path)
    ingest_repository(store, repo)
    store.con.execute("SET threads = 3")
    before = analyze(store, AnalyzeOptions(repo.repo_id)).to_json()
    assert store.con.execute("SELECT current_setting('threads')").fetchone() == (3,)
    store.con.execute("SET threads = 1")
    assert analyze(store, AnalyzeOptions(repo.repo_id)).to_json() == before  # same figures


def test_a_small_history_is_read_on_one_duckdb_thread_and_the_setting_restored(
    shop: GitRepo, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ktlo.ingest import history
    from ktlo.ingest.scale import stream

    seen: list[object] = []
    real = history.ingest_repository

    def ingest(store: Store, *args: object, **kwargs: object) -> object:
        seen.append(store.con.execute("SELECT current_setting('threads')").fetchone())
        return real(store, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stream, "ingest_repository", ingest)
    store.con.execute("SET threads = 3")
    result = stream.stream_one(store, shop.path, 2, _Bars())
    assert result is not None and result.new_commits == 10
    assert seen == [(1,)]
    assert store.con.execute("SELECT current_setting('threads')").fetchone() == (3,)


class _Bars:
    """A progress display with bars: `stream_one` counts the history first."""

    shows_bars = True
    loaded = None

    def planned(self, commits: int) -> None:
        self.commits = commits
