"""Initiatives (`ktlo allocation --by initiative`) and R&D capitalization on a small
hand-checked store: Jira epics and parents, commits naming issues, a pull request's commits.

March 2026, one commit (or one opened issue) per person and day, so each is one person-day:

    Ana (payments)  Mon 2  c1 "PAY-3: new checkout step"  new work  PAY-3 → PAY-2 → epic PAY-1
                    Tue 3  c2 (names nothing)             new work  in PR #7, which names PAY-2
                    Wed 4  c3 "tidy logs"                 KTLO      no initiative
    Lee (payments)  Thu 5  opens PAY-6, a Bug under PAY-1 new work  (a bug: never capitalized)
    Raj (search)    Mon 2  c4 "PAY-5: search facets"      new work  PAY-5 has no parent: none
                    Tue 3  c5 "PAY-4 fix"                 KTLO      PAY-4 → PAY-9 (no epic): PAY-9
                    Wed 4  c6 "PAY-3 crash"               KTLO      PAY-1 (KTLO: expensed)

payments costs 21,700 a month: 1,000 a person-day (21,700 / 21.7); search has no cost.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import duckdb
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config, load_config
from ktlo.effort.allocation import AllocationOptions, allocation
from ktlo.effort.capitalization import capitalization
from ktlo.ingest.load import load_batch
from ktlo.records import Activity, Link, WorkItem
from ktlo.sources.base import Batch
from ktlo.store import Store
from ktlo.store.schema import MIGRATIONS
from tests.work import add_commit, jira, set_verdict

CONFIG = """
[[teams]]
name = "payments"
members = ["ana", "lee"]
cost_per_fte_month = 21700

[[teams]]
name = "search"
members = ["raj"]

[people.ana]
name = "Ana Lima"
[people.lee]
name = "Lee Wong"
[people.raj]
name = "Raj Patel"

