"""The main questions answered first, hotspots per repository, terminal output that fits
(issue #17, items 7, 8 and 11). Each test fails on the code before the change.

The organisation is tests/report_work.py's (payments: ana and raj in shop; search: lee in
search, January to March 2026), with search's builds flaky in February, its last complete
month (the data ends on Friday 2026-03-27, so March is in progress).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from rich.cells import cell_len

from ktlo.cli import main
from ktlo.config import load_config
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests import health_work
from tests.conftest import ALICE, BOB, GitRepo
from tests.report_work import CONFIG, LONG_FROM, SEARCH, SHOP, build_org

SHA = re.compile(r"\b[0-9a-f]{40}\b")


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The store and ktlo.toml, search owning its repository (so its builds are its own)."""
    folder = tmp_path_factory.mktemp("org")
    config = folder / "ktlo.toml"
    config.write_text(
        CONFIG.replace(
            'name = "search"\n', f'name = "search"\nrepositories = ["{SEARCH}"]\n'
        ).replace('name = "payments"\n', f'name = "payments"\nrepositories = ["{SHOP}"]\n')
    )
    with Store.open(folder / "ktlo.duckdb") as store:
        build_org(store, LONG_FROM)
        with store.transaction():
            for k in range(1, 9):  # February: each commit's run failed, then passed re-run
                day = f"2026-02-{k + 1:02d}"
                health_work.build(store, f"s{k}a", "ci", "failure", f"{day} 10:00", f"{day} 10:10",
                                  sha=f"s{k}", repo=SEARCH)  # fmt: skip
                health_work.build(store, f"s{k}b", "ci", "success", f"{day} 11:00", f"{day} 11:10",
                                  sha=f"s{k}", attempt=2, repo=SEARCH)  # fmt: skip
            health_work.build(store, "shop1", "ci", "success", "2026-02-03 10:00",
                              "2026-02-03 10:10", sha="p1", repo=SHOP)  # fmt: skip
    return folder / "ktlo.duckdb", config


def ktlo(org: tuple[Path, Path], *args: str, columns: int | None = None) -> str:
    """A command's stdout as piped to a file (COLUMNS unset unless given)."""
    env = {"COLUMNS": str(columns) if columns else ""}
    result = CliRunner().invoke(
        main, [*args, "--db", str(org[0]), "--config", str(org[1])], env=env
    )
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result.stdout


def html_report(org: tuple[Path, Path]) -> str:
    """`ktlo report --html`, read back."""
    target = org[0].parent / "report.html"
    ktlo(org, "report", "--html", str(target))
    return target.read_text(encoding="utf-8")


def row(text: str, first: str) -> str:
    """The line of a table that starts with `first`."""
    return next(line for line in text.splitlines() if line.split()[:1] == [first])


# --- Answer the main questions first ------------------------------------------------------


def test_allocation_by_team_shows_each_teams_own_ktlo_share(org: tuple[Path, Path]) -> None:
    doc = json.loads(ktlo(org, "allocation", "--by", "team", "--json"))
    text = ktlo(org, "allocation", "--by", "team")
    for group in doc["groups"]:
        own = f"{group['ktlo_share'] * 100:.0f}% ({group['ktlo_share_low'] * 100:.0f}–"
        assert own in row(text, group["key"]), (group["key"], own)
    assert "each one's KTLO share of its own effort" in text


def test_allocation_by_person_keeps_the_ktlo_column(org: tuple[Path, Path]) -> None:
    doc = json.loads(ktlo(org, "allocation", "--by", "person", "--json"))
    text = ktlo(org, "allocation", "--by", "person")
    assert "KTLO share" in text
    for group in doc["groups"]:
        assert f"{group['ktlo_share'] * 100:.0f}% (" in row(text, group["key"])


def test_each_team_card_carries_its_ktlo_mode_and_its_top_health_risk(
    org: tuple[Path, Path],
) -> None:
    doc = json.loads(ktlo(org, "report", "--json"))
    cards = {card["team"]: card for card in doc["teams"]}
    modes = {team["team"]: team for team in doc["ktlo_mode"]["teams"]}
    search = cards["search"]
    assert search["ktlo_mode"]["state"] == modes["search"]["state"]
    assert search["ktlo_mode"]["risk"] == modes["search"]["risk"]
    assert search["ktlo_mode"]["period"] == "2026-02"
    top = search["health_risks"][0]
    assert (top["signal"], top["text"], top["panel"]) == (
        "flaky_build_rate",
        "100% of builds flaky",
        "builds",
    )
    assert cards["payments"]["health_risks"] == []  # its one build passed
    assert cards["payments"]["health_note"] == "no health signal above its threshold in 2026-02"


