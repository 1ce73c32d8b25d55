"""The forecast and the rotation calendar in the report, its exports and the dashboard, checked
against `ktlo forecast` and `ktlo rotation plan` on the same store."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ktlo.cli import main
from ktlo.config import Config, load_config
from ktlo.planning.outlook import outlook
from ktlo.render.charts import chart_specs
from ktlo.render.html import render_report
from ktlo.report.document import build_report, report_rows
from ktlo.report.model import ReportFilters
from ktlo.report.steer import plan_start
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests.report_work import CONFIG, LONG_FROM, build_org, typed

RAJ_OFF = "[[people.raj.time_off]]\nstart = 2026-04-06\nend = 2026-04-10\n"
HOSTILE_NAME = "<script>alert('raj')</script> Patel"


def make_org(folder: Path, config_text: str = CONFIG, first: date = LONG_FROM) -> Config:
    (folder / "ktlo.toml").write_text(config_text)
    with Store.open(folder / "ktlo.duckdb") as store:
        build_org(store, first)
    return load_config(folder / "ktlo.toml")


@pytest.fixture
def long_org(tmp_path: Path) -> tuple[Path, Config]:
    """Seven months of the small organisation; Raj is away the second planned week."""
    config = make_org(tmp_path, CONFIG.replace("[people.lee]", RAJ_OFF + "[people.lee]"))
    return tmp_path / "ktlo.duckdb", config


def report(org: tuple[Path, Config], **filters: Any) -> dict[str, Any]:
    with Store.open(org[0], read_only=True) as store:
        return build_report(store, org[1], ReportFilters(**filters)).to_json()


def without_labels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "period"} for row in rows]


def test_the_forecast_is_ktlo_forecast_for_each_team_and_the_organisation(
    long_org: tuple[Path, Config],
) -> None:
    doc = report(long_org)
    shown = {f["team"]: f for f in doc["forecast"]["teams"]}
    assert list(shown) == [None, "payments", "search"]
    with Store.open(long_org[0], read_only=True) as store:
        for team, ours in shown.items():
            theirs = outlook(store, long_org[1], team, 1, "month").to_json()
            assert ours["missing"] is None
            assert without_labels(ours["history"]) == theirs["history"]
            assert without_labels(ours["forecast"]) == theirs["forecast"]
            assert without_labels([ours["in_progress"]]) == [theirs["in_progress"]]
            assert ours["backtest"] == theirs["backtest"]
    payments = shown["payments"]
    # the newest effort is Friday 27 March: March is in progress, shown but not fitted
    assert (payments["history"][-1]["period"], payments["in_progress"]["period"]) == (
        "2026-02",
        "2026-03",
    )
    assert [f["period"] for f in payments["forecast"]] == ["2026-03", "2026-04", "2026-05"]
    # two members who work every working day, as measured: 22 + 22 + 21 working days, less
    # Raj's five days off in April
    assert [f["capacity_person_days"] for f in payments["forecast"]] == [44.0, 39.0, 42.0]
    assert payments["capacity_person_days"] == 125.0
    assert payments["new_work_person_days"] == round(
        sum(f["new_work_person_days"] for f in payments["forecast"]), 1
    )
    assert (payments["low"], payments["high"]) == (0.2, 0.4)
    # the organisation's capacity is measured too: 3 FTE over the last three complete
    # months (everyone works every working day) × 22 + 22 + 21 working days
    assert shown[None]["capacity"]["measured_fte"] == 3.0
    assert shown[None]["capacity_person_days"] == 195.0


def test_a_weekly_report_still_forecasts_by_month_and_a_quarterly_one_by_quarter(
    long_org: tuple[Path, Config],
) -> None:
    monthly = report(long_org)["forecast"]
    weekly = report(long_org, period="week")["forecast"]
    assert weekly["period"] == "month"
    assert weekly["teams"] == monthly["teams"]
    quarterly = report(long_org, period="quarter")["forecast"]
    # 2025-Q3 (September only) and Q4; 2026-Q1 is in progress
    assert [t["missing"] for t in quarterly["teams"]] == [
        "2 complete quarters of history (2026-Q1 is in progress); a forecast needs 4 — sync or analyze more history"
    ] * 3


def test_too_little_history_says_so_and_draws_nothing(tmp_path: Path) -> None:
    config = make_org(tmp_path, first=date(2026, 1, 5))
    doc = report((tmp_path / "ktlo.duckdb", config))
    assert [t["missing"] for t in doc["forecast"]["teams"]] == [  # March is in progress
        "2 complete months of history (2026-03 is in progress); a forecast needs 4 — sync or analyze more history"
    ] * 3
    assert not [k for k in chart_specs(typed(doc), None) if k.startswith("forecast")]
    html = render_report(typed(doc))
    assert html.count("2 complete months of history (2026-03 is in progress)") == 3
    assert 'data-chart="forecast' not in html


def test_the_forecast_panel_shows_its_chart_and_numbers(long_org: tuple[Path, Config]) -> None:
    doc = report(long_org, team="payments")
    assert [t["team"] for t in doc["forecast"]["teams"]] == ["payments"]
    spec = chart_specs(typed(doc), None)["forecast-payments"]
    ahead = doc["forecast"]["teams"][0]["forecast"]
    assert spec["x_ahead"] == ["2026-02", "2026-03", "2026-04", "2026-05"]
    assert spec["low"][1:] == [f["low"] for f in ahead] and spec["band"] == [0.2, 0.4]
    now = doc["forecast"]["teams"][0]["in_progress"]
    assert (spec["x_now"], spec["y_now"]) == (["2026-03"], [now["share"]])
    html = render_report(typed(doc))
    figure = html[html.index('id="fig-forecast-payments"') :]
    figure = figure[: figure.index("</figure>")]
    last = ahead[-1]
    assert (
        f"KTLO share expected in 2026-05: {last['share'] * 100:.0f}% (80% band "
        f"{last['low'] * 100:.0f}%–{last['high'] * 100:.0f}%); 2026-03 to 2026-05: "
        f"{doc['forecast']['teams'][0]['new_work_person_days']:,.1f} of 125.0 person-days "
        "left for new work"
    ) in figure
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">([^<]+)</th>", figure)
    assert rows == [*(f"{m}" for m in ("2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
                                       "2026-02")), "2026-03 (so far, in progress)",
                    "2026-03 (forecast)", "2026-04 (forecast)", "2026-05 (forecast)"]  # fmt: skip
    assert f"{ahead[0]['new_work_person_days']:,.1f} of 44.0" in figure


def test_the_rotation_calendar_is_ktlo_rotation_plan(
    long_org: tuple[Path, Config], tmp_path: Path
) -> None:
    doc = report(long_org)
    section = doc["rotation_plan"]
    assert (section["start"], section["weeks"]) == ("2026-03-30", 8)  # newest effort: Fri 27 March
    runner = CliRunner()
    for plan in section["teams"]:
        answer = runner.invoke(main, [
            "rotation", "plan", "--team", plan["team"], "--start", "2026-03-30", "--periods", "8",
            "--secondary", "--json", "--db", str(long_org[0]), "--config", str(tmp_path / "ktlo.toml"),
        ])  # fmt: skip
        assert answer.exit_code == 0, answer.output
        theirs = json.loads(answer.stdout)
        for field in ("shifts", "load", "shifts_by_person", "warnings", "regions"):
            assert plan[field] == theirs[field], field
    payments = section["teams"][0]
    assert [(s["start"], s["primary"], s["secondary"]) for s in payments["shifts"]][:3] == [
        ("2026-03-30", "raj", "ana"),
        ("2026-04-06", "ana", None),  # Raj is away, and nobody else can back Ana up
        ("2026-04-13", "raj", "ana"),
    ]
    assert payments["names"] == {"ana": "Ana Lima", "raj": "Raj Patel"}
    assert {"text": "the team is too small to avoid back-to-back shifts; Ana Lima, Raj Patel "
            "serve again", "periods": 5} in payments["notes"]  # fmt: skip
    search = section["teams"][1]
    assert {s["primary"] for s in search["shifts"]} == {"lee"}
    assert (
        search["notes"][0]["text"] == "only Lee Wong is in this region, so they serve every period"
    )


def test_members_listed_by_email_carry_their_recent_load(tmp_path: Path) -> None:
    """No [people] entries: the calendar (and `ktlo rotation plan`) find the members' effort."""
    text = '[[teams]]\nname = "payments"\nmembers = ["ana@acme.com", "Raj Patel"]\n'
    config = make_org(tmp_path, text)
    plan = report((tmp_path / "ktlo.duckdb", config))["rotation_plan"]["teams"][0]
    answer = CliRunner().invoke(main, [
        "rotation", "plan", "--team", "payments", "--start", "2026-03-30", "--secondary",
        "--json", "--db", str(tmp_path / "ktlo.duckdb"), "--config", str(tmp_path / "ktlo.toml"),
    ])  # fmt: skip
    assert answer.exit_code == 0, answer.output
    assert plan["shifts"] == json.loads(answer.stdout)["shifts"]
    assert plan["names"] == {"Ana Lima": "Ana Lima", "Raj Patel": "Raj Patel"}
    # KTLO person-days from 2025-12-30 to 2026-03-29 (Ana: 2 December days, 11 in January,
    # 20 in February and in March; Raj: 12 Mondays), then eight weeks of shifts: Raj, with
    # less KTLO behind him, is primary (7 days each), Ana secondary (half of 7)
    assert plan["load"] == {"Ana Lima": 53.0 + 8 * 3.5, "Raj Patel": 12.0 + 8 * 7}


