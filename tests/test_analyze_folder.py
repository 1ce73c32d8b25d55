"""`ktlo analyze REPO/FOLDER`: a folder's history in a shared store; byte-identical re-runs."""

from __future__ import annotations

import json
import subprocess
from functools import reduce
from operator import add
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config
from ktlo.effort.person_days import compute_effort
from ktlo.ingest.history import ingest_repository
from ktlo.sources.git import open_repository
from ktlo.store import Store
from tests.conftest import ALICE, BOB, GitRepo
from tests.synthetic import build_repo


@pytest.fixture
def mono(new_repo) -> GitRepo:  # type: ignore[no-untyped-def]
    """Two services and docs; the api folder is touched by three commits, one a rename out."""
    repo = new_repo("mono")
    repo.commit(
        "feat: add the api",
        {"services/api/app.py": "a\nb\n", "services/api/util/x.py": "x\n", "services/api/old.py": "o\n"},
        ALICE, "2026-01-05T10:00:00+00:00", "api",
    )  # fmt: skip
    repo.commit("fix: web crash on load", {"services/web/main.js": "w\n"}, BOB,
                "2026-01-06T10:00:00+00:00", "web")  # fmt: skip
    repo.commit(
        "fix(api): handle timeouts",
        {"services/api/app.py": "a\nb\nc\n", "services/web/main.js": "w\nv\n"},
        BOB, "2026-01-07T10:00:00+00:00", "both",
    )  # fmt: skip
    repo.commit("docs: explain the layout", {"README.md": "# mono\n"}, ALICE,
                "2026-01-08T10:00:00+00:00", "docs")  # fmt: skip
    (repo.path / "lib").mkdir()
    repo.git("mv", "services/api/old.py", "lib/old.py")
    repo.commit("refactor: move old helpers out of the api", author=ALICE,
                when="2026-01-09T10:00:00+00:00", name="moved")  # fmt: skip
    return repo


def analyze(*args: str) -> tuple[dict[str, Any], str]:
    result = CliRunner().invoke(main, ["analyze", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def without_ingest(doc: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in doc.items() if k != "ingest"})


def test_a_folder_counts_the_commits_that_changed_it(mono: GitRepo, tmp_path: Path) -> None:
    doc, _ = analyze(str(mono.path / "services" / "api"), "--db", str(tmp_path / "s.duckdb"))
    listed = mono.git("log", "--full-history", "--no-merges", "--format=%H", "--", "services/api")
    assert doc["totals"]["commits"] == len(listed.split()) == 3
    assert doc["totals"]["lines"] == 4 + 1 + 0  # api files only: not the web half of "both"
    assert doc["folders"] == [{"repo_id": f"local:{mono.path}", "folder": "services/api"}]
    files = {row["file"] for row in doc["hotspots"]["files"]}
    assert files == {"app.py", "old.py"}  # KTLO: the fix, the move out; relative to the folder
    dirs = {row["directory"] for row in doc["hotspots"]["directories"]}
    assert dirs == {"."}


def test_a_folder_run_and_a_whole_run_share_a_store_unharmed(mono: GitRepo, tmp_path: Path) -> None:
    shared = str(tmp_path / "shared.duckdb")
    folder = str(mono.path / "services" / "api")
    whole_before, _ = analyze(str(mono.path), "--db", shared)
    in_shared, _ = analyze(folder, "--db", shared)
    whole_after, _ = analyze(str(mono.path), "--db", shared)
    alone, _ = analyze(folder, "--db", str(tmp_path / "alone.duckdb"))
    assert without_ingest(whole_after) == without_ingest(whole_before)
    assert without_ingest(in_shared) == without_ingest(alone)
    assert whole_before["totals"]["commits"] == 5 and in_shared["totals"]["commits"] == 3
    with Store.open(shared) as store:  # one copy of each commit, one cursor
        assert store.con.execute("SELECT count(*) FROM commits").fetchone() == (5,)
        assert store.con.execute("SELECT count(*) FROM sync_state").fetchone() == (1,)


def test_the_terminal_says_which_folder(mono: GitRepo, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["analyze", str(mono.path / "services" / "api"), "--db", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 0
    assert "mono (only services/api: the commits that changed files there)" in result.stdout


def test_folders_among_several_repositories(mono: GitRepo, tmp_path: Path) -> None:
    other = build_repo(tmp_path / "other", 6)
    doc, _ = analyze(
        str(mono.path / "services" / "web"), str(other), "--db", str(tmp_path / "s.duckdb")
    )
    commits = {row["name"]: row["commits"] for row in doc["repositories"]}
    assert commits == {"mono": 2, "other": 6}
    assert doc["folders"] == [{"repo_id": f"local:{mono.path}", "folder": "services/web"}]


# -- the same answer on every run -----------------------------------------------------------


@pytest.mark.slow
def test_effort_sums_do_not_depend_on_their_order(new_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Days split in thirds, sevenths, elevenths: float sums that differ in their last bits
    with the order of addition, unless every share is exact."""
    repo = new_repo("split")
    for day in range(40):
        for k in range((3, 7, 11, 13)[day % 4]):
            repo.commit(f"fix: part {k} of day {day}", {f"f{k}.txt": f"{day}\n"}, BOB,
                        f"2026-02-{1 + day % 28:02d}T{8 + k % 10:02d}:00:00+00:00")  # fmt: skip
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest_repository(store, open_repository(repo.path))
        compute_effort(store, Config())
        values = [r[0] for r in store.con.execute("SELECT person_days FROM effort").fetchall()]
    orders = [values, values[::-1], sorted(values), values[1::2] + values[::2]]
    sums = {reduce(add, order) for order in orders}
    assert len(sums) == 1
    assert round(sums.pop(), 6) == 21.0  # Feb 2026 in ISO weeks, at most 5 a week: 1+5+5+5+5


def test_a_no_op_rerun_is_byte_identical(shop: GitRepo, tmp_path: Path) -> None:
    other = build_repo(tmp_path / "other", 40)
    for paths in ([str(shop.path)], [str(shop.path), str(other)]):
        db = str(tmp_path / f"s{len(paths)}.duckdb")
        first, _ = analyze(*paths, "--db", db)
        again, _ = analyze(*paths, "--db", db)
        assert again["ingest"]["new_commits"] == 0
        assert without_ingest(again) == without_ingest(first)


def test_the_example_of_other_is_the_latest(new_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("other")
    for day in range(1, 9):
        repo.commit(
            f"wip {day}", {"src/a.py": f"{day}\n"}, ALICE, f"2026-03-{day:02d}T10:00:00+00:00"
        )
    doc, _ = analyze(str(repo.path), "--db", str(tmp_path / "s.duckdb"))
    reasons = doc["other"]["reasons"]
    assert reasons and all(r["example"] == "wip 8" for r in reasons)


def test_git_log_of_a_folder_agrees_on_a_real_layout(tmp_path: Path) -> None:
    """A synthetic history with 40 module folders: each folder's count is git's."""
    path = build_repo(tmp_path / "big", 120)
    repo = GitRepo(path)
    repo.git("checkout", "-q", "main")
    db = str(tmp_path / "s.duckdb")
    for module in ("src/module3", "src/module17"):
        doc, _ = analyze(str(path / module), "--db", db)
        listed = subprocess.run(
            ["git", "-C", str(path), "log", "--full-history", "--no-merges", "--format=%H",
             "--", module], capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert doc["totals"]["commits"] == len(listed) > 0
