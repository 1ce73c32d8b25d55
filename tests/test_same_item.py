"""One record per real thing (issue 17, item 4): the same tracker key by two routes is one
item, and one person seen by git and by a tracker is one person."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ktlo.cli import main
from ktlo.store import Store
from tests.conftest import GitRepo

JIRA = Path(__file__).parent / "fixtures" / "jira" / "cloud-issues.json"
OPS = (
    "id,title,kind,state,issue_type,project,created_at\n"
    "OPS-1,checkout crashes on an empty cart,issue,open,Bug,OPS,2026-01-05T10:00:00Z\n"
)
SHOP = (  # SHOP-3 as a CSV export of the same Jira site shows it
    "id,title,kind,state,issue_type,project,created_at,closed_at\n"
    "SHOP-3,Checkout returns 500 for an empty cart,issue,done,Bug,SHOP,"
    "2026-01-07T08:45:00Z,2026-01-08T16:30:00Z\n"
)


@pytest.fixture(autouse=True)
def _here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KTLO_DB", raising=False)
    monkeypatch.delenv("KTLO_CONFIG", raising=False)
    monkeypatch.delenv("JIRA_API_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)


def ktlo(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def items(db: Path = Path("ktlo.duckdb")) -> list[tuple[str, str]]:
    with Store.open(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT item_id, external_id FROM work_items ORDER BY external_id, item_id"
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


def tracker(tool: str, path: str) -> str:
    return f'[sources.tracker]\ntype = "files"\nrecords = "work_items"\ntool = "{tool}"\npaths = ["{path}"]\n'


def test_one_bug_imported_by_two_routes_is_one_bug_in_the_backlog(tmp_path: Path) -> None:
    """`--source files`, then a [sources.tracker] with tool = "jira": a backlog of 2 for 1 bug."""
    (tmp_path / "issues.csv").write_text(OPS)
    ktlo("sync", "--from-file", "issues.csv", "--source", "files")
    (tmp_path / "ktlo.toml").write_text(tracker("jira", "issues.csv"))
    second = ktlo("sync")
    assert "1 item was stored already through another route" in second.stderr
    assert "(e.g. jira:issue:OPS-1 is files:issue:OPS-1)" in second.stderr
    assert items() == [("files:issue:OPS-1", "OPS-1")]
    health = json.loads(ktlo("health", "--json").stdout)
    assert health["bugs"]["open_backlog"]["value"] == 1
    ktlo("sync", "--from-file", "issues.csv", "--source", "files")  # again: still one
    assert items() == [("files:issue:OPS-1", "OPS-1")]


def test_a_jira_answer_and_an_export_of_it_are_one_set_of_issues_in_either_order(
    tmp_path: Path,
) -> None:
    """Jira's connector keys issues by site and id, an export by key: one item each."""
    (tmp_path / "issues.csv").write_text(SHOP)
    ktlo("sync", "--from-file", str(JIRA), "--source", "jira")
    ktlo("sync", "--from-file", "issues.csv", "--source", "files")
    first = items()
    assert len(first) == 5 and [k for _, k in first].count("SHOP-3") == 1
    shop3 = next(i for i, k in first if k == "SHOP-3")
    assert shop3.startswith("jira:issue:") and shop3.endswith(":10003")
    Path("ktlo.duckdb").unlink()
    ktlo("sync", "--from-file", "issues.csv", "--source", "files")
    ktlo("sync", "--from-file", str(JIRA), "--source", "jira")
    again = items()
    assert len(again) == 5 and ("files:issue:SHOP-3", "SHOP-3") in again


def test_two_different_trackers_that_share_a_key_stay_two_items(tmp_path: Path) -> None:
    (tmp_path / "issues.csv").write_text(SHOP)
    ktlo("sync", "--from-file", str(JIRA), "--source", "jira")
    (tmp_path / "ktlo.toml").write_text(tracker("linear", "issues.csv"))
    ktlo("sync")
    assert [k for _, k in items()].count("SHOP-3") == 2


def test_git_and_tracker_names_of_one_person_are_one_person(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    """`Ana Lima` in git and `ana_lima` in the tracker: one person, not two."""
    repo = new_repo("shop")
    ana = ("Ana Lima", "ana@acme.com")
    repo.commit("fix: refund rounding", {"a.py": "1\n"}, ana, "2026-02-02T10:00:00+00:00")
    repo.commit("feat: invoices", {"b.py": "1\n"}, ana, "2026-02-03T10:00:00+00:00")
    review = {"submitted_at": "2026-02-04T11:00:00Z", "state": "approved", "reviewer": "ana_lima"}
    pull = {"id": "p1", "number": "1", "kind": "pull_request", "title": "Coupons",
            "author": "raj", "state": "open", "created_at": "2026-02-04T10:00:00Z",
            "reviews": [review]}  # fmt: skip
    (tmp_path / "work_items-pulls.jsonl").write_text(json.dumps(pull) + "\n")
    ktlo("analyze", str(repo.path), "--db", "ktlo.duckdb")
    ktlo("sync", "--from-file", "work_items-pulls.jsonl", "--source", "files")
    people = json.loads(ktlo("allocation", "--by", "person", "--json").stdout)["groups"]
    assert [p["key"] for p in people] == ["Ana Lima"]  # raj only opened it: no effort
    assert people[0]["items"] == 3  # two commits and the review