def test_the_html_card_leads_with_mode_and_risk_and_mode_comes_before_the_details(
    org: tuple[Path, Path],
) -> None:
    html = html_report(org)
    card = re.search(r'<article class="card[^"]*" aria-labelledby="card-trend-search">(.*?)</article>',
                     html, re.S)  # fmt: skip
    assert card, "the search card"
    body = card.group(1)
    assert "Top health risk" in body and "100% of builds flaky" in body
    assert re.search(r'class="mode mode-\w+"[^>]*>(ENTER|STAY|EXIT|NORMAL)', body)
    assert body.index("100% of builds flaky") < body.index("Last 91 days")  # first, not last
    sections = [m.group(1) for m in re.finditer(r'<section id="([\w-]+)"', html)]
    assert sections.index("ktlo-mode") == sections.index("teams") + 1
    assert sections.index("ktlo-mode") < sections.index("health")


def test_the_dashboard_team_page_shows_the_risk_on_the_card_and_links_its_panel(
    org: tuple[Path, Path],
) -> None:
    app = create_app(ServerSettings(org[0], load_config(org[1]), check_every=0.1))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        twin = client.get("/teams/search.json").json()
        page = client.get("/teams/search").text
    assert twin["teams"][0]["health_risks"][0]["text"] == "100% of builds flaky"
    assert '<a href="/teams/search#health-builds">100% of builds flaky</a>' in page
    assert page.index("100% of builds flaky") < page.index('id="h-balance"')


def test_the_terminal_summary_shows_mode_and_risks(org: tuple[Path, Path]) -> None:
    text = ktlo(org, "report")
    assert "KTLO mode" in row(text, "team")
    assert re.search(r"^search .*\b(ENTER|STAY|EXIT|NORMAL) \d\.\d\d\s*$", text, re.M)
    assert "Top health risks in 2026-02" in text
    assert "100% of builds flaky" in row(text.split("Top health risks")[1], "search")


def test_mode_reasons_read_as_sentences_with_units(org: tuple[Path, Path]) -> None:
    text = ktlo(org, "mode")
    assert "100% of builds flaky (risk from 2%, full at 15%)" in text
    assert "flaky_build_rate" not in text and "threshold" not in text
    assert not re.search(r"history: [NESX]( [NESX])+", text)  # the letters of old
    doc = json.loads(ktlo(org, "mode", "--json"))
    search = next(t for t in doc["teams"] if t["team"] == "search")
    assert search["history_text"] in text
    assert re.fullmatch(r"((normal|entered|stayed|left) 20\d\d-\d\d( to 20\d\d-\d\d)?(, )?)+",
                        search["history_text"])  # fmt: skip


def test_the_budget_says_last_91_days_not_quarter(org: tuple[Path, Path]) -> None:
    text = ktlo(org, "budget")
    assert "last 91 days" in text and "quarter" not in text
    html = html_report(org)
    cards = re.search(r'<section id="teams".*?</section>', html, re.S)
    assert cards and "Last 91 days" in cards.group(0) and "quarter" not in cards.group(0)
    # FTE and people are of the whole span, said with it, not after the last 91 days' share
    text = re.sub(r"<[^>]+>|\s+", " ", cards.group(0))
    assert not re.search(r"Last 91 days [^·]*·\s+[\d.]+ FTE", text)
    span = r"20\d\d-\d\d( partial)? – 20\d\d-\d\d( so far)?:\s+[\d.]+ FTE\s+·\s+\d+ people"
    assert re.search(span, text)


# --- Hotspots per repository ------------------------------------------------------------


@pytest.fixture
def two_repos(new_repo: Callable[[str], GitRepo], tmp_path: Path) -> Path:
    """Two repositories whose root files (and a src/ folder) get bug fixes; analysed into one store."""
    db = tmp_path / "two.duckdb"
    for name, fixes in (("shop", 3), ("search", 2)):
        repo = new_repo(name)
        for k in range(fixes):
            repo.commit(f"fix crash in setup {k}", {"setup.cfg": f"{k}"}, ALICE,
                        f"2026-01-0{k + 5}T10:00:00+00:00")  # fmt: skip
        repo.commit("fix cart total", {"src/cart.py": "1"}, BOB, "2026-01-09T10:00:00+00:00")
        result = CliRunner().invoke(main, ["analyze", str(repo.path), "--db", str(db)])
        assert result.exit_code == 0, result.stderr
    return db


def test_hotspots_are_per_repository_with_the_root_shown_as_root_files(two_repos: Path) -> None:
    from ktlo.cli.output import make_console
    from ktlo.metrics.repository import AnalyzeOptions, analyze
    from ktlo.render.terminal import render_analysis

    with Store.open(two_repos, read_only=True) as store:
        doc = analyze(store, AnalyzeOptions())
    roots = {(h.repo_id.rsplit("/", 1)[-1], h.ktlo_commits)
             for h in doc.hotspots.directories if h.directory == "."}  # fmt: skip
    assert roots == {("shop", 3), ("search", 2)}  # not one "." of 5 commits
    out = io.StringIO()
    render_analysis(doc, make_console(100, out))
    text = out.getvalue()
    assert re.search(r"^shop: \(root files\) +3 ", text, re.M)
    assert re.search(r"^search: \(root files\) +2 ", text, re.M)
    assert "./" not in text


