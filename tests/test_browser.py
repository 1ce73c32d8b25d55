"""As a person would: real headless Chromium against `ktlo serve` on 127.0.0.1 and against
the HTML report opened from disk. Slow-ish (a browser and a server start once per module)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from ktlo.store import Store
from tests.browser import Watch, chromium, serve, wait_for_charts
from tests.report_work import HOSTILE, HOSTILE_ID, build_org, write_config

pytestmark = pytest.mark.browser


@dataclass
class Site:
    base: str
    db: Path
    config: Path
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    write_config(folder)
    db = folder / "ktlo.duckdb"
    with Store.open(db) as store:
        build_org(store)
    with serve(db, folder / "ktlo.toml") as base:
        yield Site(base, db, folder / "ktlo.toml", folder)


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[BrowserContext, Watch]]:
    with chromium() as opened:
        yield opened


@pytest.fixture
def page(browser: tuple[BrowserContext, Watch]) -> Iterator[Page]:
    context, watch = browser
    watch.errors.clear()
    watch.outside.clear()
    opened = watch.attach(context.new_page())
    yield opened
    opened.close()
    assert watch.errors == [], "console errors"
    assert watch.outside == [], "requests left the machine"
    assert watch.dialogs == [], "a dialog opened (script ran)"


def test_pages_load_and_draw_their_charts(site: Site, page: Page) -> None:
    page.goto(site.base + "/")
    assert wait_for_charts(page) == 7  # 3 balances, 2 sparklines, hotspots, people
    bars = page.locator("#fig-balance-org .barlayer .point path")
    assert bars.count() == 12  # 3 months × 4 kinds, each drawn as a path with a size
    box = bars.first.bounding_box()
    assert box is not None and box["height"] > 5
    assert page.locator("#fig-balance-org .shapelayer path").count() >= 1  # the budget band
    assert page.locator("#fig-hotspots .barlayer .point path").count() == 3
    for url in ("/teams/payments", "/items?team=payments&subcategory=bug", f"/items/{HOSTILE_ID}"):
        page.goto(site.base + url)
        wait_for_charts(page)
        assert page.locator("main").inner_text()


def test_a_filter_changes_the_numbers(site: Site, page: Page) -> None:
    page.goto(site.base + "/")
    wait_for_charts(page)
    caption = page.locator("#fig-balance-org figcaption")
    assert "180.0 person-days" in caption.inner_text()
    page.fill("input[name=since]", "2026-02-01")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**since=2026-02-01**")
    assert "120.0 person-days" in page.locator("#fig-balance-org figcaption").inner_text()
    wait_for_charts(page)
    assert page.locator("#fig-balance-org .barlayer .point path").count() == 8  # 2 months now


def test_a_drill_down_click_lands_on_the_right_items(site: Site, page: Page) -> None:
    page.goto(site.base + "/teams/payments")
    wait_for_charts(page)
    page.click("#fig-balance-payments table a[href*='subcategory=bug'][href*='since=2026-02-01']")
    page.wait_for_url("**/items?**subcategory=bug**")
    assert page.locator("#items-total").inner_text() == "20"
    verdicts = page.locator("table.items td.verdict").all_inner_texts()
    assert len(verdicts) == 20 and all(v.startswith("ktlo/bug") for v in verdicts)
    page.click("table.items tbody tr:first-child th a")
    page.wait_for_url("**/items/ana*")
    assert page.locator("#verdict").inner_text() == "ktlo/bug"


def test_a_click_on_a_bar_drills_down_too(site: Site, page: Page) -> None:
    page.goto(site.base + "/teams/search")
    wait_for_charts(page)
    bar = page.locator("#fig-balance-search .barlayer .trace").first.locator(".point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/items?**team=search**")
    assert "reliability" in page.url and "since=2026-01-01" in page.url
    assert page.locator("#items-total").inner_text() == "8"


def test_an_override_made_in_the_page_shows_up_in_ktlo_allocation(site: Site, page: Page) -> None:
    page.goto(site.base + "/items/raj2")
    assert page.locator("#verdict").inner_text() == "new_work/feature"
    page.select_option("#label", "ktlo/bug")  # a kind the team has: the charts keep their shape
    page.fill("#note", "a fix after all")
    page.click("#correct-form button")
    page.wait_for_function(
        "() => document.querySelector('#verdict').innerText.startsWith('ktlo/bug')"
    )
    assert "override: a fix after all" in page.locator("#reasons").inner_text()
    answer = subprocess.run(
        [sys.executable, "-m", "ktlo", "allocation", "--db", str(site.db), "--config",
         str(site.config), "--team", "payments", "--by", "subcategory", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    groups = {g["key"]: g["person_days"] for g in json.loads(answer.stdout)["groups"]}
    assert groups["bug"] == 52.0  # Ana's 51 days of bug fixes, and this one


def test_hostile_text_renders_as_text(site: Site, page: Page) -> None:
    page.goto(site.base + f"/items/{HOSTILE_ID}")
    assert page.locator("h1").inner_text() == HOSTILE
    page.goto(site.base + "/items?team=payments&subcategory=bug")
    assert HOSTILE[:60] in page.locator("table.items").inner_text()


def test_the_report_opened_from_disk(site: Site, page: Page, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    subprocess.run(
        [sys.executable, "-m", "ktlo", "report", "--db", str(site.db), "--config",
         str(site.config), "--html", str(report)],
        check=True, capture_output=True,
    )  # fmt: skip
    page.goto(report.as_uri())
    assert wait_for_charts(page) == 7
    assert page.locator("#fig-balance-org .barlayer .point path").count() == 12
    assert HOSTILE[:60] in page.locator("#largest").inner_text()
    assert len(page.pdf(format="A4")) > 20_000  # it prints
