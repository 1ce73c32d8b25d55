"""The report document, its HTML and its exports, on a small organisation checked by hand."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config
from ktlo.effort.allocation import AllocationOptions, allocation, budget_report
from ktlo.errors import ConfigError, NotFoundError
from ktlo.planning.outlook import ForecastDocument
from ktlo.render.html import render_report
from ktlo.render.rows import forecast_rows
from ktlo.report.document import build_report, report_rows
from ktlo.report.model import ReportFilters
from ktlo.store import Store
from tests import estimates, health_work
from tests.conftest import GitRepo
from tests.report_work import HOSTILE_ID, SEARCH, build_org, typed, write_config


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Config]:
    config = write_config(tmp_path)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
    return tmp_path / "ktlo.duckdb", config


def report(org: tuple[Path, Config], **filters: object) -> dict[str, Any]:
    with Store.open(org[0], read_only=True) as store:
        return build_report(store, org[1], ReportFilters(**filters)).to_json()  # type: ignore[arg-type]


def read_mix(org: tuple[Path, Config]) -> float:
    with Store.open(org[0], read_only=True) as store:
        return estimates.read_ktlo(store)


def test_balance_per_month_and_kind(org: tuple[Path, Config]) -> None:
    doc = report(org)
    months = doc["organisation"]["periods"]
    assert [(m["period"], m["person_days"], m["ktlo_person_days"]) for m in months] == [
        ("2026-01", 60.0, 23.0),  # 11 bug + 4 dependency + 8 reliability days of 60
        ("2026-02", 60.0, 32.0),
        ("2026-03", 60.0, 32.0),
    ]
    # corrected by the tests' prior with the store's read mix (tests/estimates.py)
    mix = read_mix(org)
    assert [m["ktlo_share"] for m in months] == [
        estimates.corrected(days / 60, mix) for days in (23, 32, 32)
    ]
    assert all(m["ktlo_share_low"] < m["ktlo_share"] < m["ktlo_share_high"] for m in months)
    assert months[1]["by_subcategory"] == {
        "bug": 20.0, "dependency": 4.0, "reliability": 8.0, "feature": 28.0
    }  # fmt: skip
    payments = doc["balance"][0]
    assert [k["key"] for k in payments["subcategories"]] == ["bug", "dependency", "feature"]
    assert (payments["low"], payments["high"]) == (0.2, 0.4)
    assert payments["totals"]["person_days"] == 120.0


def test_the_balance_is_ktlo_allocation_by_subcategory(org: tuple[Path, Config]) -> None:
    doc = report(org)
    with Store.open(org[0], read_only=True) as store:
        for team in ("payments", "search"):
            mine = next(b for b in doc["balance"] if b["team"] == team)
            theirs = allocation(
                store, org[1], AllocationOptions(team=team, by="subcategory")
            ).to_json()
            assert [p["ktlo_share"] for p in mine["periods"]] == theirs["trend"]["series"]
            for ours, alloc in zip(mine["periods"], theirs["periods"], strict=True):
                assert ours["person_days"] == alloc["person_days"]
                assert ours["status"] == alloc["status"]
                assert ours["by_subcategory"] == {
                    g["key"]: g["person_days"] for g in alloc["groups"]
                }
        budget = {t["team"]: t for t in budget_report(store, org[1], "month").to_json()["teams"]}
    for card in doc["teams"]:
        expected = budget[card["team"]]
        for field in ("last_period", "last_period_share", "last_period_status", "quarter_share",
                      "quarter_status", "drifting", "drivers"):  # fmt: skip
            assert card[field] == expected[field], field


def test_team_cards_hotspots_people_and_largest_items(org: tuple[Path, Config]) -> None:
    doc = report(org)
    payments = doc["teams"][0]
    assert (payments["team"], payments["last_period"], payments["last_period_share"]) == (
        "payments", "2026-02", estimates.corrected(0.6, read_mix(org))
    )  # fmt: skip
    # the estimate above the band, its interval reaching into it: likely over
    assert payments["last_period_share_low"] < 0.4 < payments["last_period_share"]
    assert payments["last_period_status"] == "likely over"
    assert payments["ktlo_cost"] == round(63 / 21.7 * 21700, 2)
    assert [(h["directory"], h["ktlo_person_days"]) for h in doc["hotspots"]] == [
        ("src/payments", 51.0), ("search/index", 24.0), (".", 12.0)
    ]  # fmt: skip
    assert [(p["name"], p["ktlo_person_days"]) for p in doc["people"]] == [
        ("Ana Lima", 51.0), ("Lee Wong", 24.0), ("Raj Patel", 12.0)
    ]  # fmt: skip
    assert doc["largest"][0]["item_id"] == HOSTILE_ID
    assert doc["largest"][0]["reasons"] == ["test"]


def test_filters_change_the_numbers(org: tuple[Path, Config]) -> None:
    since_feb = report(org, since=date(2026, 2, 1))
    assert since_feb["organisation"]["totals"]["person_days"] == 120.0
    assert [p["period"] for p in since_feb["organisation"]["periods"]] == ["2026-02", "2026-03"]
    search = report(org, repo=SEARCH)
    assert search["organisation"]["totals"]["person_days"] == 60.0
    one_team = report(org, team="search", period="quarter")
    assert [c["team"] for c in one_team["teams"]] == ["search"]
    assert one_team["organisation"] is None
    assert one_team["balance"][0]["periods"][0]["period"] == "2026-Q1"


def test_bad_filters_say_what_is_wrong(org: tuple[Path, Config]) -> None:
    with pytest.raises(NotFoundError, match="unknown team 'nope'.*payments, search"):
        report(org, team="nope")
    with pytest.raises(NotFoundError, match="unknown repository"):
        report(org, repo="github.com/acme/none")
    with pytest.raises(ConfigError, match="is not before until"):
        report(org, since=date(2026, 3, 1), until=date(2026, 2, 1))


def test_operational_panels_say_when_nothing_was_synced(org: tuple[Path, Config]) -> None:
    doc = report(org)
    missing = {p["key"]: p["missing"] for p in doc["health"]["panels"]}
    assert missing["dora"] == "no deployments synced yet — run `ktlo sync`"
    assert missing["incidents"] == "no incidents synced yet — run `ktlo sync`"
    assert missing["bugs"] == "no bug reports synced yet — run `ktlo sync`"
    assert doc["health"]["scorecard"] is None
    assert doc["rotation"]["missing"] == "no alerts or incidents synced yet — run `ktlo sync`"
    html = render_report(typed(doc))
    assert "no builds synced yet — run `ktlo sync`" in html


def test_health_panels_come_from_ktlo_health(org: tuple[Path, Config]) -> None:
    with Store.open(org[0]) as store:
        health_work.deployment(store, "d1", "2026-03-02 10:00")
        health_work.deployment(store, "d2", "2026-03-09 10:00")
    doc = report(org)
    panels = {p["key"]: p["missing"] for p in doc["health"]["panels"]}
    assert panels["dora"] is None
    assert panels["incidents"] == "no incidents synced yet — run `ktlo sync`"
    card = doc["health"]["scorecard"]
    assert card["schema"] == "ktlo.health/v1"
    assert card["dora"]["deployment_frequency"]["deployments"] == 2
    html = render_report(typed(doc))
    assert "Deployment frequency" in html


def test_html_report_is_self_contained_and_escapes_source_text(org: tuple[Path, Config]) -> None:
    html = render_report(typed(report(org)))
    assert "<script>alert(" not in html
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;quoted&#34; &amp; &lt;b&gt;bold"
        in html
    )
    assert "A" * 10_000 in html
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # the inlined libraries
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup)
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", markup)
    assert "default-src &#39;none&#39;" in html  # the page's CSP forbids any request
    assert len(html.encode()) < 2_000_000


def test_json_twin_of_chart_data_cannot_close_its_script(org: tuple[Path, Config]) -> None:
    with Store.open(org[0]) as store:
        store.con.execute(
            "UPDATE work_items SET author_name = '</script><b>x' WHERE item_id = 'lee1'"
        )
    html = render_report(typed(report(org)))
    for spec in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        json.loads(spec)  # each chart's data is whole JSON: nothing closed the script early


def test_cli_report_html_json_and_csv_agree(org: tuple[Path, Config], tmp_path: Path) -> None:
    store, config = org
    runner = CliRunner()
    base = ["report", "--db", str(store), "--config", str(tmp_path / "ktlo.toml")]
    out = tmp_path / "report.html"
    result = runner.invoke(main, [*base, "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "payments" in out.read_text()
    doc = json.loads(runner.invoke(main, [*base, "--json"]).stdout)
    assert doc["schema"] == "ktlo.report/v2"
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*base, "--csv"]).output)))
    assert len(rows) == len(report_rows(typed(doc)))
    shares = {
        r["period"]: float(r["value"])
        for r in rows
        if r["section"] == "balance"
        and r["team"] == "payments"
        and r["metric"] == "ktlo_share"
        and not r["key"]
    }
    assert shares == {p["period"]: p["ktlo_share"] for p in doc["balance"][0]["periods"]}
    summary = runner.invoke(main, base)
    assert summary.exit_code == 0 and "payments" in summary.output


def test_cli_report_unknown_team_is_one_line(org: tuple[Path, Config], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["report", "--db", str(org[0]), "--config", str(tmp_path / "ktlo.toml"), "--team", "x"],
    )
    assert result.exit_code == 1
    assert "Error: unknown team 'x' — known teams: payments, search" in result.output


def test_hostile_text_in_the_terminal_summary_is_not_markup(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    text = (tmp_path / "ktlo.toml").read_text().replace('name = "search"', 'name = "[bold]search"')
    (tmp_path / "ktlo.toml").write_text(text)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
    assert config
    result = CliRunner().invoke(
        main,
        ["report", "--db", str(tmp_path / "ktlo.duckdb"), "--config", str(tmp_path / "ktlo.toml")],
    )
    assert result.exit_code == 0, result.output
    assert "[bold]search" in result.output


def test_csv_of_analyze_and_mode_has_the_numbers_of_their_json(
    org: tuple[Path, Config], tmp_path: Path, shop: GitRepo
) -> None:
    runner = CliRunner()
    repo = str(shop.path)
    db = str(tmp_path / "shop.duckdb")
    doc = json.loads(runner.invoke(main, ["analyze", repo, "--db", db, "--json"]).stdout)
    rows = list(
        csv.DictReader(
            io.StringIO(runner.invoke(main, ["analyze", repo, "--db", db, "--csv"]).stdout)
        )
    )
    assert [(r["period"], int(r["commits"])) for r in rows] == [
        (p["period"], p["commits"]) for p in doc["periods"]
    ]
    base = ["mode", "--db", str(org[0]), "--config", str(tmp_path / "ktlo.toml")]
    mode = json.loads(runner.invoke(main, [*base, "--json"]).stdout)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*base, "--csv"]).stdout)))
    expected = [(t["team"], h["start"], h["state"]) for t in mode["teams"] for h in t["history"]]
    assert [(r["team"], r["start"], r["state"]) for r in rows] == expected


def test_forecast_rows_keep_history_and_band() -> None:
    doc = ForecastDocument.model_validate({
        "schema": "ktlo.forecast/v1", "team": None, "period": "month",
        "history": [{"start": "2026-01-01", "share": 0.3, "person_days": 20.0}],
        "in_progress": None, "method": "trend", "method_note": None,
        "forecast": [{"start": "2026-02-01", "share": 0.32, "low": 0.25, "high": 0.39,
                      "capacity_person_days": 40.0, "new_work_person_days": 27.2}],
        "trend_forecast": None, "band": "80%", "capacity": None,
        "backtest": {"origins": 0, "mae_by_horizon": {}, "naive_mae_by_horizon": {}},
    })  # fmt: skip
    rows = forecast_rows(doc)
    assert [(r["kind"], r["share"], r["low"]) for r in rows] == [
        ("history", 0.3, None), ("forecast", 0.32, 0.25)
    ]  # fmt: skip
    assert rows[1]["new_work_person_days"] == 27.2
