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
from tests.report_work import (
    CONFIG,
    HOSTILE,
    HOSTILE_ID,
    HOSTILE_SPRINT,
    LONG_FROM,
    add_doubts,
    add_sprints,
    build_org,
    write_config,
)

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
        add_doubts(store)
    with serve(db, folder / "ktlo.toml") as base:
        yield Site(base, db, folder / "ktlo.toml", folder)


RAJ = "Raj <script>alert('raj')</script> Patel"  # a display name from ktlo.toml


@pytest.fixture(scope="module")
def long_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Seven months (enough to forecast), sprints and cycles, and a display name and a sprint
    name with markup in them."""
    folder = tmp_path_factory.mktemp("long")
    (folder / "ktlo.toml").write_text(CONFIG.replace('name = "Raj Patel"', f'name = "{RAJ}"'))
    db = folder / "ktlo.duckdb"
    with Store.open(db) as store:
        build_org(store, LONG_FROM)
        add_sprints(store, hostile=True)
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
    assert wait_for_charts(page) == 9  # 3 balances, 2 sparklines, hotspots, people, by
    # initiative and capitalization (tests/test_browser_figures.py looks at those)
    bars = page.locator("#fig-balance-org .barlayer .point path")
    assert bars.count() == 12  # 3 months × 4 kinds, each drawn as a path with a size
    box = bars.first.bounding_box()
    assert box is not None and box["height"] > 5
    assert page.locator("#fig-balance-org .shapelayer path").count() >= 1  # the budget band
    assert page.locator("#fig-hotspots .barlayer .point path").count() == 3
    assert (
        page.locator("#forecast .empty").all_inner_texts()
        == [
            "2 complete months of history (2026-03 is in progress); a forecast needs 4 — "
            "sync or analyze more history"
        ]
        * 3
    )  # the organisation and both teams: no forecast drawn from two complete months
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


def payments_days(site: Site, by: str) -> dict[str, float]:
    """`ktlo allocation --team payments --by BY --json`, as a person would run it."""
    answer = subprocess.run(
        [sys.executable, "-m", "ktlo", "allocation", "--db", str(site.db), "--config",
         str(site.config), "--team", "payments", "--by", by, "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {g["key"]: g["person_days"] for g in json.loads(answer.stdout)["groups"]}


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
    assert payments_days(site, "subcategory")["bug"] == 52.0  # Ana's 51 days of fixes, and this


def test_answers_in_the_review_queue_leave_it_and_count(site: Site, page: Page) -> None:
    before = payments_days(site, "subcategory")
    page.goto(site.base + "/")
    page.click("nav >> text=Review")
    page.wait_for_url("**/review")
    rows = page.locator("table.review tbody tr")
    assert rows.count() == 2
    assert rows.first.locator("th a").inner_text() == HOSTILE  # markup shown as text
    rows.first.locator("form.confirm button").click()
    page.wait_for_selector("#answered")
    assert page.locator("table.review tbody tr").count() == 1
    raj3 = page.locator("tr[data-item='raj3']")
    raj3.locator("select").select_option("ktlo/dependency")
    raj3.locator("form.correct button").click()
    page.wait_for_function("() => document.querySelector('#answered code').innerText === 'raj3'")
    assert "Nothing to review" in page.locator("main").inner_text()
    after = payments_days(site, "subcategory")
    assert after["dependency"] == before["dependency"] + 1.0
    assert after["feature"] == before["feature"] - 1.0
    page.goto(site.base + f"/items/{HOSTILE_ID}")
    assert "override: review: confirmed" in page.locator("#reasons").inner_text()


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
    assert wait_for_charts(page) == 9  # as on the dashboard
    assert page.locator("#fig-balance-org .barlayer .point path").count() == 12
    # the KTLO share's 90% interval, drawn as error bars on its line, one per month
    assert page.locator("#fig-balance-org .errorbar").count() == 3
    assert HOSTILE[:60] in page.locator("#largest").inner_text()
    assert len(page.pdf(format="A4")) > 20_000  # it prints


def assert_forecast_drawn(page: Page, figure: str) -> None:
    """Six complete months as a solid line, the next three dashed from where it ends (March,
    in progress, the first of them), the 80% band shaded around them, March so far as one
    open point, and the budget band."""
    band, history, ahead, now = (
        page.locator(f"#{figure} .scatterlayer .trace").nth(i) for i in range(4)
    )
    fill = band.locator("path.js-fill").bounding_box()
    # drawn, not a line: corrected shares (docs/classification.md, "Error bars") vary less
    # than the verdicts' own, so the band is a few pixels high here
    assert fill is not None and fill["height"] > 3 and fill["width"] > 50
    assert history.locator(".points path").count() == 6
    assert ahead.locator(".points path").count() == 4  # from the last complete month
    assert now.locator(".points path").count() == 1
    assert history.locator("path.js-line").evaluate("e => e.style.strokeDasharray") == ""
    assert ahead.locator("path.js-line").evaluate("e => e.style.strokeDasharray") != ""
    solid, dashed = (
        history.locator("path.js-line").bounding_box(),
        ahead.locator("path.js-line").bounding_box(),
    )
    assert solid is not None and dashed is not None
    # the dashed line goes on from the end of the solid one (the boxes include the strokes)
    assert abs(solid["x"] + solid["width"] - dashed["x"]) < 6
    assert abs(fill["x"] - dashed["x"]) < 6 and abs(fill["width"] - dashed["width"]) < 6
    assert page.locator(f"#{figure} .shapelayer path").count() >= 1  # the budget band
    assert page.locator(f"#{figure} table tbody tr").count() == 10


def assert_calendar_shows_people(page: Page) -> None:
    calendar = page.locator("#plan-rotation-payments table.calendar tbody tr")
    assert calendar.count() == 8
    first = calendar.first.locator("td").all_inner_texts()
    assert first == [RAJ, "Ana Lima"]  # the markup in the name is text, not a script
    assert (
        "too small to avoid back-to-back shifts"
        in page.locator("#plan-rotation-payments").inner_text()
    )


def assert_sprints_drawn(page: Page, figure: str, sprints: int) -> None:
    """The planned and the actual share, one marker per sprint, the budget band, and the
    items added mid-sprint below them (all of them, and the KTLO ones over them)."""
    planned, actual = (page.locator(f"#{figure} .scatterlayer .trace").nth(i) for i in range(2))
    for line in (planned, actual):
        assert line.locator(".points path").count() == sprints
        box = line.locator("path.js-line").bounding_box()
        assert box is not None and box["width"] > 100
    assert planned.locator("path.js-line").evaluate("e => e.style.strokeDasharray") != ""
    assert actual.locator("path.js-line").evaluate("e => e.style.strokeDasharray") == ""
    added, ktlo = (page.locator(f"#{figure} .barlayer .trace").nth(i) for i in range(2))
    assert added.locator(".point path").count() == sprints
    assert 0 < ktlo.locator(".point path").count() <= sprints
    assert page.locator(f"#{figure} .shapelayer path").count() >= 1  # the budget band
    assert page.locator(f"#{figure} table tbody tr").count() == sprints


def assert_sprint_names_are_text(page: Page) -> None:
    rows = page.locator("#fig-sprints-payments table tbody th").all_inner_texts()
    assert rows[2] == f"{HOSTILE_SPRINT}\n2026-02-02 – 2026-02-13"
    ticks = page.locator("#fig-sprints-payments .xtick text").all_text_contents()
    assert HOSTILE_SPRINT in ticks


def test_the_forecast_and_the_rotation_calendar_in_the_dashboard(
    long_site: Site, page: Page
) -> None:
    page.goto(long_site.base + "/")
    assert wait_for_charts(page) == 14  # and 3 forecasts, the sprints of both teams, and
    # the effort by initiative and capitalization
    assert_forecast_drawn(page, "fig-forecast-org")
    assert_forecast_drawn(page, "fig-forecast-payments")
    assert_calendar_shows_people(page)
    assert page.locator("#plan-rotation-search td.who").all_inner_texts()[::2] == ["Lee Wong"] * 8
    assert_sprints_drawn(page, "fig-sprints-payments", 6)
    assert_sprints_drawn(page, "fig-sprints-search", 3)
    assert_sprint_names_are_text(page)
    page.goto(long_site.base + "/teams/payments")
    wait_for_charts(page)
    assert_sprints_drawn(page, "fig-sprints-payments", 6)
    assert page.locator("#fig-sprints-search").count() == 0
    assert_forecast_drawn(page, "fig-forecast-payments")
    assert page.locator("#fig-forecast-org").count() == 0
    caption = page.locator("#fig-forecast-payments figcaption").inner_text()
    assert "of 130.0 person-days left for new work" in caption
    assert_calendar_shows_people(page)
    assert page.locator("#plan-rotation-search").count() == 0


def test_the_forecast_and_the_rotation_calendar_in_the_report_from_disk(
    long_site: Site, page: Page, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    subprocess.run(
        [sys.executable, "-m", "ktlo", "report", "--db", str(long_site.db), "--config",
         str(long_site.config), "--html", str(report)],
        check=True, capture_output=True,
    )  # fmt: skip
    page.goto(report.as_uri())
    assert wait_for_charts(page) == 14  # as on the dashboard
    for figure in ("fig-forecast-org", "fig-forecast-payments", "fig-forecast-search"):
        assert_forecast_drawn(page, figure)
    assert_calendar_shows_people(page)
    assert_sprints_drawn(page, "fig-sprints-payments", 6)
    assert_sprints_drawn(page, "fig-sprints-search", 3)
    assert_sprint_names_are_text(page)
