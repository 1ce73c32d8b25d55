"""Ids people can use (issue 17, item 3): every command that takes an item takes its full
id, a unique prefix of a commit sha, a tracker key or owner/repo#12; ids are printed whole."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ktlo.cli import main
from tests.conftest import ALICE, BOB, GitRepo

ISSUES = (
    "id,title,kind,state,issue_type,project,repo,number,created_at\n"
    "PAY-101,ledger totals wrong after refund,issue,open,Bug,PAY,,,2026-02-01T10:00:00Z\n"
    "pr-12,Add invoice export,pull_request,merged,,,github.com/acme/shop,12,2026-02-02T10:00:00Z\n"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KTLO_DB", raising=False)
    monkeypatch.delenv("KTLO_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def ktlo(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def org(
    new_repo: Callable[[str], GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GitRepo:
    """A folder holding ./ktlo.duckdb: a repository's commits and a Jira export's items."""
    repo = new_repo("shop")
    repo.commit("fix: refund rounding (PAY-101)", {"src/a.py": "1\n"}, ALICE, "2026-02-03T10:00:00+00:00", "fix")  # fmt: skip
    repo.commit("feat: invoice export", {"src/b.py": "2\n"}, BOB, "2026-02-04T10:00:00+00:00", "feat")  # fmt: skip
    repo.commit("plumb the quorble flinx", {"src/c.py": "3\n"}, BOB, "2026-02-05T10:00:00+00:00", "weak")  # fmt: skip
    repo.git("remote", "add", "origin", "https://github.com/acme/shop.git")
    folder = tmp_path / "org"
    folder.mkdir()
    monkeypatch.chdir(folder)
    (folder / "issues.csv").write_text(ISSUES)
    (folder / "ktlo.toml").write_text(
        '[sources.tracker]\ntype = "files"\nrecords = "work_items"\ntool = "jira"\npaths = ["issues.csv"]\n'
    )
    assert ktlo("analyze", str(repo.path), "--db", "ktlo.duckdb").exit_code == 0
    assert ktlo("sync", "tracker").exit_code == 0
    return repo


def test_explain_covers_every_kind_of_item_by_any_ref(org: GitRepo) -> None:
    """`ktlo explain jira:issue:PAY-101` said "not a commit sha"; now each ref works."""
    fix = org.shas["fix"]
    for ref in (fix[:7], fix, f"git:commit:github.com/acme/shop:{fix}", "PAY-101", "pay-101",
                "jira:issue:PAY-101", "acme/shop#12", "shop#12"):  # fmt: skip
        result = ktlo("explain", ref)
        assert result.exit_code == 0, (ref, result.output)
    issue = json.loads(ktlo("explain", "PAY-101", "--json").stdout)
    assert (issue["id"], issue["ref"], issue["kind"]) == ("jira:issue:PAY-101", "PAY-101", "issue")
    assert issue["investment"] == "ktlo" and issue["subcategory"] == "bug" and issue["reasons"]
    pull = json.loads(ktlo("explain", "acme/shop#12", "--json").stdout)
    assert (pull["id"], pull["ref"]) == ("jira:pull_request:pr-12", "acme/shop#12")
    commit = json.loads(ktlo("explain", fix[:7], "--json").stdout)
    assert commit["id"] == f"git:commit:github.com/acme/shop:{fix}" and commit["sha"] == fix
    assert commit["ref"] == fix[:12] and commit["names"] == ["PAY-101"]
    shown = ktlo("explain", fix[:7]).stdout
    assert f"id: git:commit:github.com/acme/shop:{fix}\n" in shown  # whole, on one line


def test_an_ambiguous_prefix_says_which_items_match(
    org: GitRepo, new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    """The same commit in a fork is two items: its prefix names both, and says so."""
    fork = tmp_path / "fork"
    org.git("clone", "-q", str(org.path), str(fork))
    GitRepo(fork).git("remote", "set-url", "origin", "https://github.com/someone/shop.git")
    assert ktlo("analyze", str(fork), "--db", "ktlo.duckdb").exit_code == 0
    fix = org.shas["fix"]
    result = ktlo("explain", fix[:8])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: '{fix[:8]}' names 2 items: ")
    assert f"git:commit:github.com/acme/shop:{fix}" in line
    assert f"git:commit:github.com/someone/shop:{fix}" in line
    assert ktlo("explain", f"git:commit:github.com/someone/shop:{fix[:8]}").exit_code == 0
    assert ktlo("explain", "nothing-like-an-id").exit_code == 1


def test_override_takes_a_sha_prefix_or_a_key_and_lists_ids_whole(org: GitRepo) -> None:
    """`override` wanted git:commit:…:<40 hex>, and `--list` cut ids to `git:commit:gith…`."""
    feat = org.shas["feat"]
    set_it = ktlo("override", feat[:7], "--as", "ktlo/security", "--note", "CVE fix")
    assert set_it.exit_code == 0, set_it.output
    assert set_it.stdout == f"git:commit:github.com/acme/shop:{feat} is now ktlo/security\n"
    assert ktlo("override", "PAY-101", "--as", "new_work/feature").exit_code == 0
    listed = ktlo("override", "--list").stdout
    assert feat[:12] in listed and "PAY-101" in listed and "…" not in listed
    rows = json.loads(ktlo("override", "--list", "--json").stdout)
    assert [(r["item_id"], r["ref"]) for r in rows] == [
        (f"git:commit:github.com/acme/shop:{feat}", feat[:12]),
        ("jira:issue:PAY-101", "PAY-101"),
    ]
    for ref in (r["ref"] for r in rows):  # what the list prints is what the command takes
        assert ktlo("override", ref, "--remove").exit_code == 0
    assert json.loads(ktlo("override", "--list", "--json").stdout) == []


def test_review_prints_refs_whole_and_takes_them_back(org: GitRepo, tmp_path: Path) -> None:
    """`review` wrapped each 80-character id over three lines of its table."""
    queue = json.loads(ktlo("review", "--json").stdout)
    assert queue, "the weak verdicts of this store are in the queue"
    table = ktlo("review").stdout
    weak = org.shas["weak"]
    assert [r["ref"] for r in queue if r["item_id"].endswith(weak)] == [weak[:12]]
    lines = [line.strip() for line in table.splitlines()]
    for row in queue:  # each ref whole, on a line of its own: ready to copy
        assert row["ref"] in lines
    first = queue[0]
    answered = ktlo("review", first["ref"], "--confirm")
    assert answered.exit_code == 0 and answered.stdout.startswith(f"{first['item_id']} is now ")
    answers = tmp_path / "answers.csv"
    answers.write_text("item_id,kind\nPAY-101,ktlo/security\n")
    loaded = ktlo("review", "--answers", str(answers))
    assert loaded.exit_code == 0, loaded.output
    rows = {r["item_id"]: r for r in json.loads(ktlo("override", "--list", "--json").stdout)}
    assert rows["jira:issue:PAY-101"]["subcategory"] == "security"


def test_a_sampled_table_shows_refs_the_answers_file_accepts(org: GitRepo, tmp_path: Path) -> None:
    drawn = ktlo("review", "--sample", "2", "--seed", "1", "--csv")
    items = list(csv.DictReader(io.StringIO(drawn.stdout)))
    assert len(items) == 2
    shown = ktlo("review", "--sample", "1", "--seed", "2")
    assert shown.exit_code == 0 and "git:commit:github.com/acme/shop:" not in shown.stdout
