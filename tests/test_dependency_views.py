"""The dependency-risk panel (issue 20, item 5) in the report document, the HTML report and
the dashboard: the dashboard as a person sees it, in real headless Chromium, and its JSON
twin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ktlo.render.html import render_report
from ktlo.report.document import build_report, report_rows
from ktlo.report.model import ReportFilters
from ktlo.store import Store
from tests.test_dependency_signals import organisation

SHOP = "github.com/acme/shop"


def test_the_report_has_a_dependency_panel_for_the_team_and_its_repositories(
    tmp_path: Path,
) -> None:
    db, config = organisation(tmp_path)
    with Store.open(db) as store:
        report = build_report(store, config, ReportFilters())
        searching = build_report(store, config, ReportFilters(team="search"))
    doc, search = report.to_json(), searching.to_json()
    panel = doc["dependencies"]
    # as of the newest day of effort (2026-03-27): lodash 4.17.20 is 0.52 libyears behind
    # 4.17.21, one release; GHSA-35jh-r3h4-6jhm (high, published 2021-05-06 16:05:51) is
    # open 1,786.33 days at the end of that day, GHSA-29mw-wpgm-hmr9 (medium) too
    assert panel["as_of"] == "2026-03-27" and panel["missing"] is None
    (shop,) = panel["repositories"]
    assert (shop["repo_id"], shop["teams"], shop["libyears"], shop["versions_behind"]) == (
        SHOP, ["payments"], 0.52, 1)  # fmt: skip
    assert (shop["critical"], shop["high"], shop["other"], shop["oldest_days"]) == (0, 1, 1, 1786.3)
    assert [v["advisory_id"] for v in panel["open"]] == [
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-29mw-wpgm-hmr9",
    ]
    assert panel["time_to_patch"]["patches"] == 0
    # search owns no repository with a lockfile: said so, not a table of zeros
    assert search["dependencies"]["missing"].startswith("no dependency data")
    rows = [r for r in report_rows(report) if r["section"] == "dependencies"]
    assert {(r["key"], r["metric"]): r["value"] for r in rows if r["key"] == SHOP} == {
        (SHOP, "packages"): 1, (SHOP, "libyears"): 0.52, (SHOP, "versions_behind"): 1,
        (SHOP, "critical"): 0, (SHOP, "high"): 1, (SHOP, "other"): 1, (SHOP, "oldest_days"): 1786.3,
    }  # fmt: skip
    assert ("time_to_patch", "patches", 0) in {(r["key"], r["metric"], r["value"]) for r in rows}
    html = render_report(report)
    assert 'id="dependencies"' in html and "GHSA-35jh-r3h4-6jhm" in html
    assert "no dependency data" in render_report(searching)


def test_without_an_inventory_the_panel_says_so(tmp_path: Path) -> None:
    db, config = organisation(tmp_path, lockfile=False)
    with Store.open(db) as store:
        doc = build_report(store, config, ReportFilters()).to_json()
    assert doc["dependencies"]["repositories"] == []
    assert doc["dependencies"]["missing"] == (
        "no dependency data: no manifest or lockfile inventoried in these repositories — run "
        "`ktlo deps`"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.browser import serve

    folder = tmp_path_factory.mktemp("deps-site")
    organisation(folder)
    with serve(folder / "ktlo.duckdb", folder / "ktlo.toml") as base:
        yield base


@pytest.mark.browser
def test_the_dashboard_shows_the_panel_and_its_json_twin_the_same_numbers(site: str) -> None:
    import httpx2

    from tests.browser import chromium, wait_for_charts

    with chromium() as (context, watch):
        page = watch.attach(context.new_page())
        page.goto(site + "/")
        wait_for_charts(page)
        panel = page.locator("#dependencies")
        assert panel.locator("h2").inner_text() == "Dependency risk: the KTLO that is coming"
        row = panel.locator("table.deps-repos tbody tr").first.inner_text().split("\t")
        assert row[:5] == ["shop", "payments", "1", "0.5", "1"] and row[6] == "1"
        opened = panel.locator("table.deps-open tbody th").all_inner_texts()
        assert [t.split("\n")[0] for t in opened] == ["GHSA-35jh-r3h4-6jhm", "GHSA-29mw-wpgm-hmr9"]
        page.goto(site + "/teams/search")
        wait_for_charts(page)
        assert page.locator("#dependencies .empty").inner_text().startswith("no dependency data")
        assert watch.errors == [] and watch.outside == []
    twin = httpx2.get(site + "/index.json").json()["dependencies"]
    assert twin["repositories"][0]["libyears"] == 0.52 and twin["open_count"] == 2
