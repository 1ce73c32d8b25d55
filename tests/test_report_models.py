"""Which on-call model works for a team, beside its on-call load in the report, its exports
and the dashboard: `ktlo rotation review`'s comparison, in its own words."""

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
from fastapi.testclient import TestClient

from ktlo.cli import main
from ktlo.config import Config, load_config
from ktlo.render.html import render_report
from ktlo.report.document import build_report, report_rows
from ktlo.report.model import ReportFilters
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests.report_work import CONFIG, LONG_FROM, add_pages, build_org, typed

SUPPORTED = "the data supports a difference: lower with a rotation (p = 0.008)"
TOO_FEW = "not enough weeks to tell (0 with a rotation, 0 shared; 4 of each needed)"
UNCLEAR = "no clear difference (p = 0.051); the data does not support either model over the other"


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Config]:
    (tmp_path / "ktlo.toml").write_text(CONFIG)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store, LONG_FROM)
        add_pages(store)
    return tmp_path / "ktlo.duckdb", load_config(tmp_path / "ktlo.toml")


def report(org: tuple[Path, Config], **filters: Any) -> dict[str, Any]:
    with Store.open(org[0], read_only=True) as store:
        return build_report(store, org[1], ReportFilters(**filters)).to_json()


def rotation_review(org: tuple[Path, Config], team: str, since: str) -> dict[str, Any]:
    answer = CliRunner().invoke(main, [
        "rotation", "review", "--team", team, "--since", since, "--json", "--db", str(org[0]),
        "--config", str(org[0].parent / "ktlo.toml"),
    ])  # fmt: skip
    assert answer.exit_code == 0, answer.output
    doc: dict[str, Any] = json.loads(answer.stdout)
    return doc


def test_the_comparison_is_ktlo_rotation_reviews(org: tuple[Path, Config]) -> None:
    teams = {r["team"]: r for r in report(org)["rotation"]["teams"]}
    assert teams["payments"]["since"] == "2025-12-26"  # 91 days before the newest effort
    for team, review in teams.items():
        assert review["models"] == rotation_review(org, team, review["since"])["models"]
    payments = teams["payments"]["models"]
    assert (payments["rotation_weeks"], payments["shared_weeks"]) == (5, 5)
    assert payments["metrics"]["mttr_hours"] == {
        "rotation": 1.0, "shared": 5.0, "p_value": 0.0085, "verdict": SUPPORTED,
    }  # fmt: skip
    assert payments["metrics"]["people_interrupted"]["verdict"] == SUPPORTED
    search = teams["search"]["models"]["metrics"]
    assert {m["verdict"] for m in search.values()} == {TOO_FEW}
    since = report(org, since=date(2026, 2, 2))["rotation"]["teams"][0]
    assert since["models"] == rotation_review(org, "payments", "2026-02-02")["models"]
    assert since["models"]["metrics"]["mttr_hours"]["verdict"] == (
        "not enough weeks to tell (1 with a rotation, 5 shared; 4 of each needed)"
    )


def load_panel(html: str, team: str) -> str:
    panel = html[html.index(f'id="h-load-rotation-{team}"') :]
    return panel[: panel.index("</article>")]


def test_the_verdict_shows_beside_the_load_in_the_librarys_words(org: tuple[Path, Config]) -> None:
    html = render_report(typed(report(org)))
    payments = load_panel(html, "payments")
    assert (
        "Which model works for payments: 5 weeks with a rotation (one person acknowledged at "
        "least 60% of the pages), 5 shared</caption>"
    ) in payments
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>'
        r'<td class="said">([^<]+)</td></tr>',
        payments,
    )
    assert rows == [
        ("MTTR (median hours to resolve its incidents)", "1.00", "5.00", SUPPORTED),
        ("People interrupted (taking part in its incidents)", "1.00", "2.00", SUPPORTED),
        ("KTLO share of effort in the week, the members together", "0.40", "0.60", UNCLEAR),
    ]
    search = load_panel(html, "search")
    assert search.count(f'<td class="said">{TOO_FEW}</td>') == 3
    assert "<td>—</td><td>—</td>" in search  # no means without weeks


def test_json_csv_and_dashboard_carry_the_comparison(org: tuple[Path, Config]) -> None:
    base = ["report", "--db", str(org[0]), "--config", str(org[0].parent / "ktlo.toml")]
    runner = CliRunner()
    doc = json.loads(runner.invoke(main, [*base, "--json"]).stdout)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*base, "--csv"]).stdout)))
    assert len(rows) == len(report_rows(typed(doc)))
    models = {
        (r["key"], r["metric"]): r["value"]
        for r in rows
        if r["section"] == "rotation_model" and r["team"] == "payments"
    }
    assert models == {
        ("", "rotation_weeks"): "5", ("", "shared_weeks"): "5",
        ("mttr_hours", "rotation"): "1.0", ("mttr_hours", "shared"): "5.0",
        ("mttr_hours", "p_value"): "0.0085", ("mttr_hours", "verdict"): SUPPORTED,
        ("people_interrupted", "rotation"): "1.0", ("people_interrupted", "shared"): "2.0",
        ("people_interrupted", "p_value"): "0.0085", ("people_interrupted", "verdict"): SUPPORTED,
        ("ktlo_share", "rotation"): "0.4", ("ktlo_share", "shared"): "0.6",
        ("ktlo_share", "p_value"): "0.0515", ("ktlo_share", "verdict"): UNCLEAR,
    }  # fmt: skip
    app = create_app(ServerSettings(org[0], org[1], check_every=0.1))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        home = client.get("/index.json").json()
        assert home["rotation"] == doc["rotation"]
        team = client.get("/teams/payments.json").json()["rotation"]["teams"]
        assert [t["models"] for t in team] == [doc["rotation"]["teams"][0]["models"]]
        page = client.get("/teams/payments").text
        assert page.count(f'<td class="said">{SUPPORTED}</td>') == 2
