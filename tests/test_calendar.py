"""One calendar: every command and view takes the last *complete* period as "the last
period", marks the unfinished one "so far", divides FTE by the working days the data covers,
and the forecast's capacity is the capacity the effort measures (ktlo.periods, issue #17)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ktlo.cli import main
from ktlo.config import load_config
from ktlo.planning.ktlo_mode.answer import ktlo_mode
from ktlo.render.html import render_report
from ktlo.report.document import build_report
from ktlo.report.model import ReportFilters
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests.work import add_commit

CONFIG = """
[[teams]]
name = "payments"
members = ["ana", "raj"]
budget = { low = 20, high = 40 }
[people.ana]
name = "Ana Lima"
[people.raj]
name = "Raj Patel"
"""
FIRST, NEWEST = date(2026, 6, 1), date(2026, 11, 20)  # a Monday; a Thursday, not a month's end
# the KTLO share each month is built to have: rising to October, lower in November so far
SHARES = {6: 0.2, 7: 0.3, 8: 0.4, 9: 0.5, 10: 0.6, 11: 0.3}


def worked(person: str, day: date) -> bool:
    """Raj works every working day, Ana Mondays, Wednesdays and Fridays."""
    return day.weekday() < 5 and (person == "Raj Patel" or day.weekday() % 2 == 0)


def commits() -> Iterator[tuple[str, date, bool]]:
    """(person, day, KTLO?): one commit a working day each, KTLO on the first share × 10 of
    every ten of a person's days in a month."""
    day, counts = FIRST, {}
    while day <= NEWEST:
        for person in ("Ana Lima", "Raj Patel"):
            if worked(person, day):
                n = counts.get((person, day.month), 0)
                counts[(person, day.month)] = n + 1
                yield person, day, n % 10 < SHARES[day.month] * 10
        day += timedelta(days=1)


def share_of(month: int) -> float:
    """The KTLO share of effort the scenario gives `month` (each commit a person-day)."""
    mine = [ktlo for _, day, ktlo in commits() if day.month == month]
    return round(sum(mine) / len(mine), 4)


def build(store: Store) -> None:
    for person, day, ktlo in commits():
        verdict = ("ktlo", "bug") if ktlo else ("new_work", "feature")
        add_commit(store, f"{person[:3]}-{day}", person, f"{day}T10:00:00", verdict)
    # every verdict checked by a person: the shares are exactly those of the verdicts
    store.con.execute(
        "INSERT INTO overrides SELECT item_id, investment, subcategory, 'checked', 'test', "
        "TIMESTAMP '2026-11-20' FROM verdicts"
    )


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "ktlo.toml").write_text(CONFIG)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build(store)
    return tmp_path / "ktlo.duckdb", tmp_path / "ktlo.toml"


