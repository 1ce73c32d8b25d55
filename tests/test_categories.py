"""Custom categories (`ktlo allocation --by category`, budget buckets on them) on a small
hand-checked store, and their rules checked with the rest of ktlo.toml.

March 2026, one commit per person and day, so each is one person-day:

    PAY-1 epic                        Compliance (own: the epic rule names it)
    PAY-2 story under PAY-1           Compliance (own: its parent is PAY-1)
    PAY-3 story under PAY-2           Compliance (parent: PAY-2's)
    PAY-4 Escalation                  Customer escalations (own: its issue type)
    Ana  Mon 2  c1 names PAY-3        new work      Compliance (reference)
         Tue 3  c2 changes ci/build   maintenance   Developer experience (own: path)
         Wed 4  c3 names PAY-4        bug           Customer escalations (reference)
    Lee  Thu 5  c4 changes ci/deploy, names PAY-3
                                      maintenance   Developer experience (own before reference)
    Raj  Mon 2  c5                    new work      (uncategorised)
         Tue 3  c6 label compliance, changes ci/x
                                      security      Compliance (first of the two it matches)
         Wed 4  c7 in pull request #7, which names PAY-4
                                      incident      Customer escalations (pull request)
         Mon 9  c8                    new work      (uncategorised)

Ana and Lee are payments, Raj search. Four groups of 2 person-days each, 8 in all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config, load_config
from ktlo.effort.allocation import AllocationOptions, allocation, budget_report
from ktlo.errors import ConfigError
from ktlo.ingest.load import load_batch
from ktlo.planning.sprints import sprint_report
from ktlo.records import Link, WorkItem
from ktlo.sources.base import Batch
from ktlo.store import Store
from tests.work import add_commit, add_item, jira, plan_sprint

CATEGORIES = """
[custom_categories."Compliance"]
match = [{ label = "compliance" }, { epic = "PAY-1" }]

[custom_categories."Developer experience"]
match = { path = "ci/*" }

[custom_categories."Customer escalations"]
match = [{ issue_type = "escalation" }, { subcategory = "incident", label = "customer" }]
"""
TEAMS = """
[[teams]]
name = "payments"
members = ["ana", "lee"]
{targets}
[[teams]]
name = "search"
members = ["raj"]

