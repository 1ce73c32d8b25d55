"""Hostile names through the real renderers: the terminal, the HTML report, the dashboard.

A commit author anyone can choose: a right-to-left override that makes "gnp.exe" read
"exe.png", a terminal escape that clears the screen, rich markup, and 5,000 characters.
Every view shows it without the controls and shortened; JSON keeps it as recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ktlo.cli import main
from ktlo.config import Config
from ktlo.render.display import BIDI_CONTROLS, NAME_WIDTH, display_name
from ktlo.server.app import ServerSettings, create_app
from tests.browser import chromium, serve, wait_for_charts
from tests.conftest import ALICE, GitRepo

HOSTILE_NAME = "Mallory \u202egnp.exe\u202c \x1b[2J[/bold] \u2066" + "B" * 5000
SHOWN = display_name(HOSTILE_NAME)
DIRECTORY = "cart\u202eexe.txt"  # a folder whose name reads "carttxt.exe" on screen
HIDDEN = re.compile(f"[{BIDI_CONTROLS}\x1b]")


def test_a_name_as_shown() -> None:
    assert SHOWN == "Mallory gnp.exe [2J[/bold] " + "B" * 32 + "…"
    assert len(SHOWN) == NAME_WIDTH
    assert display_name("Ana\u200f  Lima\n") == "Ana Lima"
    assert display_name("x" * NAME_WIDTH) == "x" * NAME_WIDTH


@pytest.fixture
def hostile(new_repo: Callable[[str], GitRepo], tmp_path: Path) -> tuple[GitRepo, Path]:
    """A repository where Mallory fixes two bugs in DIRECTORY and Alice adds a feature,
    analysed."""
    repo = new_repo("shop")
    mallory = (HOSTILE_NAME, "mallory@example.com")
    bait = f"{DIRECTORY}/a.py"
    repo.commit("fix crash on empty cart", {bait: "1"}, mallory, "2026-01-05T10:00:00+00:00")
    repo.commit("fix rounding bug", {bait: "2"}, mallory, "2026-01-06T10:00:00+00:00")
    repo.commit("feat: add wishlist", {"b.py": "1"}, ALICE, "2026-01-07T10:00:00+00:00")
    db = tmp_path / "shop.duckdb"
    assert CliRunner().invoke(main, ["analyze", str(repo.path), "--db", str(db)]).exit_code == 0
    return repo, db


def ktlo(*args: str, columns: int = 100) -> str:
    result = CliRunner().invoke(main, list(args), env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result.stdout


def test_the_terminal_shows_the_name_cleaned_and_short(hostile: tuple[GitRepo, Path]) -> None:
    repo, db = hostile
    analysis = ktlo("analyze", str(repo.path), "--db", str(db))
    # wide enough for a 60-character name beside the figures (at 100 columns it wraps)
    by_person = ktlo("allocation", "--db", str(db), "--by", "person", columns=120)
    for out in (analysis, by_person):
        assert not HIDDEN.search(out)
        assert "B" * 100 not in out
        assert SHOWN in out  # markup in the name is shown as written, not read as styling
    assert f"Carrying the KTLO: {SHOWN} (100%)" in analysis


def test_json_keeps_the_name_as_recorded(hostile: tuple[GitRepo, Path]) -> None:
    _, db = hostile
    doc = json.loads(ktlo("allocation", "--db", str(db), "--by", "person", "--json"))
    assert HOSTILE_NAME in [group["key"] for group in doc["groups"]]


def test_the_html_report_shows_the_name_cleaned_and_short(
    hostile: tuple[GitRepo, Path], tmp_path: Path
) -> None:
    _, db = hostile
    out = tmp_path / "report.html"
    ktlo("report", "--db", str(db), "--html", str(out))
    html = out.read_text(encoding="utf-8")
    page = html[: html.index("<script>")] + html[html.rindex("</script>") :]  # not the scripts
    assert not HIDDEN.search(page) and "B" * 100 not in html
    assert f'<th scope="row">{SHOWN}</th>' in html  # the people table
    people = json.loads(re.search(r'id="spec-people">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert people["labels"] == [SHOWN]


def test_the_dashboard_shows_the_name_cleaned_and_short(hostile: tuple[GitRepo, Path]) -> None:
    _, db = hostile
    app = create_app(ServerSettings(db, Config()))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        items = client.get("/items.json", params={"subcategory": "bug"}).json()["items"]
        assert {i["author_name"] for i in items} == {HOSTILE_NAME}  # the JSON twin: as recorded
        for url in ("/", "/items?subcategory=bug", f"/items/{items[0]['item_id']}"):
            text = client.get(url).text
            assert not HIDDEN.search(text), url
            assert SHOWN in text, url
            # the whole name stays only where it is a key: the drill-down links' person=...
            shown = re.sub(r'href="[^"]*"|"urls": \[[^\]]*\]', "", text)
            assert "B" * 100 not in shown, url


@pytest.mark.browser
def test_chart_labels_in_chromium_are_cleaned_and_short(
    hostile: tuple[GitRepo, Path], tmp_path: Path
) -> None:
    """The chart script draws every label without the controls (a folder's name in the
    hotspots chart, which no Python helper shortens) and names shortened."""
    _, db = hostile
    (tmp_path / "ktlo.toml").write_text("")
    with serve(db, tmp_path / "ktlo.toml") as base, chromium() as (context, watch):
        page = watch.attach(context.new_page())
        page.goto(base + "/")
        wait_for_charts(page)
        ticks = "#fig-{0} .ytick text, #fig-{0} .xtick text"
        people = page.locator(ticks.format("people")).all_text_contents()
        places = page.locator(ticks.format("hotspots")).all_text_contents()
        assert watch.errors == []
    assert SHOWN in people and any("cartexe.txt" in label for label in places)
    assert not any(HIDDEN.search(label) for label in people + places)
