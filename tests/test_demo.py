"""The demo organisation: deterministic, fast enough, and its story visible in the numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ktlo.allocation import AllocationOptions, allocation, budget_report
from ktlo.config import load_config
from ktlo.demo import run_demo
from ktlo.planning.sprints import sprint_report
from ktlo.store import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, seed=7)
    return out


@pytest.mark.slow
def test_the_story_shows(demo: Path) -> None:
    config = load_config(demo / "ktlo.toml")
    with Store.open(demo / "ktlo.duckdb", read_only=True) as store:
        budget = {t["team"]: t for t in budget_report(store, config)["teams"]}
        assert budget["payments"]["last_period_status"] == "over"
        assert budget["mobile"]["last_period_status"] == "inside"
        payments = allocation(store, config, AllocationOptions(team="payments"))
        # the story is told by the verdicts (the corrected shares lean towards the prior)
        shares = {
            p["period"]: p["ktlo_person_days"] / p["person_days"] for p in payments["periods"]
        }
        before = [
            shares[m]
            for m in ("2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")
        ]
        storm = [shares[m] for m in ("2026-08", "2026-09", "2026-10")]
        assert max(before) < 0.4 < min(storm)
        open_bugs = store.query(
            "SELECT project, count(*) FILTER (WHERE closed_at IS NULL) AS open FROM work_items "
            "WHERE issue_type = 'Bug' GROUP BY project ORDER BY open DESC"
        )
        assert open_bugs[0]["project"] == "SRCH"
        repeats = store.query(
            "SELECT count(*) AS n FROM incidents WHERE title LIKE 'Payment provider timeouts%'"
        )[0]["n"]
        assert repeats >= 15


def test_the_same_seed_gives_the_same_organisation(demo: Path, tmp_path: Path) -> None:
    """Same repositories (to the commit) and same exports (to the byte) for the same seed."""
    import random
    import subprocess

    from ktlo.demo.exports import write_exports
    from ktlo.demo.history import commits_for, write_repositories
    from ktlo.demo.organisation import TEAMS

    commits = [
        c for i, team in enumerate(TEAMS) for c in commits_for(team, random.Random(7 * 1000 + i))
    ]
    repos = write_repositories(tmp_path / "repos", commits)
    write_exports(tmp_path / "exports", random.Random(7))

    def head(path: Path) -> str:
        return subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout

    assert {name: head(path) for name, path in repos.items()} == {
        name: head(demo / "repos" / name) for name in repos
    }
    for export in (demo / "exports").iterdir():
        assert (tmp_path / "exports" / export.name).read_bytes() == export.read_bytes()


@pytest.mark.slow
def test_ktlo_mode_is_recommended_for_the_team_in_trouble(demo: Path) -> None:
    from ktlo.planning.ktlo_mode import ktlo_mode

    config = load_config(demo / "ktlo.toml")
    with Store.open(demo / "ktlo.duckdb", read_only=True) as store:
        teams = {t["team"]: t for t in ktlo_mode(store, config)["teams"]}
    payments = teams["payments"]
    assert payments["state"] in ("enter", "stay")
    assert "enter" in [h["state"] for h in payments["history"]]
    assert payments["focus"]["repeat_incident_groups"] and payments["focus"]["top_ktlo_kinds"]
    top = {r["signal"] for r in payments["reasons"][:4]}
    assert {"ktlo_share_over_band", "repeat_incidents"} <= top
    assert teams["mobile"]["state"] == "normal" and teams["mobile"]["focus"] is None


@pytest.mark.slow
def test_ktlo_mode_answers_the_same_on_threads_as_on_one_connection(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ktlo.planning import ktlo_mode as mode

    config = load_config(demo / "ktlo.toml")
    with Store.open(demo / "ktlo.duckdb", read_only=True) as store:
        monkeypatch.setattr(mode.os, "cpu_count", lambda: 4)
        threaded = mode.ktlo_mode(store, config)
        monkeypatch.setattr(mode, "MAX_THREADS", 1)
        single = mode.ktlo_mode(store, config)
    assert threaded["teams"] == single["teams"]
    assert [t["team"] for t in threaded["teams"]] == ["payments", "search", "platform", "mobile"]


@pytest.mark.slow
def test_the_report_shows_every_teams_sprints(demo: Path) -> None:
    """The exports hold each team's two-week sprints; payments' storm shows as bugs added
    mid-sprint."""
    html = (demo / "ktlo-report.html").read_text(encoding="utf-8")
    for team in ("payments", "search", "platform", "mobile"):
        assert f'id="fig-sprints-{team}"' in html
    assert "no sprints or cycles" not in html
    config = load_config(demo / "ktlo.toml")
    with Store.open(demo / "ktlo.duckdb", read_only=True) as store:
        payments = sprint_report(store, config, "payments")["sprints"]
    assert [s["sprint"] for s in payments[:2]] == ["PAY Sprint 1", "PAY Sprint 2"]
    assert len(payments) == 27  # 26 sprints in the year, and the one planned next
    assert all(s["planned_basis"] == "points" for s in payments[1:])
    added = [s["unplanned_items"] for s in payments]
    assert sum(added[-9:-1]) > 2 * sum(added[1:9])  # the storm's last eight sprints


@pytest.mark.slow
def test_the_storm_leaves_postmortem_follow_ups_undone(demo: Path) -> None:
    """Payments' responders open a follow-up for most incidents; during the storm few get done."""
    from ktlo.planning.review import rotation_review
    from ktlo.planning.team import find_team

    config = load_config(demo / "ktlo.toml")
    with Store.open(demo / "ktlo.duckdb", read_only=True) as store:
        follow = {
            team: rotation_review(store, config, find_team(config, team), date(2026, 8, 21))[
                "follow_ups"
            ]
            for team in ("payments", "mobile")
        }
    payments = follow["payments"]
    assert payments["with_follow_ups"] >= payments["incidents"] - 2 and payments["follow_ups"] >= 20
    assert payments["follow_ups"] <= payments["incidents"]  # each counted once
    assert payments["done_share"] < 0.4 < (follow["mobile"]["done_share"] or 0)
    html = (demo / "ktlo-report.html").read_text(encoding="utf-8")
    assert "Postmortem follow-ups: <strong>" in html