[initiatives."PAY-1"]
capitalizable = true
"""


def config(tmp_path: Path) -> Config:
    (tmp_path / "ktlo.toml").write_text(CONFIG)
    return load_config(tmp_path / "ktlo.toml")


def commit(
    store: Store, sha: str, who: str, day: int, verdict: tuple[str, str], refs: list[str]
) -> None:
    add_commit(store, sha, who, f"2026-03-0{day}T10:00:00", verdict)
    store.con.execute("UPDATE work_items SET refs = ? WHERE item_id = ?", [refs, sha])


def build(store: Store) -> Store:
    bug = jira(
        "PAY-6", parent="PAY-1", standard_type="bug",
        activities=(Activity("Lee Wong", "opened", datetime(2026, 3, 5, 9)),),
    )  # fmt: skip
    pull = WorkItem(
        key="github:pull_request:github.com/acme/shop:7", source="github", kind="pull_request",
        external_id="7", title="Checkout step", body="Part of PAY-2", repo_id="github.com/acme/shop",
        links=(Link("c2", "contains"),),
    )  # fmt: skip
    items = (jira("PAY-1", "epic"), jira("PAY-2", parent="PAY-1"), jira("PAY-3", parent="PAY-2"),
             jira("PAY-9"), jira("PAY-4", parent="PAY-9"), jira("PAY-5"), bug, pull)  # fmt: skip
    load_batch(store, "jira", Batch(scope="test", work_items=items))
    set_verdict(store, "jira:issue:acme:PAY-6", "new_work", "feature")
    commit(store, "c1", "Ana Lima", 2, ("new_work", "feature"), ["PAY-3"])
    commit(store, "c2", "Ana Lima", 3, ("new_work", "feature"), [])
    commit(store, "c3", "Ana Lima", 4, ("ktlo", "maintenance"), [])
    commit(store, "c4", "Raj Patel", 2, ("new_work", "feature"), ["PAY-5"])
    commit(store, "c5", "Raj Patel", 3, ("ktlo", "bug"), ["PAY-4"])
    commit(store, "c6", "Raj Patel", 4, ("ktlo", "bug"), ["PAY-3"])
    return store


def test_effort_is_grouped_by_the_epic_or_top_parent_it_reaches(
    store: Store, tmp_path: Path
) -> None:
    doc = allocation(build(store), config(tmp_path), AllocationOptions(by="initiative")).to_json()
    groups = {
        g["key"]: (g["person_days"], g["ktlo_person_days"], g["items"]) for g in doc["groups"]
    }
    # PAY-1: c1 (through PAY-3 → PAY-2), c2 (its pull request names PAY-2), PAY-6, c6 (KTLO)
    assert groups == {
        "PAY-1": (4.0, 1.0, 4),
        "(no initiative)": (2.0, 1.0, 2),
        "PAY-9": (1.0, 1.0, 1),
    }
    march = doc["periods"][0]
    assert {g["key"]: g["fte"] for g in march["groups"]} == {  # over the 4 working days covered
        "PAY-1": 1.0, "(no initiative)": 0.5, "PAY-9": 0.25,
    }  # fmt: skip
    held = doc["no_initiative"]
    assert held["key"] == "(no initiative)" and "name no issue" in held["holds"]
    assert held["by_kind"] == [{"kind": "commit", "person_days": 2.0, "items": 2}]
    via = dict(store.con.execute("SELECT item_id, via FROM item_initiative").fetchall())
    assert (via["c1"], via["c2"], via["jira:issue:acme:PAY-3"], via["jira:issue:acme:PAY-4"]) == (
        "reference", "pull request", "epic", "top parent",
    )  # fmt: skip
    other = allocation(store, config(tmp_path), AllocationOptions(by="investment")).to_json()
    assert "no_initiative" not in other  # the other groupings' JSON is as it was


def test_capitalizable_is_new_work_on_a_marked_initiative_never_a_bug_or_ktlo(
    store: Store, tmp_path: Path
) -> None:
    doc = capitalization(build(store), config(tmp_path)).to_json()
    assert doc["schema"] == "ktlo.capitalization/v1"
    assert doc["capitalizable_initiatives"] == ["PAY-1"]
    got = {
        (r["team"], r["cost_class"]): (r["person_days"], r["fte"], r["cost"], r["items"])
        for r in doc["rows"]
    }
    assert got == {
        ("payments", "capitalizable"): (2.0, 0.5, 2000.0, 2),  # c1, c2: 2 days × 1,000
        ("payments", "expensed"): (2.0, 0.5, 2000.0, 2),  # c3 (KTLO, no initiative), PAY-6 (a bug)
        ("search", "expensed"): (3.0, 0.75, None, 3),  # c4 (no initiative), c5, c6 (KTLO)
    }
    assert doc["missing_costs"] == ["search"]
    assert all(r["period"] == "2026-03" and r["in_progress"] for r in doc["rows"])
    assert any("2026-03" in n and "not complete" in n for n in doc["notes"])
    assert all("listed" not in r for r in doc["rows"])


def test_items_behind_each_figure_say_why(store: Store, tmp_path: Path) -> None:
    doc = capitalization(build(store), config(tmp_path), team="payments", items=True)
    expensed = next(r for r in doc.rows if r.cost_class == "expensed")
    assert [(i.ref, i.reason, i.person_days) for i in expensed.listed or []] == [
        ("c3", "not a capitalizable initiative", 1.0),  # equal days: in the order of their ids
        ("PAY-6", "a bug", 1.0),
    ]
    assert {r.team for r in doc.rows} == {"payments"}


def test_the_csv_is_one_row_per_team_period_and_class(store: Store, tmp_path: Path) -> None:
    build(store)
    store.close()
    config(tmp_path)
    args = ["--db", str(tmp_path / "ktlo.duckdb"), "--config", str(tmp_path / "ktlo.toml")]
    result = CliRunner().invoke(main, ["capitalization", "--csv", *args])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["team"], r["period"], r["class"], r["person_days"], r["fte"], r["cost"], r["cost_note"]) for r in rows] == [
        ("payments", "2026-03", "capitalizable", "2.0", "0.5", "2000.0", ""),
        ("payments", "2026-03", "expensed", "2.0", "0.5", "2000.0", ""),
        ("search", "2026-03", "expensed", "3.0", "0.75", "", "no cost_per_fte_month for the team"),
    ]  # fmt: skip


def test_with_nothing_marked_everything_is_expensed_and_said(store: Store, tmp_path: Path) -> None:
    (tmp_path / "plain.toml").write_text(CONFIG.split("[initiatives")[0])
    doc = capitalization(build(store), load_config(tmp_path / "plain.toml"))
    assert {r.cost_class for r in doc.rows} == {"expensed"}
    assert doc.notes[0].startswith("no initiative is marked capitalizable")


def test_allocation_by_initiative_on_the_command_line(store: Store, tmp_path: Path) -> None:
    build(store)
    store.close()
    args = ["--db", str(tmp_path / "ktlo.duckdb"), "--config", str(tmp_path / "ktlo.toml")]
    config(tmp_path)
    result = CliRunner().invoke(main, ["allocation", "--by", "initiative", "--json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by"] == "initiative"
    shown = CliRunner().invoke(main, ["allocation", "--by", "initiative", *args])
    assert "PAY-1" in shown.output and "(no initiative): effort on items in no epic" in shown.output


def test_a_store_of_schema_7_takes_initiatives_from_the_stored_answers(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE ktlo_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for statements in MIGRATIONS[:7]:
        for statement in statements:
            con.execute(statement)
    con.execute("INSERT INTO ktlo_meta VALUES ('schema_version', '7')")
    answers = {
        "github:issue:x:1": ("github", {"number": 1, "milestone": {"number": 1, "title": "Checkout v2"}}),
        "gitlab:issue:x:2": ("gitlab", {"iid": 2, "milestone": {"title": "v2.1"}, "epic": {"iid": 5, "title": "Search"}}),
        "linear:issue:x": ("linear", {"identifier": "ENG-1", "project": {"name": "Invoicing"}}),
        "github:issue:x:3": ("github", {"number": 3, "milestone": None}),
    }  # fmt: skip
    for key, (source, raw) in answers.items():
        con.execute(
            "INSERT INTO work_items (item_id, source, kind, external_id, title, body, is_bot, labels, refs, raw) "
            "VALUES (?, ?, 'issue', ?, 't', '', false, [], [], ?)",
            [key, source, key, json.dumps(raw)],
        )
    con.close()
    with Store.open(path) as store:
        found = dict(store.con.execute("SELECT item_id, initiative FROM work_items").fetchall())
    assert found == {
        "github:issue:x:1": "Checkout v2", "gitlab:issue:x:2": "Search",
        "linear:issue:x": "Invoicing", "github:issue:x:3": None,
    }  # fmt: skip
