"""The dependency inventory over history, on repositories the tests make (issue 20, item 1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ktlo.cli import main
from ktlo.ingest.dependencies import update_inventory
from ktlo.ingest.history import ingest_repository
from ktlo.sources import git
from ktlo.store import Store
from tests.conftest import GitRepo

REQS_1 = "requests==2.31.0\nFlask>=2.0  # the web app\n-r dev.txt\n"
REQS_2 = "requests==2.32.0\nFlask>=2.0\n"


def npm_lock(packages: dict[str, str], direct: tuple[str, ...] = ("express",)) -> str:
    """A package-lock.json v3 as npm writes it."""
    entries: dict[str, Any] = {
        "": {"name": "shop", "version": "1.0.0", "dependencies": dict.fromkeys(direct, "*")}
    }
    for name, version in packages.items():
        entries[f"node_modules/{name}"] = {"version": version, "resolved": f"https://r/{name}"}
    entries["node_modules/express/node_modules/debug"] = {"version": "2.6.9"}  # nested: not kept
    return json.dumps({"name": "shop", "lockfileVersion": 3, "packages": entries}, indent=2)


def cargo_lock(serde: str) -> str:
    return (
        'version = 3\n\n[[package]]\nname = "shop"\nversion = "0.1.0"\n\n'
        f'[[package]]\nname = "serde"\nversion = "{serde}"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
    )


GO_MOD = (
    "module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/spf13/cobra v1.8.0\n"
    "\tgolang.org/x/sys v0.20.0 // indirect\n)\n"
)
GEMFILE_LOCK = (
    "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n    sinatra (4.0.0)\n"
    "      rack (>= 3.0.0)\n    nokogiri (1.16.0-x86_64-linux)\n\nPLATFORMS\n  x86_64-linux\n\n"
    "DEPENDENCIES\n  sinatra (~> 4.0)\n\nBUNDLED WITH\n   2.5.3\n"
)


def history(new_repo: Callable[[str], GitRepo]) -> GitRepo:
    """Lockfiles of five formats changing over four commits, one of them malformed."""
    repo = new_repo("shop")
    repo.commit("Add dependencies", {
        "requirements.txt": REQS_1, "package-lock.json": npm_lock({"express": "4.18.2", "accepts": "1.3.8"}),
        "Cargo.lock": cargo_lock("1.0.1"), "go.mod": GO_MOD, "Gemfile.lock": GEMFILE_LOCK,
        "README.md": "shop\n",
    }, when="2026-01-05T10:00:00+00:00", name="first")  # fmt: skip
    repo.commit("Bump requests, express and serde; drop accepts", {
        "requirements.txt": REQS_2, "package-lock.json": npm_lock({"express": "4.19.2"}),
        "Cargo.lock": cargo_lock("1.0.2"),
    }, when="2026-02-10T10:00:00+00:00", name="bump")  # fmt: skip
    repo.commit("Half-resolved conflict", {"package-lock.json": '{\n<<<<<<< HEAD\n  "name": "shop"'},
                when="2026-02-11T10:00:00+00:00", name="broken")  # fmt: skip
    repo.commit("Add debug", {"package-lock.json": npm_lock({"express": "4.19.2", "debug": "4.3.4"})},
                when="2026-03-01T10:00:00+00:00", name="debug")  # fmt: skip
    return repo


def rows(store: Store, package: str) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT version, direct, sha, path FROM dependency_changes WHERE package = ? ORDER BY step",
        [package],
    ).fetchall()


def test_history_of_several_lockfiles(new_repo: Callable[[str], GitRepo], tmp_path: Path) -> None:
    repo = history(new_repo)
    with Store.open(tmp_path / "k.duckdb") as store:
        result = update_inventory(store, git.open_repository(repo.path))
        s = repo.shas
        assert rows(store, "requests") == [
            ("2.31.0", True, s["first"], "requirements.txt"),
            ("2.32.0", True, s["bump"], "requirements.txt"),
        ]
        assert rows(store, "flask") == [(">=2.0", True, s["first"], "requirements.txt")]
        # removed: a row without a version, by the commit that dropped it
        assert rows(store, "accepts") == [
            ("1.3.8", False, s["first"], "package-lock.json"),
            (None, False, s["bump"], "package-lock.json"),
        ]
        # the malformed revision is counted and skipped: no removals of everything, and the
        # next good revision is compared with the last good one (only debug is new)
        assert [(p, sha) for p, sha, _ in result.malformed] == [("package-lock.json", s["broken"])]
        assert rows(store, "express") == [
            ("4.18.2", True, s["first"], "package-lock.json"),
            ("4.19.2", True, s["bump"], "package-lock.json"),
        ]
        assert rows(store, "debug") == [("4.3.4", False, s["debug"], "package-lock.json")]
        assert rows(store, "serde") == [
            ("1.0.1", None, s["first"], "Cargo.lock"),
            ("1.0.2", None, s["bump"], "Cargo.lock"),
        ]
        assert rows(store, "shop") == []  # the workspace's own crate is no dependency
        assert rows(store, "golang.org/x/sys") == [("v0.20.0", False, s["first"], "go.mod")]
        assert rows(store, "github.com/spf13/cobra") == [("v1.8.0", True, s["first"], "go.mod")]
        assert rows(store, "nokogiri") == [("1.16.0", False, s["first"], "Gemfile.lock")]
        assert rows(store, "sinatra") == [("4.0.0", True, s["first"], "Gemfile.lock")]
        assert (result.commits, result.revisions) == (4, 10)  # 5 + 3 + 1 + 1


def test_rerun_reads_only_new_commits(new_repo: Callable[[str], GitRepo], tmp_path: Path) -> None:
    repo = history(new_repo)
    with Store.open(tmp_path / "k.duckdb") as store:
        update_inventory(store, git.open_repository(repo.path))
        before = store.con.execute("SELECT count(*) FROM dependency_changes").fetchone()
        again = update_inventory(store, git.open_repository(repo.path))
        assert (again.commits, again.changes) == (0, 0)
        repo.commit("Bump flask", {"requirements.txt": "requests==2.32.0\nflask==3.0.3\n"},
                    when="2026-03-05T10:00:00+00:00", name="flask")  # fmt: skip
        later = update_inventory(store, git.open_repository(repo.path))
        assert (later.commits, later.revisions, later.changes) == (1, 1, 1)
        after = store.con.execute("SELECT count(*) FROM dependency_changes").fetchone()
        assert before and after and after[0] == before[0] + 1
        assert rows(store, "flask")[-1] == ("3.0.3", True, repo.shas["flask"], "requirements.txt")


def test_rewritten_history_drops_the_rows_it_left_behind(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = history(new_repo)
    with Store.open(tmp_path / "k.duckdb") as store:
        update_inventory(store, git.open_repository(repo.path))
        repo.git("reset", "-q", "--hard", repo.shas["bump"])
        repo.commit("Pin debug instead", {"package-lock.json": npm_lock({"express": "4.19.2", "debug": "4.3.5"})},
                    when="2026-03-02T10:00:00+00:00", name="other")  # fmt: skip
        result = update_inventory(store, git.open_repository(repo.path))
        assert result.removed == 1  # debug 4.3.4, set by a commit HEAD no longer reaches
        assert rows(store, "debug") == [("4.3.5", False, repo.shas["other"], "package-lock.json")]
        assert len(rows(store, "express")) == 2  # nothing read twice


def test_a_merged_branch_counts_when_it_lands(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = new_repo("shop")
    repo.commit(
        "Start", {"requirements.txt": "requests==2.31.0\n"}, when="2026-01-05T10:00:00+00:00"
    )
    repo.git("checkout", "-q", "-b", "bump")
    repo.commit(
        "Bump requests",
        {"requirements.txt": "requests==2.32.0\n"},
        when="2026-01-06T10:00:00+00:00",
    )
    repo.git("checkout", "-q", "main")
    repo.commit("Docs", {"README.md": "x\n"}, when="2026-01-07T10:00:00+00:00")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge bump", "bump",
             env={"GIT_COMMITTER_DATE": "2026-01-08T10:00:00+00:00", "GIT_AUTHOR_DATE": "2026-01-08T10:00:00+00:00",
                  "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x"})  # fmt: skip
    merge = repo.git("rev-parse", "HEAD")
    with Store.open(tmp_path / "k.duckdb") as store:
        update_inventory(store, git.open_repository(repo.path))
        assert [r[0] for r in rows(store, "requests")] == ["2.31.0", "2.32.0"]
        assert rows(store, "requests")[-1][2] == merge


CONFIG = """
[[teams]]
name = "payments"
members = ["alice"]
repositories = ["{repo_id}"]
"""


def test_deps_command_refreshes_and_answers_per_team(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = history(new_repo)
    opened = git.open_repository(repo.path)
    db = tmp_path / "k.duckdb"
    with Store.open(db) as store:
        ingest_repository(store, opened)  # what `ktlo sync git` does: the store knows the path
    config = tmp_path / "ktlo.toml"
    config.write_text(CONFIG.format(repo_id=opened.repo_id))
    args = ["deps", "--db", str(db), "--config", str(config), "--team", "payments", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "ktlo.deps/v1"
    (summary,) = doc["inventory"]["repositories"]
    assert summary["team"] == "payments"
    assert summary["changes_per_month"] == [
        {"month": "2026-01", "changes": 10}, {"month": "2026-02", "changes": 4},
        {"month": "2026-03", "changes": 1},
    ]  # fmt: skip
    current = {p["package"]: p for p in doc["inventory"]["packages"]}
    assert "accepts" not in current
    assert (current["express"]["version"], current["express"]["since"]) == (
        "4.19.2",
        "2026-02-10T10:00:00",
    )
    assert doc["refreshed"][0]["malformed"] == 1
    assert "1 file revision(s) in its history could not be read" in result.stderr
    again = CliRunner().invoke(main, args)  # read nothing new, still says what it skipped
    assert json.loads(again.stdout)["refreshed"][0]["revisions"] == 0
    assert "1 file revision(s) in its history could not be read" in again.stderr
    csv = CliRunner().invoke(main, ["deps", "--db", str(db), "--config", str(config), "--csv"])
    assert "requirements.txt,PyPI,requests,2.32.0" in csv.stdout


def test_a_repository_owned_through_a_service_is_its_teams_in_every_section(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    """The inventory read only `repositories`; the risk sections read services too: a team
    owning its repository through a service saw freshness but an empty inventory."""
    repo = history(new_repo)
    opened = git.open_repository(repo.path)
    db = tmp_path / "k.duckdb"
    with Store.open(db) as store:
        ingest_repository(store, opened)
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[[teams]]\nname = "platform"\nmembers = ["a@x.io"]\n'
        '[[teams]]\nname = "payments"\nmembers = ["b@x.io"]\nservices = ["checkout"]\n'
        f'[services.checkout]\nrepositories = ["{opened.repo_id}"]\n'
    )
    args = ["deps", "--offline", "--db", str(db), "--config", str(config), "--team", "payments"]
    doc = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    (summary,) = doc["inventory"]["repositories"]
    assert summary["team"] == "payments"
    assert [r["teams"] for r in doc["freshness"]["repositories"]] == [["payments"]]
