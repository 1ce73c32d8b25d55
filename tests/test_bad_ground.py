"""Analyses refuse or flag bad ground (issue #17): a rota of other people or of weeks with
no data, a forecast that back-tests worse than the last value, sprint actuals that are not
effort, health figures with no input."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import load_config
from ktlo.render.charts import chart_specs
from ktlo.report.document import build_report
from ktlo.report.model import ReportFilters
from ktlo.store import Store
from tests.work import add_commit, add_item

CONFIG = """
[[teams]]
name = "payments"
members = ["ana", "raj"]
services = ["payments-api"]
repositories = ["PAY"]
[people.ana]
name = "Ana Lima"
aliases = ["ana@acme.com"]
[people.raj]
name = "Raj Patel"
aliases = ["raj@acme.com"]
"""
ROTA_HEADER = "period,start,end,region,hours_utc,primary,secondary\n"


def cli(store: Store, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run `ktlo` on the store (closed first) with CONFIG; (exit status, stdout, stderr)."""
    (tmp_path / "ktlo.toml").write_text(CONFIG)
    store.close()
    result = CliRunner().invoke(
        main,
        [*args, "--db", str(store.path), "--config", str(tmp_path / "ktlo.toml")],
        env={"COLUMNS": "200"},
    )
    return result.exit_code, result.stdout, result.stderr


def incident(store: Store, key: str, created: datetime, ack_by: str) -> None:
    store.insert(
        "incidents", ["incident_id", "source", "external_id", "title", "service", "teams", "created_at", "resolved_at"],
        [(f"pd:incident:{key}", "pagerduty", key, f"Checkout errors {key}", "payments-api", [], created, created + timedelta(hours=2))],
    )  # fmt: skip
    store.insert(
        "incident_events", ["incident_id", "occurred_at", "kind", "person"],
        [(f"pd:incident:{key}", created, "acknowledged", ack_by)],
    )  # fmt: skip


def on_call_weeks(store: Store) -> None:
    """Pages for payments in the weeks of 2, 9 and 16 March 2026; effort up to Friday 20th."""
    for n, (day, who) in enumerate(
        ((2, "ana@acme.com"), (9, "raj@acme.com"), (17, "ana@acme.com"))
    ):
        incident(store, f"P{n}", datetime(2026, 3, day, 10), who)
    for day in range(2, 21):
        if date(2026, 3, day).weekday() < 5:
            add_commit(store, f"a{day}", "Ana Lima", f"2026-03-{day:02d}T10:00:00")


def rota(tmp_path: Path, weeks: list[tuple[str, str]]) -> str:
    """A rota as `ktlo rotation plan --csv` writes it: (Monday, primary) per week."""
    lines = [
        f"{n},{monday},{date.fromisoformat(monday) + timedelta(days=6)},all,,{who},"
        for n, (monday, who) in enumerate(weeks, start=1)
    ]
    path = tmp_path / "rota.csv"
    path.write_text(ROTA_HEADER + "\n".join(lines) + "\n")
    return str(path)


def test_another_teams_rota_for_weeks_ahead_is_refused(store: Store, tmp_path: Path) -> None:
    on_call_weeks(store)
    theirs = [
        (str(date(2026, 3, 23) + timedelta(weeks=k)), ("amy", "liv")[k % 2]) for k in range(12)
    ]
    status, out, err = cli(
        store, tmp_path, "rotation", "review", "--team", "payments", "--since", "2026-03-01",
        "--schedule", rota(tmp_path, theirs),
    )  # fmt: skip
    assert status == 1 and out == ""  # no table of twelve empty weeks, no verdict on them
    assert "Error: the rota has no week to review for payments: 12 weeks of the rota name " in err
    assert "people not in payments (amy, liv)" in err
    assert "leave out --schedule to infer who was on call" in err


def test_a_rota_of_weeks_with_no_data_yet_is_refused(store: Store, tmp_path: Path) -> None:
    on_call_weeks(store)
    ahead = [("2026-03-23", "ana"), ("2026-03-30", "raj")]
    status, _, err = cli(
        store, tmp_path, "rotation", "review", "--team", "payments", "--since", "2026-03-01",
        "--schedule", rota(tmp_path, ahead),
    )  # fmt: skip
    assert status == 1
    assert "2 weeks of the rota (2026-03-23 …) start after the newest data (2026-03-20)" in err