[people.ana]
name = "Ana Lima"
[people.lee]
name = "Lee Wong"
[people.raj]
name = "Raj Patel"
"""


def config(tmp_path: Path, targets: str = "", categories: str = CATEGORIES) -> Config:
    (tmp_path / "ktlo.toml").write_text(TEAMS.format(targets=targets) + categories)
    return load_config(tmp_path / "ktlo.toml")


def commit(
    store: Store, sha: str, who: str, day: str, verdict: tuple[str, str],
    refs: tuple[str, ...] = (), files: tuple[str, ...] = (), labels: tuple[str, ...] = (),
) -> None:  # fmt: skip
    add_commit(store, sha, who, f"2026-03-{day}T10:00:00", verdict)
    store.con.execute(
        "UPDATE work_items SET refs = ?, labels = ? WHERE item_id = ?", [refs, labels, sha]
    )
    store.insert("commit_files", ["item_id", "path", "is_binary"], [(sha, f, False) for f in files])


def build(store: Store) -> Store:
    pull = WorkItem(
        key="github:pull_request:github.com/acme/shop:7", source="github", kind="pull_request",
        external_id="7", title="Refund retries", body="Fixes PAY-4", repo_id="github.com/acme/shop",
        links=(Link("c7", "contains"),), refs=("PAY-4",),
    )  # fmt: skip
    items = (
        jira("PAY-1", "epic"), jira("PAY-2", parent="PAY-1"), jira("PAY-3", parent="PAY-2"),
        jira("PAY-4", issue_type="Escalation"), pull,
    )  # fmt: skip
    load_batch(store, "jira", Batch(scope="test", work_items=items))
    feature, upkeep = ("new_work", "feature"), ("ktlo", "maintenance")
    commit(store, "c1", "Ana Lima", "02", feature, refs=("PAY-3",))
    commit(store, "c2", "Ana Lima", "03", upkeep, files=("ci/build.yml",))
    commit(store, "c3", "Ana Lima", "04", ("ktlo", "bug"), refs=("PAY-4",))
    commit(store, "c4", "Lee Wong", "05", upkeep, refs=("PAY-3",), files=("ci/deploy.yml",))
    commit(store, "c5", "Raj Patel", "02", feature)
    commit(store, "c6", "Raj Patel", "03", ("ktlo", "security"), files=("ci/x",),
           labels=("Compliance",))  # fmt: skip
    commit(store, "c7", "Raj Patel", "04", ("ktlo", "incident"))
    commit(store, "c8", "Raj Patel", "09", feature)
    return store


def test_effort_by_custom_category_with_what_is_uncategorised_and_overlaps(
    store: Store, tmp_path: Path
) -> None:
    doc = allocation(build(store), config(tmp_path), AllocationOptions(by="category")).to_json()
    assert doc["by"] == "category"
    groups = {
        g["key"]: (g["person_days"], g["ktlo_person_days"], g["items"], g["share"])
        for g in doc["groups"]
    }
    assert groups == {
        "Compliance": (2.0, 1.0, 2, 0.25),  # c1 (new work, through PAY-3), c6 (security)
        "Developer experience": (2.0, 2.0, 2, 0.25),  # c2, c4
        "Customer escalations": (2.0, 2.0, 2, 0.25),  # c3 (names PAY-4), c7 (its PR does)
        "(uncategorised)": (2.0, 0.0, 2, 0.25),  # c5, c8
    }
    march = doc["periods"][0]
    assert march["workdays"] == 6  # Mon 2 to Mon 9
    assert {g["key"]: g["fte"] for g in march["groups"]} == dict.fromkeys(groups, 0.33)
    assert doc["no_category"] == {
        "key": "(uncategorised)",
        "holds": doc["no_category"]["holds"],
        "by_kind": [{"kind": "commit", "person_days": 2.0, "items": 2}],
    }
    assert "match no custom category" in doc["no_category"]["holds"]
    # c6 matches Compliance (its label, any case) and Developer experience (its path)
    assert doc["category_overlaps"] == [
        {"category": "Compliance", "also": "Developer experience", "person_days": 1.0, "items": 1}
    ]
    via = dict(store.con.execute("SELECT item_id, via FROM item_category").fetchall())
    assert [via[i] for i in ("c1", "c4", "c7", "jira:issue:acme:PAY-2")] == [
        "reference", "own", "pull request", "own",
    ]  # fmt: skip
    assert via["jira:issue:acme:PAY-3"] == "parent"
    other = allocation(store, config(tmp_path), AllocationOptions(by="initiative")).to_json()
    assert "no_category" not in other and "category_overlaps" not in other


def test_a_team_and_its_categories(store: Store, tmp_path: Path) -> None:
    options = AllocationOptions(team="search", by="category")
    doc = allocation(build(store), config(tmp_path), options).to_json()
    assert {g["key"]: g["person_days"] for g in doc["groups"]} == {
        "(uncategorised)": 2.0, "Compliance": 1.0, "Customer escalations": 1.0,
    }  # fmt: skip
    assert doc["category_overlaps"][0]["category"] == "Compliance"


def test_a_custom_category_is_a_budget_bucket_before_the_kinds(
    store: Store, tmp_path: Path
) -> None:
    """Payments, the week of 2 March (complete: the data runs to Monday 9): c1 is new work
    but Compliance; c2, c3 and c4 are KTLO (two of them other categories, which have no
    bucket of their own)."""
    cfg = config(tmp_path, "targets = { Compliance = 30, ktlo = 40, new_work = 30 }")
    team = budget_report(build(store), cfg, "week").teams[0]
    assert team.buckets is not None and team.buckets.period == "2026-W10"
    assert [(b.bucket, b.target, b.person_days, b.share, b.status, b.corrected_share)
            for b in team.buckets.buckets] == [
        ("ktlo", 0.4, 3.0, 0.75, "over", None),  # not all of KTLO: no corrected share
        ("new_work", 0.3, 0.0, 0.0, "under", None),
        ("Compliance", 0.3, 1.0, 0.25, "inside", None),
    ]  # fmt: skip


def test_without_custom_categories_by_category_says_how_to_define_them(
    store: Store, tmp_path: Path
) -> None:
    build(store).close()
    config(tmp_path, categories="")
    args = ["--db", str(tmp_path / "ktlo.duckdb"), "--config", str(tmp_path / "ktlo.toml")]
    result = CliRunner().invoke(main, ["allocation", "--by", "category", *args])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: no custom categories: ktlo.toml has no [custom_categories] table — define "
        'some, e.g. [custom_categories."Compliance"] match = { label = "compliance" } '
        "(docs/allocation.md#custom-categories)"
    ]


def test_by_category_on_the_command_line(store: Store, tmp_path: Path) -> None:
    build(store).close()
    config(tmp_path)
    args = ["--db", str(tmp_path / "ktlo.duckdb"), "--config", str(tmp_path / "ktlo.toml")]
    result = CliRunner().invoke(main, ["allocation", "--by", "category", "--json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["no_category"]["key"] == "(uncategorised)"
    shown = CliRunner().invoke(main, ["allocation", "--by", "category", *args])
    assert "Developer experience" in shown.stdout
    assert "(uncategorised): effort on items that match no custom category" in shown.stdout
    assert (
        "Compliance holds 1.0 person-days on 1 item matching Developer experience" in shown.stdout
    )
    rows = CliRunner().invoke(main, ["allocation", "--by", "category", "--csv", *args])
    assert rows.stdout.splitlines()[0].split(",")[:3] == ["period", "start", "category"]


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ('[custom_categories."DX"]\nmatch = { lable = "dx" }\n', "match.0.lable: unknown field"),
        ('[custom_categories."DX"]\nmatch = []\n', "no rules"),
        ('[custom_categories."DX"]\nmatch = [{}]\n', "an empty match"),
        ('[custom_categories."DX"]\nnote = "x"\n', "custom_categories.DX.match: Field required"),
        ('[custom_categories."DX"]\nmatch = { subcategory = "bugs" }\n', "unknown subcategory 'bugs'"),
        ('[custom_categories."bug"]\nmatch = { label = "x" }\n', "the name 'bug' is taken"),
    ],
)  # fmt: skip
def test_bad_categories_are_one_line_naming_the_field(
    tmp_path: Path, categories: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        config(tmp_path, categories=categories)
    assert message in error.value.what
    # the table's line (16) or its match's (17), after the 15 lines of teams and people
    assert re.search(r"ktlo\.toml line 1[67], custom_categories\.", error.value.what)


def test_targets_may_name_custom_categories_only_when_defined(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        config(tmp_path, "targets = { Security = 10 }")
    assert "unknown investment, subcategory or custom category 'Security'" in error.value.what


def test_sprints_planned_against_actual_with_a_category_bucket(store: Store) -> None:
    """A sprint planned with a Compliance feature (5 points) and a bug (3); an incident (2)
    added on day 3. Ana spends 2 days on the feature, 1 on the bug, 1 on the incident."""
    plan_sprint(store)
    store.con.execute("UPDATE work_items SET labels = ['compliance'] WHERE item_id = 'f'")
    config = Config.model_validate(
        {
            "teams": [{"name": "payments", "targets": {"Compliance": 50, "ktlo": 30}}],
            "custom_categories": {"Compliance": {"match": {"label": "compliance"}}},
        }
    )
    sprint = sprint_report(store, config, "payments").sprints[0]
    assert [
        (b.bucket, b.target, b.planned_share, b.actual_share, b.actual_person_days)
        for b in sprint.buckets or []
    ] == [
        ("ktlo", 0.3, 0.375, 0.5, 2.0),  # the bug planned (3 of 8 points); bug and incident done
        ("Compliance", 0.5, 0.625, 0.5, 2.0),  # the feature: new work, but Compliance first
        ("(rest)", 0.2, 0.0, 0.0, 0.0),
    ]


def test_a_number_names_an_issue_of_its_own_repository_only(store: Store, tmp_path: Path) -> None:
    """`#5` in a commit of acme/shop is acme/shop's issue 5 (labelled compliance); the same
    words in acme/web name nothing there."""
    add_item(store, "github:issue:shop:5", "issue", ("ktlo", "bug"))
    store.con.execute(
        "UPDATE work_items SET external_id = '5', labels = ['compliance'] WHERE kind = 'issue'"
    )
    commit(store, "s1", "Ana Lima", "02", ("ktlo", "bug"), refs=("#5",))
    add_commit(
        store,
        "w1",
        "Ana Lima",
        "2026-03-03T10:00:00",
        ("ktlo", "bug"),
        repo_id="github.com/acme/web",
    )
    store.con.execute("UPDATE work_items SET refs = ['#5'] WHERE item_id = 'w1'")
    doc = allocation(store, config(tmp_path), AllocationOptions(by="category"))
    assert {g.key: g.items for g in doc.groups} == {"Compliance": 1, "(uncategorised)": 1}
    found = dict(store.con.execute("SELECT item_id, via FROM item_category").fetchall())
    assert found == {"github:issue:shop:5": "own", "s1": "reference"}
