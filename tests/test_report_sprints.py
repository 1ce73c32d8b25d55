"""Sprint and cycle budgets in the report, its exports and the dashboard, checked against
`ktlo sprints` on the same store (which computes effort afresh where the report reuses its
own effort table)."""

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
from ktlo.render.charts import chart_specs
from ktlo.render.html import render_report
from ktlo.report.document import build_report, report_rows
from ktlo.report.model import ReportFilters
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests.report_work import CONFIG, HOSTILE_SPRINT, LONG_FROM, add_sprints, build_org, typed
from tests.work import add_commit

# Raj works for both teams, 30% of his time for payments: the report's effort table
# splits his person-days in three, `ktlo sprints` does not, and their figures must agree.
SHARED_RAJ = CONFIG.replace(
    'aliases = ["raj@acme.com"]',
    'aliases = ["raj@acme.com"]\nteams = { payments = 0.3, search = 0.7 }',
)


def make_org(folder: Path, config_text: str = SHARED_RAJ, hostile: bool = False) -> Config:
    (folder / "ktlo.toml").write_text(config_text)
    with Store.open(folder / "ktlo.duckdb") as store:
        build_org(store, LONG_FROM)
        add_sprints(store, hostile)
    return load_config(folder / "ktlo.toml")


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Config]:
    return tmp_path / "ktlo.duckdb", make_org(tmp_path)


def report(org: tuple[Path, Config], **filters: Any) -> dict[str, Any]:
    with Store.open(org[0], read_only=True) as store:
        return build_report(store, org[1], ReportFilters(**filters)).to_json()


def ktlo_sprints(org: tuple[Path, Config], *args: str) -> dict[str, Any]:
    config = org[0].parent / "ktlo.toml"
    answer = CliRunner().invoke(
        main, ["sprints", *args, "--json", "--db", str(org[0]), "--config", str(config)]
    )
    assert answer.exit_code == 0, answer.output
    doc: dict[str, Any] = json.loads(answer.stdout)
    return doc


def test_each_teams_sprints_are_ktlo_sprints(org: tuple[Path, Config]) -> None:
    section = report(org)["sprints"]
    assert section["missing"] is None
    assert [(t["team"], t["low"], t["high"]) for t in section["teams"]] == [
        ("payments", 0.2, 0.4),
        ("search", 0.1, 0.3),
    ]
    for team in section["teams"]:
        theirs = ktlo_sprints(org, "--team", team["team"])
        assert team["sprints"] == theirs["sprints"]
        assert team["trend"] == theirs["trend"]
    everything = ktlo_sprints(org)["sprints"]
    shown = sorted(
        (s for t in section["teams"] for s in t["sprints"]),
        key=lambda s: (s["starts_at"], s["sprint_id"]),
    )
    assert shown == everything and len(shown) == 9


def test_the_figures_of_one_sprint_by_hand(org: tuple[Path, Config]) -> None:
    payments = report(org)["sprints"]["teams"][0]["sprints"]
    first = payments[0]
    assert (first["sprint"], first["starts_at"]) == ("PAY Sprint 1", "2026-01-05T00:00:00")
    # planned: Raj's 10 commits, two of them Monday dependency bumps
    assert (first["planned_items"], first["planned_basis"], first["planned_ktlo_share"]) == (
        10,
        "items",
        0.2,
    )
    # actual: Ana's 10 days (5 on bugs) and all of Raj's 10 (2 on bumps), whichever team his
    # time is booked to
    assert (first["actual_basis"], first["actual_ktlo_share"]) == ("effort", 0.35)
    assert (first["unplanned_items"], first["unplanned_ktlo_items"]) == (10, 5)
    assert [s["actual_ktlo_share"] for s in payments[2:]] == [0.6] * 4  # Ana on bugs only


