"""`ktlo flow`: cycle time, throughput, WIP and its age, SLEs and KTLO WIP limits, on a
store this test writes, every figure worked by hand (docs/flow.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config
from ktlo.planning.flow import flow_report
from ktlo.store import Store
from tests.work import add_item

AS_OF = datetime(2026, 3, 31, 12)
CONFIG = {
    "teams": [
        {"name": "payments", "repositories": ["PAY"], "ktlo_wip_limit": 1},
        {"name": "search", "repositories": ["acme/search"], "ktlo_wip_limit": 1},
    ]
}
# Payments' bugs (Jira issues of project PAY): their status history, created on day 1
BUGS = {
    "b1": [("03-01", "To Do"), ("03-10", "In Progress"), ("03-12", "Done")],  # cycle 2 d
    "b2": [("03-02", "To Do"), ("03-05", "In Progress"), ("03-06", "In Review"), ("03-09", "Done")],
    # done, reopened, done again: cycle from the first start to the last done, 24 d
    "b3": [("03-03", "To Do"), ("03-04", "In Progress"), ("03-05", "Done"),
           ("03-20", "In Progress"), ("03-28", "Done")],
    "b4": [("03-01", "To Do"), ("03-20T12", "In Progress")],  # in progress 11 d: past the 5 d SLE
    "b5": [("03-01", "Backlog")],  # not started
    "b6": [("03-01", "To Do"), ("03-15", "Done")],  # done without a start: throughput only
    "b7": [("03-01", "To Do"), ("03-29T12", "In Progress")],  # in progress 2 d
    "b8": [("03-01", "To Do"), ("03-02", "In Progress"), ("03-03", "Won't Do")],  # dropped
    "b9": [("03-31T12", "Backlog")],  # the newest event: as_of
}  # fmt: skip


def _when(day: str) -> datetime:
    return datetime.fromisoformat(f"2026-{day}:00" if "T" in day else f"2026-{day}")


def add_bugs(store: Store, bugs: dict[str, list[tuple[str, str]]]) -> None:
    """Payments' bugs as Jira issues of project PAY, created on their first day, with each
    status change (by ana)."""
    changes = []
    for item, moves in bugs.items():
        add_item(store, item, "issue", ("ktlo", "bug"), repo_id="jira.acme.example")
        store.con.execute(
            "UPDATE work_items SET project = 'PAY', created_at = ? WHERE item_id = ?",
            [_when(moves[0][0]), item],
        )
        before = None
        for day, status in moves:
            changes.append((item, _when(day), "status", before, status, "ana"))
            before = status
    store.insert(
        "state_changes", ["item_id", "occurred_at", "field", "from_value", "to_value", "changed_by"],
        changes,
    )  # fmt: skip


@pytest.fixture
def flow_store(store: Store) -> Store:
    add_bugs(store, BUGS)
    # Search's pull requests: a feature merged in 5 days, a dependency bump open since the
    # 1st (30 days, past its 10 d SLE), one closed unmerged (dropped)
    for item, verdict, created, merged, closed in (
        ("p1", ("new_work", "feature"), "03-20", "03-25", "03-25"),
        ("p2", ("ktlo", "dependency"), "03-01T12", None, None),
        ("p3", ("ktlo", "dependency"), "03-02", None, "03-03"),
    ):
        add_item(store, item, "pull_request", verdict, repo_id="github.com/acme/search")
        store.con.execute(
            "UPDATE work_items SET created_at = ?, merged_at = ?, closed_at = ? WHERE item_id = ?",
            [_when(created), merged and _when(merged), closed and _when(closed), item],
        )
    return store


def _group(doc, subcategory: str):  # type: ignore[no-untyped-def]
    return next(g for g in doc.groups if g.subcategory == subcategory)


def test_cycle_time_runs_from_the_first_start_not_from_creation(flow_store: Store) -> None:
    doc = flow_report(flow_store, Config.model_validate(CONFIG), period="month")
    assert doc.as_of == AS_OF.isoformat()
    bugs = _group(doc, "bug")
    # done in the month to 31 March: b1, b2, b3 and b6 (b6 never started: no cycle time)
    assert (bugs.throughput, bugs.cycle_items) == (4, 3)
    # cycle times 2, 4, 24 days (from creation they would be 11, 7, 25)
    assert bugs.cycle_median_days == 4.0
    assert bugs.cycle_p85_days == 18.0  # 4 + 0.7 × (24 − 4): quantile_cont at 0.85 of 3
    assert bugs.finished_late == 1  # b3: 24 days against 5


def test_work_in_progress_counts_only_started_items_and_their_age(flow_store: Store) -> None:
    doc = flow_report(flow_store, Config.model_validate(CONFIG))
    bugs = _group(doc, "bug")
    # b4 (11 days) and b7 (2 days); not the done, dropped or never-started ones
    assert bugs.wip == 2
    assert (bugs.wip_age_median_days, bugs.wip_oldest_days) == (6.5, 11.0)
    assert (bugs.sle_days, bugs.past_sle) == (5.0, 1)
    deps = _group(doc, "dependency")
    assert (deps.wip, deps.wip_oldest_days, deps.past_sle, deps.throughput) == (1, 30.0, 1, 0)
    feature = _group(doc, "feature")  # p1: opened → merged, 5 days
    assert (feature.throughput, feature.cycle_median_days, feature.sle_days) == (1, 5.0, None)
    assert [(i.ref, i.team, i.age_days) for i in doc.past_sle] == [
        ("p2", "search", 30.0),
        ("b4", "payments", 11.0),
    ]


def test_the_limit_is_each_teams_own_and_flagged_with_a_reason(flow_store: Store) -> None:
    doc = flow_report(flow_store, Config.model_validate(CONFIG))
    teams = {t.team: t for t in doc.teams}
    # payments has two KTLO items in progress (b4, b7) against 1; search one (p2) against 1
    assert (teams["payments"].ktlo_wip, teams["payments"].over_limit) == (2, True)
    assert (teams["search"].ktlo_wip, teams["search"].over_limit) == (1, False)
    assert doc.reasons[0] == "payments: 2 KTLO items in progress, over its limit of 1"
    alone = flow_report(flow_store, Config.model_validate(CONFIG), team="search")
    assert [(t.team, t.over_limit) for t in alone.teams] == [("search", False)]
    assert not any("limit" in r for r in alone.reasons)
    assert {g.subcategory for g in alone.groups} == {"dependency", "feature"}


def test_sle_days_and_status_lists_come_from_ktlo_toml(flow_store: Store) -> None:
    config = Config.model_validate(
        CONFIG | {"flow": {"sle_days": {"bug": 20}, "done": ["Done", "In Review"]}}
    )
    bugs = _group(flow_report(flow_store, config), "bug")
    assert (bugs.sle_days, bugs.past_sle, bugs.finished_late) == (20.0, 0, 1)
    # b2 is done on reaching In Review (6 March): cycle 1 day; b1 2, b3 24
    assert bugs.cycle_median_days == 2.0


def test_the_trend_counts_each_calendar_period(flow_store: Store) -> None:
    doc = flow_report(flow_store, Config.model_validate(CONFIG), period="month")
    assert len(doc.trend) == 12 and doc.trend[-1].period == "2026-03"
    march, february = doc.trend[-1], doc.trend[-2]
    assert (march.throughput, march.ktlo_throughput, march.ktlo_cycle_median_days) == (5, 4, 4.0)
    assert (february.throughput, february.ktlo_cycle_median_days) == (0, None)


def test_the_command_answers_in_json_csv_and_for_the_terminal(
    flow_store: Store, tmp_path: Path
) -> None:
    db = flow_store.path
    flow_store.close()
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[[teams]]\nname = "payments"\nrepositories = ["PAY"]\nktlo_wip_limit = 1\n'
        '[[teams]]\nname = "search"\nrepositories = ["acme/search"]\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    args = ["flow", "--db", str(db), "--config", str(config)]
    doc = json.loads(runner.invoke(main, [*args, "--json"]).stdout)
    assert doc["schema"] == "ktlo.flow/v1" and doc["teams"][0]["over_limit"] is True
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*args, "--csv"]).stdout)))
    assert rows[0]["subcategory"] == "bug" and rows[0]["throughput"] == "4"
    shown = runner.invoke(main, args, env={"COLUMNS": "100"}).stdout
    assert "over the limit" in shown and "payments: 2 KTLO items in progress" in shown
    assert max(len(line) for line in shown.splitlines()) <= 100
    unknown = runner.invoke(main, [*args, "--team", "nobody"])
    assert unknown.exit_code == 1 and "unknown team 'nobody'" in unknown.stderr


def test_a_past_period_rebuilds_the_work_in_progress_at_its_end(flow_store: Store) -> None:
    """The week of 9 March, to Sunday 15 March 23:59:59: b1 (2 d) and b2 (4 d, done at 00:00
    on Monday 9) and b6 (no start) are done in it; b3's reopening, b4's and b7's starts and
    p1 come later; p2, open since 1 March 12:00, is 14.5 days old."""
    doc = flow_report(flow_store, Config.model_validate(CONFIG), period="2026-W11")
    assert (doc.period, doc.at_period) == ("week", "2026-W11")
    assert (doc.as_of, doc.window_start) == ("2026-03-15T23:59:59", "2026-03-09T00:00:00")
    bugs = _group(doc, "bug")
    assert (bugs.throughput, bugs.cycle_items, bugs.cycle_median_days, bugs.wip) == (3, 2, 3.0, 0)
    deps = _group(doc, "dependency")
    assert (deps.wip, deps.wip_oldest_days, deps.past_sle) == (1, 14.5, 1)
    assert {g.subcategory for g in doc.groups} == {"bug", "dependency"}  # p1 not opened yet
    assert [(t.team, t.ktlo_wip, t.over_limit) for t in doc.teams] == [
        ("payments", 0, False),  # now two (b4, b7), over its limit: not then
        ("search", 1, False),
    ]
    assert [i.ref for i in doc.past_sle] == ["p2"]
    assert doc.trend[-1].period == "2026-W11" and doc.trend[-1].throughput == 3


def test_a_limit_broken_in_a_past_period_is_said_with_its_time(flow_store: Store) -> None:
    """b10, started on 6 March and done on the 20th, with b2 (in review since the 6th):
    payments has two KTLO items in progress at the end of the week of 2 March."""
    add_item(flow_store, "b10", "issue", ("ktlo", "bug"), repo_id="jira.acme.example")
    flow_store.con.execute("UPDATE work_items SET project = 'PAY' WHERE item_id = 'b10'")
    flow_store.insert(
        "state_changes", ["item_id", "occurred_at", "field", "from_value", "to_value", "changed_by"],
        [("b10", _when("03-01"), "status", None, "To Do", "ana"),
         ("b10", _when("03-06"), "status", "To Do", "In Progress", "ana"),
         ("b10", _when("03-20"), "status", "In Progress", "Done", "ana")],
    )  # fmt: skip
    config = Config.model_validate(CONFIG)
    week = flow_report(flow_store, config, team="payments", period="2026-W10")
    assert [(t.ktlo_wip, t.over_limit) for t in week.teams] == [(2, True)]
    assert week.reasons[0] == (
        "payments: 2 KTLO items in progress at the end of 2026-W10, over its limit of 1"
    )
    march = flow_report(flow_store, config, team="payments", period="2026-03")  # in progress
    assert march.as_of == AS_OF.isoformat()
    assert march.reasons[0] == (
        "payments: 2 KTLO items in progress on 2026-03-31 (2026-03 so far), over its limit of 1"
    )


def test_a_period_that_is_no_label_is_one_line(flow_store: Store, tmp_path: Path) -> None:
    db = flow_store.path
    flow_store.close()
    config = tmp_path / "ktlo.toml"
    config.write_text('[[teams]]\nname = "payments"\nrepositories = ["PAY"]\n', encoding="utf-8")
    args = ["flow", "--db", str(db), "--config", str(config)]
    bad = CliRunner().invoke(main, [*args, "--period", "2026-13"])
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines()[-1] == (  # after the warning: a team of nobody
        "Error: unknown period '2026-13' — use week, month, quarter, or a period's label: "
        "2026-09, 2026-W36, 2026-Q3"
    )
    doc = json.loads(CliRunner().invoke(main, [*args, "--period", "2026-Q1", "--json"]).stdout)
    assert (doc["period"], doc["at_period"], doc["as_of"]) == (
        "quarter", "2026-Q1", AS_OF.isoformat(),
    )  # fmt: skip
    plain = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert "at_period" not in plain