def test_the_calendar_starts_the_monday_after_the_newest_effort() -> None:
    assert plan_start("2026-03-27") == date(2026, 3, 30)  # a Friday
    assert plan_start("2026-03-29") == date(2026, 3, 30)  # a Sunday
    assert plan_start("2026-03-30") == date(2026, 4, 6)  # a Monday: the next one


def test_the_rotation_panel_shows_people_and_notes_and_says_when_there_is_no_team(
    long_org: tuple[Path, Config], tmp_path: Path
) -> None:
    html = render_report(typed(report(long_org)))
    panel = html[html.index('id="plan-rotation-payments"') :]
    panel = panel[: panel.index("</article>")]
    weeks = re.findall(r"<th scope=\"row\">([^<]+)</th>\s*<td class=\"who\">([^<]+)</td>\s*"
                       r"<td class=\"who\">([^<]+)</td>", panel)  # fmt: skip
    assert weeks[:2] == [
        ("2026-03-30 – 2026-04-05", "Raj Patel", "Ana Lima"),
        ("2026-04-06 – 2026-04-12", "Ana Lima", "—"),
    ]
    assert len(weeks) == 8
    assert (
        "too small to avoid back-to-back shifts; Ana Lima, Raj Patel serve again (5 of 8 weeks)"
        in panel
    )
    assert "On-call load: no alerts or incidents synced yet" in html
    bare = tmp_path / "bare"
    bare.mkdir()
    config = make_org(bare, '[[teams]]\nname = "payments"\nrepositories = ["shop"]\n')
    doc = report((bare / "ktlo.duckdb", config))
    assert doc["rotation_plan"]["missing"] == (
        "no team with members in ktlo.toml — list them under [[teams]]"
    )
    assert "no team with members in ktlo.toml" in render_report(typed(doc))