def test_a_rota_with_some_weeks_to_review_keeps_them_and_says_what_it_left_out(
    store: Store, tmp_path: Path
) -> None:
    on_call_weeks(store)
    mixed = [("2026-03-02", "Ana Lima"), ("2026-03-09", "raj"), ("2026-03-16", "amy"),
             ("2026-03-23", "ana")]  # fmt: skip
    status, out, err = cli(
        store, tmp_path, "rotation", "review", "--team", "payments", "--since", "2026-03-01",
        "--schedule", rota(tmp_path, mixed), "--json",
    )  # fmt: skip
    assert status == 0, err
    doc = json.loads(out)
    # a name or alias finds the member; the week of a stranger and the week ahead are not shifts
    assert [(s["week"], s["person"], s["pages"]) for s in doc["shifts"]] == [
        ("2026-03-02", "ana", 1),
        ("2026-03-09", "raj", 1),
    ]
    assert doc["warnings"] == [
        "1 week of the rota name people not in payments (amy): left out",
        "1 week of the rota (2026-03-23 …) start after the newest data (2026-03-20): left out",
    ]
    assert "Note: 1 week of the rota name people not in payments (amy): left out" in err


# a team whose KTLO share stepped up to a new level in May: the trend keeps lagging behind
STEP = [0.40, 0.42, 0.41, 0.43, 0.60, 0.62, 0.61, 0.63, 0.62, 0.64, 0.63, 0.65]


def stepped(store: Store) -> None:
    """Ana, one commit a working day of 2025, KTLO on the share of each month's days STEP gives."""
    day = date(2025, 1, 1)
    while day.year == 2025:
        days = [
            day.replace(day=d)
            for d in range(1, 32)
            if _valid(day.year, day.month, d) and date(day.year, day.month, d).weekday() < 5
        ]
        ktlo = round(STEP[day.month - 1] * len(days))
        for n, when in enumerate(days):
            verdict = ("ktlo", "bug") if n < ktlo else ("new_work", "feature")
            add_commit(store, f"c{when}", "Ana Lima", f"{when}T10:00:00", verdict)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    store.con.execute(
        "INSERT INTO overrides SELECT item_id, investment, subcategory, 'checked', 'test', "
        "TIMESTAMP '2026-01-01' FROM verdicts"
    )


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def test_a_forecast_worse_than_naive_in_back_test_says_so_and_shows_the_naive_one(
    store: Store, tmp_path: Path
) -> None:
    stepped(store)
    db = store.path
    status, out, err = cli(store, tmp_path, "forecast", "--team", "payments", "--json")
    assert status == 0, err
    doc = json.loads(out)
    scores = doc["backtest"]
    assert sum(scores["mae_by_horizon"].values()) > sum(scores["naive_mae_by_horizon"].values())
    last = doc["history"][-1]
    assert {f["share"] for f in doc["forecast"]} == {last["share"]}  # the last value, carried
    assert (last["start"], doc["method"]) == ("2025-12-01", "naive")
    assert doc["trend_forecast"][0]["share"] != last["share"]  # what the trend said, kept apart
    assert doc["method_note"].startswith("in back-test the trend erred more than the last value")
    text = CliRunner().invoke(
        main, ["forecast", "--team", "payments", "--db", str(db), "--config", str(tmp_path / "ktlo.toml")],
        env={"COLUMNS": "200"},
    ).stdout  # fmt: skip
    assert "Naive forecast: in back-test the trend erred more than the last value" in text
    kinds = {line.split()[0] for line in text.splitlines()[2:] if line.startswith(" ")}
    assert kinds == {"history", "naive"}  # the rows ahead say which forecast they are
    # the report draws the same naive forecast, and says so
    with Store.open(db, read_only=True) as opened:
        report = build_report(opened, load_config(tmp_path / "ktlo.toml"), ReportFilters())
    shown = {f.team: f for f in report.forecast.teams}["payments"]
    assert shown.method == "naive" and shown.forecast[0].share == last["share"]
    spec = chart_specs(report, None)["forecast-payments"]
    assert spec["title"] == "KTLO share naive forecast — payments"
    assert set(spec["y_ahead"]) == {last["share"]}
    from ktlo.render.html import render_report

    html = render_report(report)
    assert "<strong>Naive forecast:</strong> in back-test the trend erred more" in html


def sprint(store: Store, key: str, first: date, last: date) -> None:
    store.insert(
        "sprints", ["sprint_id", "source", "name", "team", "state", "starts_at", "ends_at"],
        [(f"jira:sprint:{key}", "jira", f"PAY Sprint {key}", "PAY", "closed",
          datetime.combine(first, datetime.min.time()), datetime.combine(last, datetime.max.time()))],
    )  # fmt: skip


def issue(store: Store, key: str, sprint_key: str, verdict: tuple[str, str], closed: date) -> None:
    item = f"jira:issue:{key}"
    add_item(store, item, "issue", verdict)
    store.con.execute(
        "UPDATE work_items SET source = 'jira', external_id = ?, sprint = ?, created_at = ?, "
        "closed_at = ?, state = 'done', project = 'PAY', repo_id = NULL WHERE item_id = ?",
        [key, f"jira:sprint:{sprint_key}", datetime(2026, 2, 20), datetime.combine(closed, datetime.min.time()), item],
    )  # fmt: skip


