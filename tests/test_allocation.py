"""Allocation, budget, overrides, rules and inheritance on small hand-checked stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config, load_config
from ktlo.effort.allocation import AllocationOptions, allocation, budget_report
from ktlo.ingest.history import WORK_ITEM_COLUMNS
from ktlo.store import Store
from ktlo.verdicts.reclassify import reclassify
from tests import estimates
from tests.work import add_commit

TEAMS = """
[[teams]]
name = "payments"
members = ["ana", "raj"]
budget = { low = 20, high = 40 }
cost_per_fte_month = 21700

[[teams]]
name = "search"
members = ["lee", "raj"]

[people.ana]
name = "Ana Lima"
[people.raj]
name = "Raj Patel"
teams = { payments = 0.5, search = 0.5 }
[people.lee]
name = "Lee Wong"
"""


def config(tmp_path: Path, text: str = TEAMS) -> Config:
    path = tmp_path / "ktlo.toml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture
def org(store: Store) -> Store:
    """March 2026: Ana 2 bug days + 1 feature day; Raj 2 feature days; Lee 1 dependency day."""
    add_commit(store, "a1", "Ana Lima", "2026-03-02T10:00:00", ("ktlo", "bug"))
    add_commit(store, "a2", "Ana Lima", "2026-03-03T10:00:00", ("ktlo", "bug"))
    add_commit(store, "a3", "Ana Lima", "2026-03-04T10:00:00", ("new_work", "feature"))
    add_commit(store, "r1", "Raj Patel", "2026-03-02T10:00:00", ("new_work", "feature"))
    add_commit(store, "r2", "Raj Patel", "2026-03-03T10:00:00", ("new_work", "feature"))
    add_commit(store, "l1", "Lee Wong", "2026-03-05T10:00:00", ("ktlo", "dependency"))
    return store


def test_allocation_by_investment(org: Store, tmp_path: Path) -> None:
    doc = allocation(org, config(tmp_path), AllocationOptions()).to_json()
    assert doc["totals"]["person_days"] == 6.0
    assert doc["totals"]["ktlo_person_days"] == 3.0
    assert {g["key"]: g["person_days"] for g in doc["groups"]} == {"new_work": 3.0, "ktlo": 3.0}
    march = doc["periods"][0]
    # the data ends on Thursday 5 March: March is in progress, its FTE over the 4 days so far
    assert (march["period"], march["in_progress"], march["workdays"], march["fte"]) == (
        "2026-03",
        True,
        4,
        1.5,
    )


def test_a_member_of_two_teams_is_split_by_shares(org: Store, tmp_path: Path) -> None:
    payments = allocation(
        org, config(tmp_path), AllocationOptions(team="payments", by="person")
    ).to_json()
    assert {g["key"]: g["person_days"] for g in payments["groups"]} == {"ana": 3.0, "raj": 1.0}
    assert payments["totals"]["ktlo_person_days"] == 2.0  # 2 bug days of 4
    # corrected with the store's read mix (tests/estimates.py)
    assert payments["totals"]["ktlo_share"] == estimates.corrected(0.5, estimates.read_ktlo(org))
    # three items: the interval reaches down into the band (20–40%)
    assert payments["totals"]["ktlo_share_low"] < 0.4 < payments["totals"]["ktlo_share_high"]
    # March, the only month, is in progress (the data ends on the 5th): no complete period
    # to hold against the band yet
    assert (payments["budget"]["period"], payments["budget"]["status"]) == (None, "unknown")
    assert payments["cost"]["by_team"] == {"payments": 2000.0}  # 2 KTLO days / 21.7 × 21,700
    search = allocation(
        org, config(tmp_path), AllocationOptions(team="search", by="subcategory")
    ).to_json()
    assert {g["key"]: g["person_days"] for g in search["groups"]} == {
        "feature": 1.0,
        "dependency": 1.0,
    }
    renamed = config(tmp_path, TEAMS + '\n[categories]\nrename = { dependency = "upgrades" }\n')
    search = allocation(org, renamed, AllocationOptions(team="search", by="subcategory")).to_json()
    assert {g["key"] for g in search["groups"]} == {"feature", "upgrades"}


def test_people_in_no_team_go_to_the_owner_of_the_repository(store: Store, tmp_path: Path) -> None:
    add_commit(store, "x", "Stranger", "2026-03-02T10:00:00", repo_id="github.com/acme/search-api")
    cfg = config(tmp_path, '[[teams]]\nname = "search"\nrepositories = ["acme/search-api"]\n')
    doc = allocation(store, cfg, AllocationOptions(by="team")).to_json()
    assert [(g["key"], g["person_days"]) for g in doc["groups"]] == [("search", 1.0)]


def test_budget_report(org: Store, tmp_path: Path) -> None:
    add_commit(org, "a4", "Ana Lima", "2026-04-01T10:00:00", ("ktlo", "bug"))  # April is running
    doc = budget_report(org, config(tmp_path), "month").to_json()
    payments = next(t for t in doc["teams"] if t["team"] == "payments")
    # March: 2 bug days of 4, corrected with the store's read mix (tests/estimates.py)
    assert (
        payments["last_period"],
        payments["last_period_share"],
        payments["last_period_status"],
    ) == ("2026-03", estimates.corrected(0.5, estimates.read_ktlo(org)), "likely over")
    assert payments["drivers"]["subcategories"][0]["subcategory"] == "bug"
    # once every item is answered (as its verdict), the share is known: over, not likely over
    org.con.execute(
        "INSERT INTO overrides SELECT item_id, investment, subcategory, 'checked', 'test', "
        "TIMESTAMP '2026-04-02' FROM verdicts"
    )
    payments = next(
        t
        for t in budget_report(org, config(tmp_path), "month").to_json()["teams"]
        if t["team"] == "payments"
    )
    assert (
        payments["last_period_share"],
        payments["last_period_share_low"],
        payments["last_period_share_high"],
        payments["last_period_status"],
    ) == (0.5, 0.5, 0.5, "over")


def test_unknown_team_and_grouping(org: Store, tmp_path: Path) -> None:
    from ktlo.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown team 'nope'.*payments, search"):
        allocation(org, config(tmp_path), AllocationOptions(team="nope"))


def test_override_survives_reingest_and_reclassify(org: Store, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(org.path)
    org.close()
    result = runner.invoke(
        main, ["override", "a3", "--as", "ktlo/security", "--note", "CVE fix", "--db", db]
    )
    assert result.exit_code == 0, result.output
    with Store.open(db) as store:
        add_commit(
            store, "a3", "Ana Lima", "2026-03-04T10:00:00", ("new_work", "feature")
        )  # re-synced
        reclassify(store, Config())
        row = store.query(
            "SELECT investment, subcategory, reasons FROM effective_verdicts WHERE item_id = 'a3'"
        )[0]
    assert (row["investment"], row["subcategory"]) == ("ktlo", "security")
    assert row["reasons"] == ["override: CVE fix"]
    listed = json.loads(runner.invoke(main, ["override", "--list", "--json", "--db", db]).stdout)
    assert [(r["item_id"], r["subcategory"]) for r in listed] == [("a3", "security")]
    bad = runner.invoke(main, ["override", "a3", "--as", "ktlo/nonsense", "--db", db])
    assert bad.exit_code == 1 and "unknown category 'ktlo/nonsense'" in bad.output


def test_rules_win_in_order_and_say_so(store: Store, tmp_path: Path) -> None:
    add_commit(store, "c1", "Ana Lima", "2026-03-02T10:00:00", title="feat: SOX evidence export")
    add_commit(
        store, "c2", "Ana Lima", "2026-03-02T10:00:00", title="fix: PCI scan finding in checkout"
    )
    cfg = config(
        tmp_path,
        '[categories]\nadd = [{ name = "compliance", investment = "ktlo" }]\n'
        '[[rules]]\nmatch = { title = "SOX|PCI" }\nas = "compliance"\n'
        '[[rules]]\nmatch = { title = "checkout" }\nas = "ktlo/incident"\n',
    )
    summary = reclassify(store, cfg)
    rows = {
        r["item_id"]: r
        for r in store.query("SELECT item_id, investment, subcategory, reasons FROM verdicts")
    }
    assert (rows["c1"]["investment"], rows["c1"]["subcategory"]) == ("ktlo", "compliance")
    assert (rows["c2"]["subcategory"]) == "compliance"  # first match wins over the later rule
    assert rows["c1"]["reasons"][0].startswith("rule: #1 title='SOX|PCI'")
    assert summary.by_rule == 2


def test_commits_inherit_the_issue_they_fix_unless_their_own_signal_is_strong(store: Store) -> None:
    store.insert(
        "work_items", WORK_ITEM_COLUMNS,
        [("jira:issue:PAY-12", "jira", "issue", None, "PAY-12", "Refunds are emailed twice", "", None, None,
          False, None, ["bug"], "Bug", [])],
    )  # fmt: skip
    add_commit(store, "weak", "Ana Lima", "2026-03-02T10:00:00", title="PAY-12 tweak the mailer")
    add_commit(store, "strong", "Ana Lima", "2026-03-02T10:00:00", title="feat: PAY-12 new mailer")
    store.con.execute("UPDATE work_items SET refs = ['PAY-12'] WHERE item_id IN ('weak', 'strong')")
    summary = reclassify(store, Config())
    rows = {
        r["item_id"]: r for r in store.query("SELECT item_id, subcategory, reasons FROM verdicts")
    }
    assert rows["weak"]["subcategory"] == "bug"
    assert rows["weak"]["reasons"] == ["inherited: from PAY-12 (ktlo/bug)"]
    assert rows["strong"]["subcategory"] == "feature"
    assert summary.inherited == 1


def test_init_writes_a_config_that_loads(org: Store, tmp_path: Path) -> None:
    db = str(org.path)
    org.close()
    out = tmp_path / "starter.toml"
    result = CliRunner().invoke(main, ["init", "--db", db, "--output", str(out)])
    assert result.exit_code == 0, result.output
    loaded = load_config(out)
    assert {p.name for p in loaded.people.values()} >= {"Ana Lima", "Raj Patel", "Lee Wong"}
    again = CliRunner().invoke(main, ["init", "--db", db, "--output", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[teams]]\nname = "a"\ncolour = "red"\n', "line 3, teams.0.colour: unknown field"),
        (
            '[people.ana]\ncapacity = "full"\n',
            "line 2, people.ana.capacity: Input should be a valid number",
        ),
        (
            '[[rules]]\nas = "ktlo/bug"\nmatch = { title = "([" }\n',
            "line 3, rules.0.match.title: invalid regular expression",
        ),
        (
            '[[teams]]\nname = "a"\nmembers = ["ana"]\n[[teams]]\nname = "b"\nmembers = ["ana"]\n',
            "ana is a member of a and b without shares",
        ),
        (
            "[people.ana]\ntime_off = [{ start = 2026-03-01, end = 2026-03-10 }, { start = 2026-03-05, end = 2026-03-12 }]\n",
            "overlaps",
        ),
    ],
)
def test_config_errors_name_where_and_write_nothing(
    org: Store, tmp_path: Path, text: str, expected: str
) -> None:
    db = str(org.path)
    org.close()
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["reclassify", "--config", str(path), "--db", db])
    assert result.exit_code == 1
    assert expected in result.output and str(path) in result.output
    with Store.open(db, read_only=True) as store:
        assert (
            store.query("SELECT count(*) AS n FROM verdicts WHERE classifier = 'test'")[0]["n"] == 6
        )


def test_time_off_csv_with_a_bad_date_names_the_line(org: Store, tmp_path: Path) -> None:
    (tmp_path / "off.csv").write_text(
        "person,start,end\nana,2026-03-01,2026-03-02\nraj,2026-13-01,2026-13-02\n"
    )
    cfg = config(tmp_path, 'time_off_csv = "off.csv"\n')
    from ktlo.errors import ConfigError

    with pytest.raises(ConfigError, match=r"off.csv line 3: bad date"):
        allocation(org, cfg, AllocationOptions())