def test_a_team_and_dates_choose_the_sprints_that_overlap_them(org: tuple[Path, Config]) -> None:
    every = {s["sprint_id"]: s for t in report(org)["sprints"]["teams"] for s in t["sprints"]}
    since, until = date(2026, 2, 10), date(2026, 3, 3)
    section = report(org, since=since, until=until)["sprints"]
    shown = {t["team"]: [s["sprint"] for s in t["sprints"]] for t in section["teams"]}
    # Sprint 3 (2–13 February) ends after `since`; Sprint 5 starts 2 March, before `until`
    assert shown == {
        "payments": ["PAY Sprint 3", "PAY Sprint 4", "PAY Sprint 5"],
        "search": ["Cycle 2", "Cycle 3"],
    }
    for team in section["teams"]:  # the same figures: a sprint's effort is never cut at `since`
        assert all(s == every[s["sprint_id"]] for s in team["sprints"])
    only = report(org, team="search", until=until)["sprints"]["teams"]
    assert [t["team"] for t in only] == ["search"]
    assert only[0]["sprints"] == ktlo_sprints(org, "--team", "search")["sprints"]


def test_no_sprints_say_so(tmp_path: Path, org: tuple[Path, Config]) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "ktlo.toml").write_text(CONFIG)
    with Store.open(bare / "ktlo.duckdb") as store:
        build_org(store)
    doc = report((bare / "ktlo.duckdb", load_config(bare / "ktlo.toml")))
    assert doc["sprints"] == {
        "missing": "no sprints or cycles synced yet — sync Jira or Linear",
        "teams": [],
    }
    html = render_report(typed(doc))
    assert '<p class="empty">no sprints or cycles synced yet — sync Jira or Linear</p>' in html
    assert not [k for k in chart_specs(typed(doc), None) if k.startswith("sprints")]
    assert 'data-chart="sprints' not in html
    early = report(org, team="search", until=date(2026, 1, 1))["sprints"]
    assert early == {
        "missing": "no sprints or cycles of search until 2026-01-01 — `ktlo sprints` lists "
        "the teams they belong to",
        "teams": [],
    }


def test_the_panel_draws_both_shares_and_lists_the_numbers(org: tuple[Path, Config]) -> None:
    doc = report(org)
    spec = chart_specs(typed(doc), None)["sprints-payments"]
    payments = doc["sprints"]["teams"][0]
    assert spec["x"] == [f"PAY Sprint {n}" for n in range(1, 7)]
    assert spec["planned"] == payments["trend"]["planned"] == [0.2] * 6
    assert spec["actual"] == payments["trend"]["actual"]
    assert spec["unplanned"] == [10] * 6 and spec["unplanned_ktlo"] == [5, 5, 10, 10, 10, 10]
    assert spec["band"] == [0.2, 0.4]
    html = render_report(typed(doc))
    figure = html[html.index('id="fig-sprints-payments"') :]
    figure = figure[: figure.index("</figure>")]
    assert (
        "payments — 6 sprints; the last, PAY Sprint 6: planned 20% KTLO, actual 60% "
        "(budget 20%–40%), 10 added mid-sprint"
    ) in figure
    rows = re.findall(
        r'<th scope="row">([^<]+)<br><small>([^<]+)</small></th>\s*<td>([^<]+)<br><small>of 10 '
        r"items</small></td>\s*<td>([^<]+)<br><small>of ([0-9.]+) person-days</small></td>\s*<td>([^<]+)</td>",
        figure,
    )
    assert rows[0] == ("PAY Sprint 1", "2026-01-05 – 2026-01-16", "20%", "35%", "20.0", "10 (5)")
    assert len(rows) == 6
    assert 'id="fig-sprints-search"' in html


