"""The planning figures (issue 19) in every view: the report document, its CSV, the HTML
report, the dashboard and `/metrics`, and budget buckets in `ktlo budget --csv`.

The store is tests/report_work.py's organisation (one commit per person and working day from
Monday 5 January to Friday 27 March 2026, so February, 20 working days, is the one complete
month), with:

    payments  targets new_work 40, bug 40 (so `(rest)` 20), tolerance 5 points. February:
              Ana fixes bugs every day (20), Raj bumps dependencies on Mondays (4) and builds
              features the other days (16): new_work 16/40 = 0.4 inside 35–45%, bug 20/40 =
              0.5 over, (rest) 4/40 = 0.1 under 15–25%
    initiative Raj's commits name PAY-1, an epic marked capitalizable: PAY-1 is Raj's effort;
              in February his 16 feature days are capitalizable and his 4 dependency days
              (KTLO) are expensed with Ana's 20 (payments) and Lee's 20 (search)
    flow      payments' bugs (Jira project PAY), as tests/test_flow.py: in March b1, b2, b3
              and b6 finished (4), b4 and b7 in progress: KTLO WIP 2 over its limit of 1
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ktlo.cli import main
from ktlo.config import Config, load_config
from ktlo.effort.allocation import AllocationOptions, allocation, budget_report
from ktlo.effort.capitalization import capitalization
from ktlo.planning.flow import flow_report
from ktlo.render.html import render_report
from ktlo.report.document import build_report, report_rows
from ktlo.report.model import ReportFilters
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests.report_work import CONFIG, build_org, typed
from tests.test_flow import add_bugs
from tests.work import add_item

FIGURES = (
    CONFIG.replace(
        'cost_per_fte_month = 21700\nservices = ["checkout"]',
        'cost_per_fte_month = 21700\nservices = ["checkout"]\nrepositories = ["PAY"]\n'
        "ktlo_wip_limit = 1\ntargets = { new_work = 40, bug = 40 }",
    )
    + '\n[initiatives."PAY-1"]\ncapitalizable = true\n'
)
BUGS = {
    "b1": [("03-01", "To Do"), ("03-10", "In Progress"), ("03-12", "Done")],
    "b2": [("03-02", "To Do"), ("03-05", "In Progress"), ("03-06", "In Review"), ("03-09", "Done")],
    "b3": [("03-03", "To Do"), ("03-04", "In Progress"), ("03-05", "Done"),
           ("03-20", "In Progress"), ("03-28", "Done")],
    "b4": [("03-01", "To Do"), ("03-20T12", "In Progress")],
    "b6": [("03-01", "To Do"), ("03-15", "Done")],
    "b7": [("03-01", "To Do"), ("03-29T12", "In Progress")],
    "b9": [("03-31T12", "Backlog")],
}  # fmt: skip
LOCAL = "http://127.0.0.1:8765"


def add_figures(store: Store) -> None:
    """Payments' bug flow, the PAY-1 epic and Raj's commits naming it."""
    add_bugs(store, BUGS)
    add_item(store, "epic1", "epic", ("new_work", "project"), repo_id="jira.acme.example")
    store.con.execute("UPDATE work_items SET external_id = 'PAY-1' WHERE item_id = 'epic1'")
    store.con.execute("UPDATE work_items SET refs = ['PAY-1'] WHERE item_id LIKE 'raj%'")


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Config]:
    (tmp_path / "ktlo.toml").write_text(FIGURES)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
        add_figures(store)
    return tmp_path / "ktlo.duckdb", load_config(tmp_path / "ktlo.toml")


def report(org: tuple[Path, Config], **filters: Any) -> dict[str, Any]:
    with Store.open(org[0], read_only=True) as store:
        return build_report(store, org[1], ReportFilters(**filters)).to_json()


def test_flow_is_ktlo_flow_for_the_organisation_and_each_team(org: tuple[Path, Config]) -> None:
    flow = report(org)["flow"]
    assert flow["missing"] is None and flow["period"] == "month"
    payments = {f["team"]: f for f in flow["teams"]}["payments"]
    bugs = next(g for g in payments["groups"] if g["subcategory"] == "bug")
    assert (bugs["throughput"], bugs["wip"]) == (4, 2)  # b1 b2 b3 b6 done; b4 b7 in progress
    assert payments["teams"] == [
        {"team": "payments", "ktlo_wip": 2, "wip": 2, "ktlo_wip_limit": 1, "over_limit": True}
    ]
    with Store.open(org[0], read_only=True) as store:
        assert payments == flow_report(store, org[1], "payments", "month").to_json()
        assert flow["organisation"] == flow_report(store, org[1], None, "month").to_json()
    alone = report(org, team="payments", period="week")["flow"]
    assert alone["organisation"] is None and [f["team"] for f in alone["teams"]] == ["payments"]
    assert alone["teams"][0]["period"] == "week"


def test_without_status_changes_or_pull_requests_the_flow_says_so(tmp_path: Path) -> None:
    (tmp_path / "ktlo.toml").write_text(CONFIG)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
    flow = report((tmp_path / "ktlo.duckdb", load_config(tmp_path / "ktlo.toml")))["flow"]
    assert flow["missing"].startswith("no tracker status changes or pull requests synced yet")
    assert flow["teams"] == [] and flow["organisation"] is None
    buckets = report((tmp_path / "ktlo.duckdb", load_config(tmp_path / "ktlo.toml")))["buckets"]
    assert buckets["missing"].startswith("no team shown has `targets` in ktlo.toml")


def test_buckets_are_ktlo_budgets_by_hand(org: tuple[Path, Config]) -> None:
    section = report(org)["buckets"]
    assert [t["team"] for t in section["teams"]] == ["payments"]  # search has no targets
    mine = section["teams"][0]
    b = mine["buckets"]
    assert (b["period"], b["previous_period"], b["tolerance"]) == ("2026-02", None, 0.05)
    assert [(x["bucket"], x["target"], x["share"], x["status"]) for x in b["buckets"]] == [
        ("new_work", 0.4, 0.4, "inside"),
        ("bug", 0.4, 0.5, "over"),
        ("(rest)", 0.2, 0.1, "under"),
    ]
    assert [x["person_days"] for x in b["buckets"]] == [16.0, 20.0, 4.0]
    february = next(p for p in mine["periods"] if p["period"] == "2026-02")
    assert february["shares"] == {"new_work": 0.4, "bug": 0.5, "(rest)": 0.1}
    assert (february["complete"], february["person_days"]) == (True, 40.0)
    with Store.open(org[0], read_only=True) as store:
        budget = budget_report(store, org[1], "month").to_json()
    assert b == budget["teams"][0]["buckets"]  # the same figures as `ktlo budget`


def test_effort_by_initiative_is_ktlo_allocation_by_initiative(org: tuple[Path, Config]) -> None:
    (by,) = report(org)["breakdowns"]
    assert by["by"] == "initiative"
    keys = {g["key"]: g for g in by["groups"]}
    assert set(keys) == {"PAY-1", "(no initiative)"}
    february = next(p for p in by["periods"] if p["period"] == "2026-02")
    assert {g["key"]: g["person_days"] for g in february["groups"]} == {
        "(no initiative)": 40.0,  # Ana's and Lee's
        "PAY-1": 20.0,  # Raj's
    }
    assert by["unassigned"]["key"] == "(no initiative)"
    with Store.open(org[0], read_only=True) as store:
        theirs = allocation(store, org[1], AllocationOptions(by="initiative")).to_json()
    assert by["groups"] == theirs["groups"] and by["periods"] == theirs["periods"]
    payments = report(org, team="search")["breakdowns"][0]
    assert [g["key"] for g in payments["groups"]] == ["(no initiative)"]  # Lee names nothing


def test_capitalization_by_hand(org: tuple[Path, Config]) -> None:
    section = report(org)["capitalization"]
    rows = {(r["team"], r["period"], r["cost_class"]): r for r in section["document"]["rows"]}
    assert rows[("payments", "2026-02", "capitalizable")]["person_days"] == 16.0  # Raj's features
    assert rows[("payments", "2026-02", "expensed")]["person_days"] == 24.0  # Ana 20 + Raj 4
    assert rows[("payments", "2026-02", "capitalizable")]["cost"] == 16_000.0  # 21,700 / 21.7
    assert rows[("search", "2026-02", "expensed")]["person_days"] == 20.0
    assert ("search", "2026-02", "capitalizable") not in rows
    capitalizable = sum(
        r["person_days"] for r in rows.values() if r["cost_class"] == "capitalizable"
    )
    every = sum(r["person_days"] for r in rows.values())
    assert section["capitalizable_share"] == round(capitalizable / every, 4)
    with Store.open(org[0], read_only=True) as store:
        assert section["document"] == capitalization(store, org[1], "month").to_json()


def test_the_html_report_and_the_csv_carry_every_figure(org: tuple[Path, Config]) -> None:
    doc = report(org)
    html = render_report(typed(doc))
    for section in ("flow", "buckets", "by-initiative", "capitalization"):
        assert f'<section id="{section}"' in html
    specs = {
        m[0]: json.loads(m[1])
        for m in re.findall(r'<script type="application/json" id="spec-([^"]+)">(.*?)</script>',
                            html, re.S)
    }  # fmt: skip
    assert specs["buckets-payments"]["share"] == [0.4, 0.5, 0.1]
    assert specs["buckets-payments"]["kind"] == "targets"
    assert specs["by-initiative"]["labels"][0] in {"PAY-1", "(no initiative)"}
    assert specs["capitalization"]["series"][0]["name"] == "capitalizable"
    assert "over the limit" in html  # payments' KTLO WIP 2 > 1
    rows = report_rows(typed(doc))
    found = {
        (r["section"], r["team"], r["period"], r["key"], r["metric"]): r["value"] for r in rows
    }
    assert found[("buckets", "payments", "2026-02", "bug", "share")] == 0.5
    assert found[("buckets", "payments", "2026-02", "bug", "status")] == "over"
    assert found[("capitalization", "payments", "2026-02", "capitalizable", "person_days")] == 16.0
    assert found[("initiative", None, "2026-02", "PAY-1", "person_days")] == 20.0
    assert found[("flow_wip", "payments", "2026-03-31", None, "over_limit")] is True


def test_dashboard_json_twins_and_metrics(org: tuple[Path, Config]) -> None:
    app = create_app(ServerSettings(org[0], org[1], check_every=0.1))
    with TestClient(app, base_url=LOCAL) as client:
        home = client.get("/index.json").json()
        team = client.get("/teams/payments.json").json()
        page = client.get("/teams/payments").text
        metrics = client.get("/metrics").text
    assert home["buckets"] == report(org)["buckets"]
    assert [f["team"] for f in team["flow"]["teams"]] == ["payments"]
    assert 'id="fig-buckets-payments"' in page and 'id="fig-capitalization"' in page
    for line in (
        'ktlo_flow_wip{kind="bug",team="payments"} 2.0',
        'ktlo_flow_past_sle{kind="bug",team="payments"} 1.0',  # b4: 11 days against 5
        'ktlo_flow_ktlo_wip_limit{team="payments"} 1.0',
        'ktlo_flow_over_limit{team="payments"} 1.0',
        'ktlo_budget_bucket_share{bucket="bug",team="payments"} 0.5',
        'ktlo_budget_bucket_target{bucket="(rest)",team="payments"} 0.2',
        'ktlo_capitalizable_person_days{period="2026-02",team="payments"} 16.0',
        'ktlo_expensed_person_days{period="2026-02",team="search"} 20.0',
    ):
        assert line in metrics, line
    assert re.search(r'ktlo_flow_cycle_time_days\{kind="bug",quantile="0.5",team="payments"\} ',
                     metrics)  # fmt: skip
    days = {g["key"]: g["person_days"] for g in home["breakdowns"][0]["groups"]}
    assert f'ktlo_initiative_person_days{{initiative="PAY-1"}} {days["PAY-1"]}' in metrics


def test_budget_csv_has_a_row_per_team_and_bucket(org: tuple[Path, Config]) -> None:
    folder = org[0].parent
    result = CliRunner().invoke(
        main, ["budget", "--csv", "--db", str(org[0]), "--config", str(folder / "ktlo.toml")]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["team"], r["bucket"], r["bucket_share"], r["bucket_status"]) for r in rows] == [
        ("payments", "new_work", "0.4", "inside"),
        ("payments", "bug", "0.5", "over"),
        ("payments", "(rest)", "0.1", "under"),
        ("search", "", "", ""),  # no targets: one row, its bucket columns empty
    ]
    team_columns = [c for c in rows[0] if not c.startswith("bucket")]
    payments = {tuple(r[c] for c in team_columns) for r in rows if r["team"] == "payments"}
    assert len(payments) == 1  # the team's own figures, the same on each of its rows


def test_the_same_connection_computes_an_allocation_after_the_report(
    org: tuple[Path, Config],
) -> None:
    # the figures read the report's effort through a temporary `alloc` view; a command run
    # afterwards on the same connection builds its own `alloc` table
    with Store.open(org[0], read_only=True) as store:
        build_report(store, org[1], ReportFilters())
        doc = allocation(store, org[1], AllocationOptions(by="team"))
    assert {g.key for g in doc.groups} == {"payments", "search"}
