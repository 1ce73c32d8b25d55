"""Effort in person-days, checked against scenarios worked out by hand (docs/effort.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktlo.config import Config, load_config
from ktlo.effort.person_days import compute_effort
from ktlo.store import Store
from tests.work import add_activity, add_commit, add_item


def effort(store: Store, config: Config | None = None) -> dict[tuple[str, str, str], float]:
    compute_effort(store, config or Config())
    rows = store.con.execute(
        "SELECT person, CAST(day AS VARCHAR), item_id, person_days FROM effort"
    ).fetchall()
    return {(p, d, i): round(v, 4) for p, d, i, v in rows}


def test_one_person_two_commits_and_a_review(store: Store) -> None:
    """Weights 1 + 1 + 0.5 share one person-day: 0.4, 0.4 and 0.2."""
    add_commit(store, "a", "Ana Lima", "2026-03-02T10:00:00")
    add_commit(store, "b", "Ana Lima", "2026-03-02T15:00:00")
    add_item(store, "pr", "pull_request", ("new_work", "feature"))
    add_activity(store, "pr", "ana@acme.com", "reviewed", "2026-03-02T11:00:00")
    assert effort(store) == {
        ("Ana Lima", "2026-03-02", "a"): 0.4,
        ("Ana Lima", "2026-03-02", "b"): 0.4,
        ("Ana Lima", "2026-03-02", "pr"): 0.2,
    }


def test_an_item_in_progress_shares_the_days_between_its_activities(store: Store) -> None:
    """X touched Monday and Friday; on Wednesday Ana works on Y: Y 1.0 vs X carried 0.25."""
    add_commit(store, "x1", "Ana Lima", "2026-03-02T10:00:00")
    add_item(store, "x", "pull_request", ("new_work", "feature"))
    add_activity(store, "x", "Ana Lima", "opened", "2026-03-02T10:00:00")
    add_activity(store, "x", "Ana Lima", "commented", "2026-03-06T10:00:00")
    add_commit(store, "y", "Ana Lima", "2026-03-04T10:00:00")
    result = effort(store)
    assert result[("Ana Lima", "2026-03-04", "y")] == 0.8
    assert result[("Ana Lima", "2026-03-04", "x")] == 0.2
    assert sum(result.values()) == pytest.approx(3.0, abs=1e-3)  # three days with activity


def test_an_item_idle_past_the_cap_is_not_carried(store: Store, tmp_path: Path) -> None:
    add_item(store, "x", "pull_request", ("new_work", "feature"))
    add_activity(store, "x", "Ana Lima", "opened", "2026-03-02T10:00:00")
    add_activity(store, "x", "Ana Lima", "commented", "2026-03-06T10:00:00")
    add_commit(store, "y", "Ana Lima", "2026-03-04T10:00:00")
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text("[effort]\nactive_days = 3\n")
    assert effort(store, load_config(config_file))[("Ana Lima", "2026-03-04", "y")] == 1.0


def test_time_off_removes_days(store: Store, tmp_path: Path) -> None:
    add_commit(store, "a", "Ana Lima", "2026-03-02T10:00:00")
    add_commit(store, "b", "Ana Lima", "2026-03-03T10:00:00")
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(
        '[people.ana]\nname = "Ana Lima"\ntime_off = [{ start = 2026-03-03, end = 2026-03-04 }]\n'
    )
    assert effort(store, load_config(config_file)) == {("ana", "2026-03-02", "a"): 1.0}


def test_capacity_scales_each_day_and_caps_the_week(store: Store, tmp_path: Path) -> None:
    for day in range(2, 9):  # Monday 2 March to Sunday 8 March: seven days with commits
        add_commit(store, f"c{day}", "Raj Patel", f"2026-03-0{day}T10:00:00")
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text('[people.raj]\nname = "Raj Patel"\ncapacity = 0.5\n')
    result = effort(store, load_config(config_file))
    assert sum(result.values()) == pytest.approx(2.5, abs=1e-3)  # 5 days × 0.5, not 7 × 0.5
    assert result[("raj", "2026-03-02", "c2")] == pytest.approx(0.5 * 2.5 / 3.5, abs=1e-4)


def test_bots_carry_no_effort(store: Store) -> None:
    add_commit(
        store,
        "d",
        "dependabot[bot]",
        "2026-03-02T10:00:00",
        ("ktlo", "dependency"),
        email="bot@users.noreply.github.com",
    )
    assert effort(store) == {}


def test_one_person_under_several_names(store: Store, tmp_path: Path) -> None:
    """Same email, a name in another case or with other separators (`analima` is Ana
    Lima's name run together), and a configured alias are one person."""
    add_commit(store, "a", "Ana Lima", "2026-03-02T10:00:00", email="ana@acme.com")
    add_commit(store, "b", "ana lima", "2026-03-03T10:00:00", email="ana.lima@gmail.com")
    add_commit(store, "c", "Ana L.", "2026-03-04T10:00:00", email="ana@acme.com")
    add_item(store, "pr", "pull_request", ("new_work", "feature"))
    add_activity(store, "pr", "analima", "reviewed", "2026-03-05T10:00:00")
    assert {p for p, _, _ in effort(store)} == {"Ana Lima"}
    add_activity(store, "pr", "ana", "commented", "2026-03-06T10:00:00")  # a first name: a guess
    assert {p for p, _, _ in effort(store)} == {"Ana Lima", "ana"}
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text('[people.ana]\naliases = ["ana", "ana@acme.com"]\n')
    assert {p for p, _, _ in effort(store, load_config(config_file))} == {"ana"}


def test_the_worked_example_in_docs_effort(store: Store, tmp_path: Path) -> None:
    add_commit(store, "a", "Ana Lima", "2026-03-02T09:00:00", ("ktlo", "bug"))
    add_commit(store, "b", "Ana Lima", "2026-03-02T15:00:00", ("ktlo", "bug"))
    add_item(store, "p", "pull_request", ("new_work", "feature"))
    add_activity(store, "p", "Ana Lima", "reviewed", "2026-03-02T11:00:00")
    add_item(store, "x", "pull_request", ("new_work", "feature"))
    add_activity(store, "x", "Ana Lima", "opened", "2026-03-03T10:00:00")
    add_commit(store, "y", "Ana Lima", "2026-03-04T10:00:00", ("ktlo", "bug"))
    add_activity(store, "x", "Ana Lima", "commented", "2026-03-06T10:00:00")
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(
        '[people.ana]\nname = "Ana Lima"\ntime_off = [{ start = 2026-03-05, end = 2026-03-05 }]\n'
    )
    result = effort(store, load_config(config_file))
    assert result == {
        ("ana", "2026-03-02", "a"): 0.4, ("ana", "2026-03-02", "b"): 0.4, ("ana", "2026-03-02", "p"): 0.2,
        ("ana", "2026-03-03", "x"): 1.0,
        ("ana", "2026-03-04", "y"): 0.8, ("ana", "2026-03-04", "x"): 0.2,
        ("ana", "2026-03-06", "x"): 1.0,
    }  # fmt: skip
    ktlo = sum(v for (_, _, item), v in result.items() if item in {"a", "b", "y"})
    assert ktlo == pytest.approx(1.6) and sum(result.values()) == pytest.approx(4.0)