def test_sprint_and_team_names_are_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    config = make_org(folder, hostile=True)
    with Store.open(folder / "ktlo.duckdb") as store:
        store.con.execute("UPDATE sprints SET team = '<script>t()</script>' WHERE team = 'search'")
    doc = report((folder / "ktlo.duckdb", config))
    html = render_report(typed(doc))
    assert "<script>alert('s')" not in html and "<script>t()" not in html
    assert "PAY &lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt; Sprint 3<br>" in html  # the table
    assert "&lt;script&gt;t()&lt;/script&gt; — 3 sprints" in html  # the caption
    assert 'id="fig-sprints-_3cscript_3et_28_29_3c_2fscript_3e"' in html  # a safe id
    specs = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S)
    drawn = [json.loads(s) for s in specs]
    assert HOSTILE_SPRINT in next(d["x"] for d in drawn if d.get("kind") == "sprints")
    unknown = next(t for t in doc["sprints"]["teams"] if t["team"] == "<script>t()</script>")
    assert (unknown["low"], unknown["high"]) == (0.2, 0.4)  # not configured: the default band


def test_sprints_of_no_team_show_under_no_team(org: tuple[Path, Config]) -> None:
    with Store.open(org[0]) as store:
        store.con.execute("UPDATE sprints SET team = NULL WHERE team = 'search'")
        add_commit(store, "zed1", "Zed Unknown", "2026-03-02T10:00:00")  # effort of no team
    teams = report(org)["sprints"]["teams"]
    assert [(t["team"], len(t["sprints"])) for t in teams] == [("payments", 6), ("(no team)", 3)]
    assert [s["team"] for s in teams[1]["sprints"]] == [None] * 3  # as `ktlo sprints` has them
    alone = report(org, team="(no team)")["sprints"]["teams"]
    assert [(t["team"], t["sprints"]) for t in alone] == [("(no team)", teams[1]["sprints"])]


def test_json_and_csv_carry_the_sprints(org: tuple[Path, Config]) -> None:
    base = ["report", "--db", str(org[0]), "--config", str(org[0].parent / "ktlo.toml")]
    runner = CliRunner()
    doc = json.loads(runner.invoke(main, [*base, "--json"]).stdout)
    assert doc["sprints"]["teams"][1]["sprints"] == ktlo_sprints(org, "--team", "search")["sprints"]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*base, "--csv"]).stdout)))
    assert len(rows) == len(report_rows(typed(doc)))
    first = {
        r["metric"]: r["value"]
        for r in rows
        if r["section"] == "sprints" and r["team"] == "payments" and r["key"] == "PAY Sprint 1"
    }
    assert first == {
        "planned_items": "10", "planned_basis": "items", "planned_ktlo_share": "0.2",
        "actual_ktlo_share": "0.35", "actual_basis": "effort", "actual_person_days": "20.0",
        "in_progress": "False", "unplanned_items": "10",
        "unplanned_ktlo_items": "5", "done_items": "0",
    }  # fmt: skip
    periods = [r["period"] for r in rows if r["section"] == "sprints" and r["team"] == "search"]
    assert sorted(set(periods)) == ["2026-01-05", "2026-02-02", "2026-03-02"]


@pytest.fixture
def client(org: tuple[Path, Config]) -> Iterator[TestClient]:
    app = create_app(ServerSettings(org[0], org[1], check_every=0.1))
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def test_the_dashboard_and_its_json_twins(client: TestClient, org: tuple[Path, Config]) -> None:
    home = client.get("/index.json").json()
    assert home["sprints"] == report(org)["sprints"]
    assert 'id="fig-sprints-payments"' in client.get("/").text
    team = client.get("/teams/search.json").json()
    assert [t["team"] for t in team["sprints"]["teams"]] == ["search"]
    assert (
        team["sprints"]["teams"][0]["sprints"] == ktlo_sprints(org, "--team", "search")["sprints"]
    )
    page = client.get("/teams/search").text
    assert 'id="fig-sprints-search"' in page and 'id="fig-sprints-payments"' not in page
    dated = client.get("/index.json", params={"since": "2026-03-01"}).json()["sprints"]
    assert [[s["sprint"] for s in t["sprints"]] for t in dated["teams"]] == [
        ["PAY Sprint 5", "PAY Sprint 6"],
        ["Cycle 3"],
    ]