def run(org: tuple[Path, Path], *args: str) -> str:
    result = CliRunner().invoke(
        main, [*args, "--db", str(org[0]), "--config", str(org[1])], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def weekdays(first: date, last: date) -> int:
    return sum((first + timedelta(days=k)).weekday() < 5 for k in range((last - first).days + 1))


def days_worked(first: date, last: date) -> int:
    """Person-days of the two, from `first` to `last` (each working day is one person-day)."""
    return sum(
        worked(person, first + timedelta(days=k))
        for k in range((last - first).days + 1)
        for person in ("Ana Lima", "Raj Patel")
    )


def test_the_last_period_is_the_last_complete_one_and_the_unfinished_one_is_so_far(
    org: tuple[Path, Path],
) -> None:
    doc = json.loads(run(org, "allocation", "--team", "payments", "--json"))
    by = {p["period"]: p for p in doc["periods"]}
    # the budget's share is October's, and its arrow compares October with September (up),
    # not November so far (down)
    assert (doc["budget"]["share"], doc["trend"]["direction"]) == (share_of(10), "up")
    assert (by["2026-10"]["complete"], by["2026-10"]["in_progress"]) == (True, False)
    assert (by["2026-11"]["complete"], by["2026-11"]["in_progress"]) == (False, True)
    assert doc["as_of"] == "2026-11-20"
    # the budget line reads October, not the 20 days of November
    assert doc["budget"]["period"] == "2026-10"
    assert doc["budget"]["share"] == by["2026-10"]["ktlo_share"] == share_of(10)
    assert share_of(9) < share_of(10) and share_of(11) < share_of(10)
    # and its arrow compares October with September (up), not November so far (down)
    assert doc["trend"]["direction"] == "up"
    text = run(org, "allocation", "--team", "payments")
    assert f"last complete period 2026-10 {share_of(10):.0%}" in text and "▲" in text
    assert "2026-11 so far" in text and "Data up to 2026-11-20: 2026-11 is in progress" in text
    rows = list(csv.DictReader(io.StringIO(run(org, "allocation", "--team", "payments", "--csv"))))
    assert {(r["period"], r["period_in_progress"]) for r in rows} >= {
        ("2026-10", "False"),
        ("2026-11", "True"),
    }


def test_fte_divides_by_the_working_days_the_data_covers_and_says_so(
    org: tuple[Path, Path],
) -> None:
    doc = json.loads(run(org, "allocation", "--team", "payments", "--period", "quarter", "--json"))
    by = {p["period"]: p for p in doc["periods"]}
    q4, q2 = by["2026-Q4"], by["2026-Q2"]
    assert q4["fte"] == round(q4["person_days"] / 37, 2)
    # 2026-Q4 so far: 1 October to Thursday 20 November, 37 working days (not the quarter's 66)
    assert (q4["in_progress"], q4["workdays"]) == (True, 37)
    assert q4["person_days"] == days_worked(date(2026, 10, 1), NEWEST)
    assert q4["fte"] == round(q4["person_days"] / 37, 2) == 1.59  # Raj full time, Ana 3 in 5
    # 2026-Q2: the data begins on 1 June, so only June's 22 working days are covered
    assert (q2["complete"], q2["in_progress"], q2["workdays"]) == (False, False, 22)
    assert q2["fte"] == 1.59
    assert doc["totals"]["people"] == 2 and "below headcount" in doc["fte_note"]
    text = run(org, "allocation", "--team", "payments", "--period", "quarter")
    assert "2026-Q2 partial" in text and "2026-Q4 so far" in text
    assert "FTE = person-days ÷ the working days (Mon–Fri) the data covers" in text
    assert "(2 people with effort in the span.)" in text


def test_budget_report_dashboard_and_mode_read_the_same_last_period(
    org: tuple[Path, Path],
) -> None:
    config = load_config(org[1])
    with Store.open(org[0], read_only=True) as store:
        mode = ktlo_mode(store, config, "payments")
    reasons = {r.signal: r.value for r in mode.teams[0].reasons}
    assert reasons["ktlo_share_over_band"] == pytest.approx(share_of(10) - 0.4, abs=1e-4)
    budget = json.loads(run(org, "budget", "--json"))["teams"][0]
    assert (budget["last_period"], budget["last_period_share"]) == ("2026-10", share_of(10))
    with Store.open(org[0], read_only=True) as store:
        doc = build_report(store, config, ReportFilters())
    card = doc.teams[0]
    assert (card.last_period, card.last_period_share, card.trend) == (
        "2026-10",
        share_of(10),
        "up",
    )
    balance = {p.period: p for p in doc.balance[0].periods}
    assert balance["2026-11"].in_progress and balance["2026-11"].fte == round(
        days_worked(date(2026, 11, 1), NEWEST) / 15, 2
    )
    assert "2026-11 so far" in render_report(doc)
    # KTLO mode assesses the same complete months: its newest is October, read as the budget
    # reads it (against the 40% ceiling, and up from September)
    assert (mode.last_period, mode.as_of) == ("2026-10", "2026-11-20")
    payments = mode.teams[0]
    assert [h.period for h in payments.history] == [
        "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"
    ]  # fmt: skip
    assert reasons["ktlo_share_rising"] == pytest.approx(share_of(10) - share_of(9), abs=1e-4)
    # the dashboard serves the same document
    app = create_app(ServerSettings(org[0], config, check_every=0.1))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        served = client.get("/teams/payments.json").json()
        page = client.get("/teams/payments").text
    assert served["teams"][0]["last_period"] == "2026-10"
    assert "2026-11 so far" in page


def test_forecast_capacity_is_the_capacity_the_effort_measures(org: tuple[Path, Path]) -> None:
    doc = json.loads(run(org, "forecast", "--team", "payments", "--horizon", "1", "--json"))
    # December: 23 working days at the measured 1.6 FTE, as `ktlo allocation` measures months
    december = next(r for r in doc["forecast"] if r["start"] == "2026-12-01")
    october = days_worked(date(2026, 10, 1), date(2026, 10, 31))
    assert abs(december["capacity_person_days"] - october / 22 * 23) < 1.0
    assert december["capacity_person_days"] < 40  # not 2 members × 23 days = 46
    assert doc["in_progress"]["start"] == "2026-11-01"  # not fitted, as before
    # measured over the last three complete months: 1.6 FTE of the two members' 2
    measured = days_worked(date(2026, 8, 1), date(2026, 10, 31))
    months = weekdays(date(2026, 8, 1), date(2026, 10, 31))
    assert doc["capacity"] == {
        "measured_fte": round(measured / months, 2),
        "periods": ["2026-08", "2026-09", "2026-10"],
        "configured_fte": 2.0,
        "measured_share_of_configured": round(measured / (2 * months), 4),
    }
    for row in doc["forecast"]:
        start = date.fromisoformat(row["start"])
        month = weekdays(start, (start + timedelta(days=31)).replace(day=1) - timedelta(days=1))
        assert row["capacity_person_days"] == round(measured / months * month, 1)