def test_names_from_config_are_escaped_in_both_panels(tmp_path: Path) -> None:
    text = CONFIG.replace('name = "Raj Patel"', f'name = "{HOSTILE_NAME}"').replace(
        'name = "payments"', 'name = "pay<b>ments</b>"'
    )
    config = make_org(tmp_path, text)
    html = render_report(typed(report((tmp_path / "ktlo.duckdb", config))))
    assert "<script>alert('raj')" not in html and "<b>ments" not in html
    assert "&lt;script&gt;alert(&#39;raj&#39;)&lt;/script&gt; Patel" in html  # in the calendar
    assert "pay&lt;b&gt;ments&lt;/b&gt; — KTLO share expected in 2026-05" in html  # the forecast
    for spec in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        json.loads(spec)


def test_csv_has_the_forecast_and_the_shifts(long_org: tuple[Path, Config], tmp_path: Path) -> None:
    base = ["report", "--db", str(long_org[0]), "--config", str(tmp_path / "ktlo.toml")]
    runner = CliRunner()
    doc = json.loads(runner.invoke(main, [*base, "--json"]).stdout)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*base, "--csv"]).stdout)))
    assert len(rows) == len(report_rows(typed(doc)))
    payments = next(t for t in doc["forecast"]["teams"] if t["team"] == "payments")
    ahead = {
        (r["period"], r["metric"]): float(r["value"])
        for r in rows
        if r["section"] == "forecast" and r["team"] == "payments" and r["key"] == "forecast"
    }
    for f in payments["forecast"]:
        assert ahead[(f["period"], "ktlo_share")] == f["share"]
        assert ahead[(f["period"], "low")] == f["low"]
        assert ahead[(f["period"], "new_work_person_days")] == f["new_work_person_days"]
    shifts = [(r["period"], r["metric"], r["key"]) for r in rows
              if r["section"] == "rotation_plan" and r["team"] == "payments"]  # fmt: skip
    assert shifts[:3] == [
        ("2026-03-30", "primary", "raj"),
        ("2026-03-30", "secondary", "ana"),
        ("2026-04-06", "primary", "ana"),
    ]