def test_budget_drivers_name_repositories_and_root_files(org: tuple[Path, Path]) -> None:
    doc = json.loads(ktlo(org, "budget", "--json"))
    payments = next(t for t in doc["teams"] if t["team"] == "payments")
    assert {h["repo_id"] for h in payments["drivers"]["hotspots"]} == {SHOP}
    text = ktlo(org, "budget")
    assert "in shop: src/payments, (root files)" in text  # raj's package-lock.json at the root
    assert not re.search(r", \.(\s|$)", text)


# --- Terminal output fits 100 columns -----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("budget",),
        ("health",),
        ("forecast", "--team", "payments"),
        ("allocation", "--by", "team"),
        ("allocation", "--by", "person"),
        ("mode",),
        ("report",),
        ("sprints",),
    ],  # fmt: skip
)
def test_piped_output_fits_100_columns(org: tuple[Path, Path], command: tuple[str, ...]) -> None:
    text = ktlo(org, *command)
    wide = [line for line in text.splitlines() if cell_len(line) > 100]
    assert text.strip() and not wide, wide


def test_a_wider_terminal_is_used_and_never_overrun(org: tuple[Path, Path]) -> None:
    wide = ktlo(org, "mode", columns=160)
    assert max(map(cell_len, wide.splitlines())) <= 160
    narrow = ktlo(org, "mode", columns=60)
    assert max(map(cell_len, narrow.splitlines())) <= 60
    assert len(narrow.splitlines()) > len(wide.splitlines())


def test_counts_agree_with_their_nouns(new_repo: Callable[[str], GitRepo], tmp_path: Path) -> None:
    repo = new_repo("solo")
    repo.commit("fix crash", {"a.py": "1"}, ALICE, "2026-01-05T10:00:00+00:00")
    db = tmp_path / "solo.duckdb"
    analysis = CliRunner().invoke(main, ["analyze", str(repo.path), "--db", str(db)]).stdout
    allocation = CliRunner().invoke(main, ["allocation", "--db", str(db)]).stdout
    assert "by 1 person," in analysis and "1 people" not in analysis
    assert "(s)" not in analysis and "merges not counted twice" not in analysis
    assert "last 3 months" in analysis
    assert "by 1 person on 1 item" in allocation


def test_durations_read_the_same_in_the_terminal_and_the_html(tmp_path: Path) -> None:
    """One unit rule: a median time to resolve of 206.5 minutes is 3.4 h in both."""
    config = tmp_path / "ktlo.toml"
    config.write_text(CONFIG)
    org = (tmp_path / "ktlo.duckdb", config)
    with Store.open(org[0]) as store:
        build_org(store, date(2026, 1, 5))
        with store.transaction():
            for k, resolved in enumerate(("12:10:00", "12:26:30", "12:43:00")):
                day = f"2026-03-{10 + k:02d}"
                health_work.incident(store, f"i{k}", f"{day} 09:00", f"{day} {resolved}",
                                     service="checkout")  # fmt: skip
    health = json.loads(ktlo(org, "health", "--json"))
    assert health["incidents"]["mttr"]["value"] == 206.5
    assert re.search(r"time to resolve \(median\) +3\.4 h", ktlo(org, "health"))
    html = html_report(org)
    tile = re.search(r'Time to restore \(median\)</div>\s*<div class="value">([^<]*)<', html)
    assert tile and tile.group(1).strip() == "3.4 h"
    health_html = re.search(r'<section id="health".*?</section>', html, re.S)
    assert health_html and "206.5" not in health_html.group(0)  # nor in the MTTR table or chart


def test_shas_inside_sentences_are_short() -> None:
    """A failed deployment's reasons name commits by 12 characters, in the terminal and the HTML."""
    from rich.console import Console

    from ktlo.metrics.health_document import HealthDocument
    from ktlo.render.health import render_health

    frozen = Path(__file__).parent / "snapshots" / "inputs" / "health.json"
    health = json.loads(frozen.read_text(encoding="utf-8"))
    assert any(SHA.search(r) for f in health["dora"]["failures"] for r in f["reasons"])
    out = io.StringIO()
    render_health(HealthDocument.model_validate(health), Console(width=100, file=out, markup=False))
    assert not SHA.search(out.getvalue())
    assert re.search(r"hotfix [0-9a-f]{12}\b", out.getvalue())
