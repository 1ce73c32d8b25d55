"""The planning figures drawn in real headless Chromium: on the dashboard's home and team
pages and in the report opened from disk (the store of tests/test_report_figures.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from ktlo.store import Store
from tests.browser import Watch, chromium, serve, wait_for_charts
from tests.report_work import build_org
from tests.test_report_figures import FIGURES, add_figures

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("figures")
    (folder / "ktlo.toml").write_text(FIGURES)
    with Store.open(folder / "ktlo.duckdb") as store:
        build_org(store)
        add_figures(store)
    with serve(folder / "ktlo.duckdb", folder / "ktlo.toml") as base:
        yield base, folder


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[BrowserContext, Watch]]:
    with chromium() as opened:
        yield opened


@pytest.fixture
def page(browser: tuple[BrowserContext, Watch]) -> Iterator[Page]:
    context, watch = browser
    watch.errors.clear()
    opened = watch.attach(context.new_page())
    yield opened
    opened.close()
    assert watch.errors == [], "console errors"
    assert watch.outside == [], "requests left the machine"


def assert_figures_drawn(page: Page) -> None:
    """Flow, buckets, initiatives and capitalization each drawn, with their numbers."""
    wait_for_charts(page)
    # the bucket chart: a bar per bucket (new_work, bug, (rest)) and the targets over them
    assert page.locator("#fig-buckets-payments .barlayer .point path").count() == 3
    assert page.locator("#fig-buckets-payments .scatterlayer .point").count() >= 3
    rows = page.locator("#fig-buckets-payments table.buckets tbody tr").all_inner_texts()
    assert [r.split("\t")[:3] for r in rows] == [
        ["new_work", "40%", "40%"], ["bug", "40%", "50%"], ["(rest)", "20%", "10%"]
    ]  # fmt: skip
    assert page.locator("#fig-flow-payments .scatterlayer .trace").count() == 3
    assert "over the limit" in page.locator("#flow").inner_text()
    assert page.locator("#fig-by-initiative .barlayer .point path").count() == 2
    assert page.locator("#fig-capitalization .barlayer .trace").count() == 2  # both classes


def test_the_dashboard_draws_the_planning_figures(site: tuple[str, Path], page: Page) -> None:
    page.goto(site[0] + "/")
    assert_figures_drawn(page)
    page.goto(site[0] + "/teams/payments")
    assert_figures_drawn(page)
    assert page.locator("#fig-flow-org").count() == 0  # a team's page: its own flow only


def test_the_report_from_disk_draws_them_too(
    site: tuple[str, Path], page: Page, tmp_path: Path
) -> None:
    folder = site[1]
    report = tmp_path / "report.html"
    subprocess.run(
        [sys.executable, "-m", "ktlo", "report", "--db", str(folder / "ktlo.duckdb"),
         "--config", str(folder / "ktlo.toml"), "--html", str(report)],
        check=True, capture_output=True,
    )  # fmt: skip
    page.goto(report.as_uri())
    assert_figures_drawn(page)