def test_sprint_actuals_are_effort_in_every_view(store: Store, tmp_path: Path) -> None:
    # Sprint 1: a bug and a feature, both done; the work on them is commits that name them:
    # one KTLO day on PAY-1, two feature days on PAY-2
    sprint(store, "1", date(2026, 3, 2), date(2026, 3, 13))
    issue(store, "PAY-1", "1", ("ktlo", "bug"), date(2026, 3, 12))
    issue(store, "PAY-2", "1", ("new_work", "feature"), date(2026, 3, 12))
    for item, day, verdict, ref in (("c1", 4, ("ktlo", "bug"), "PAY-1"),
                                    ("c2", 5, ("new_work", "feature"), "PAY-2"),
                                    ("c3", 6, ("new_work", "feature"), "PAY-2")):  # fmt: skip
        add_commit(
            store, item, "Ana Lima", f"2026-03-{day:02d}T10:00:00", verdict, title=f"{ref} work"
        )
        store.con.execute("UPDATE work_items SET refs = [?] WHERE item_id = ?", [ref, item])
    # Sprint 2: two items done, a bug and a feature, and nobody's effort recorded on them
    sprint(store, "2", date(2026, 3, 16), date(2026, 3, 27))
    issue(store, "PAY-3", "2", ("ktlo", "bug"), date(2026, 3, 20))
    issue(store, "PAY-4", "2", ("new_work", "feature"), date(2026, 3, 20))
    add_commit(store, "c4", "Ana Lima", "2026-03-27T10:00:00", ("new_work", "feature"))  # no key
    # Sprint 3 runs past the newest day of effort (27 March)
    sprint(store, "3", date(2026, 3, 30), date(2026, 4, 10))
    issue(store, "PAY-5", "3", ("ktlo", "bug"), date(2026, 4, 9))
    db = store.path
    status, out, err = cli(store, tmp_path, "sprints", "--team", "payments", "--json")
    assert status == 0, err
    one, two, three = json.loads(out)["sprints"]
    # by effort: 1 KTLO person-day of 3 (a count of done items would say 1 of 2); with no
    # effort recorded, unknown (not 1 of 2 done items)
    assert (one["actual_ktlo_share"], two["actual_ktlo_share"]) == (0.3333, None)
    assert (one["actual_person_days"], one["actual_basis"]) == (3.0, "effort")
    assert (two["done_items"], two["in_progress"]) == (2, False)
    assert three["in_progress"] is True
    text = CliRunner().invoke(
        main, ["sprints", "--team", "payments", "--db", str(db), "--config", str(tmp_path / "ktlo.toml")],
        env={"COLUMNS": "200"},
    ).stdout  # fmt: skip
    rows = {line.split("  ")[0].strip(): line for line in text.splitlines() if "PAY Sprint" in line}
    assert "33% of 3 d" in rows["PAY Sprint 1"]
    assert rows["PAY Sprint 2"].split("(items)")[1].strip().startswith("no effort")
    assert "no effort so far" in rows["PAY Sprint 3"]
    # the report (and the dashboard, which serves its document) shows the same figures
    with Store.open(db, read_only=True) as opened:
        report = build_report(opened, load_config(tmp_path / "ktlo.toml"), ReportFilters())
    shown = report.sprints.teams[0].sprints
    assert [s.actual_ktlo_share for s in shown] == [0.3333, None, None]


@pytest.fixture
def git_only(store: Store) -> Store:
    """A store with commits and nothing synced: no deployments, incidents, bugs, builds, alerts."""
    add_commit(store, "c1", "Ana Lima", "2026-03-02T10:00:00")
    return store


def test_health_with_nothing_synced_says_no_data_not_zero(git_only: Store, tmp_path: Path) -> None:
    db = git_only.path
    status, out, err = cli(git_only, tmp_path, "health", "--json")
    assert status == 0, err
    doc = json.loads(out)
    for section, figure in (("incidents", "count"), ("incidents", "downtime"),
                            ("bugs", "open_backlog"), ("builds", "red_main"),
                            ("alerts", "after_hours_pages")):  # fmt: skip
        assert doc[section][figure]["value"] is None, (section, figure)
        assert set(doc[section][figure]["series"]) == {None}
    assert doc["missing"]["incidents"] == "no incidents synced yet — run `ktlo sync`"
    text = CliRunner().invoke(
        main, ["health", "--db", str(db), "--config", str(tmp_path / "ktlo.toml")],
        env={"COLUMNS": "200"},
    ).stdout  # fmt: skip
    assert "no data: no incidents synced yet — run `ktlo sync`" in text
    assert "0 min" not in text and "0.0 h" not in text