@pytest.fixture
def client(long_org: tuple[Path, Config]) -> Iterator[TestClient]:
    app = create_app(ServerSettings(long_org[0], long_org[1], check_every=0.1))
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def test_the_dashboard_pages_and_their_json_twins_carry_both(
    client: TestClient, long_org: tuple[Path, Config]
) -> None:
    home = client.get("/index.json").json()
    same = json.loads(json.dumps(report(long_org)))  # as JSON: the back-test's keys are text
    assert (home["forecast"], home["rotation_plan"]) == (same["forecast"], same["rotation_plan"])
    assert 'id="fig-forecast-org"' in client.get("/").text
    team = client.get("/teams/search.json").json()
    assert [t["team"] for t in team["forecast"]["teams"]] == ["search"]
    assert [p["team"] for p in team["rotation_plan"]["teams"]] == ["search"]
    page = client.get("/teams/search").text
    assert 'id="fig-forecast-search"' in page and 'id="fig-forecast-org"' not in page
    assert page.count('<td class="who">Lee Wong</td>') == 8
    assert '<h3 id="h-plan-rotation-search"><a href="/teams/search">search</a>' in page


def test_the_on_call_load_names_people_as_the_calendar_does(long_org: tuple[Path, Config]) -> None:
    doc = report(long_org)
    doc["rotation"] = {"missing": None, "teams": [{
        "team": "payments", "since": "2026-01-01", "gini": 0.2, "shifts": 4,
        "on_call_from": "acknowledgements",
        "people": [{"person": "raj", "load": 6.5, "overloaded": True}],
        "models": {"rotation_weeks": 0, "shared_weeks": 0, "metrics": {}},
        "follow_ups": {"incidents": 3, "with_follow_ups": 2, "follow_ups": 4, "done": 1,
                       "done_share": 0.25},
    }]}  # fmt: skip
    html = render_report(typed(doc))
    panel = html[html.index('class="panel rotation-load"') :]
    panel = panel[: panel.index("</article>")]
    assert re.search(r'<th scope="row">Raj Patel</th>', panel)
    assert '<th scope="row">raj</th>' not in panel
    assert (
        "Postmortem follow-ups: <strong>1 of 4</strong> done (25%), for 2 of 3 incidents" in panel
    )
