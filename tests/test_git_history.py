"""Real histories are not tidy: odd commits, rewritten and rewound histories.

Every case runs through the single-repository ingest (`ingest_repository`, which a lone
`ktlo analyze REPO` streams through), the chunked path of one repository and the
multi-repository path (`ingest_many` over several, worker processes included), and the
command line where the user sees it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.ingest.history import ingest_repository
from ktlo.ingest.scale.executors import Engine
from ktlo.ingest.scale.runner import ingest_many
from ktlo.sources.git import ReadIssues, open_repository, read_commits
from ktlo.store import Store
from tests.conftest import GitRepo
from tests.synthetic import build_repo

# psf/requests 5e6ecda… records this offset (`+051800`); git prints it as `+51800`.
ODD_OFFSET = "1313584730 +051800"


def literal_commit(
    repo: GitRepo, parent: str | None, author: str, committer: str, message: str
) -> str:
    """A commit object written as given (git's own checks off), made HEAD of main."""
    blob = repo.git("hash-object", "-w", "--stdin", input=message.encode())
    tree = repo.git("mktree", input=f"100644 blob {blob}\tnote-{blob[:8]}.txt\n".encode())
    lines = [f"tree {tree}", *([f"parent {parent}"] if parent else [])]
    body = "\n".join([*lines, f"author {author}", f"committer {committer}", "", message, ""])
    sha = repo.git(
        "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=body.encode()
    )
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def odd_history(repo: GitRepo) -> dict[str, str]:
    """good → +51800 offset → unreadable author date → no ident → no date at all → good."""
    ok = "Ana <ana@example.com> 1700000000 +0100"
    shas: dict[str, str] = {}
    shas["first"] = literal_commit(repo, None, ok, ok, "feat: first")
    odd = f"Shrikant <s@example.com> {ODD_OFFSET}"
    shas["odd"] = literal_commit(repo, shas["first"], odd, odd, "Typo in documentation")
    shas["no_author_date"] = literal_commit(
        repo, shas["odd"], "Bo <bo@example.com> notadate +0000", ok, "fix: crash on empty cart"
    )
    shas["no_ident"] = literal_commit(repo, shas["no_author_date"], "Nobody", ok, "chore: tidy")
    shas["no_date"] = literal_commit(
        repo, shas["no_ident"], "Cy <cy@example.com> x +0000", "Cy <cy@example.com> y", "wip"
    )
    shas["last"] = literal_commit(repo, shas["no_date"], ok, ok, "fix: last")
    return shas


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def analyze_json(*args: str) -> tuple[dict[str, object], str]:
    code, out, err = cli("analyze", *args, "--json")
    assert code == 0, err
    return json.loads(out), err


def snapshot(store: Store) -> list[tuple[object, ...]]:
    """What ingest stores, in a stable order (classification time aside)."""
    queries = (
        "SELECT w.item_id, w.title, w.author_name, w.created_at, c.parents, c.authored_at, "
        "c.committed_at, c.author_utc_offset_minutes, c.lines_added, v.investment, "
        "v.subcategory FROM work_items w JOIN commits c USING (item_id) "
        "JOIN verdicts v USING (item_id) ORDER BY item_id",
        "SELECT * FROM commit_files ORDER BY item_id, path",
        "SELECT scope, cursor FROM sync_state ORDER BY scope",
    )
    return [row for q in queries for row in store.con.execute(q).fetchall()]


# -- commits git recorded oddly ------------------------------------------------------------


def test_an_offset_no_time_zone_has_keeps_its_instant_and_reads_as_utc(new_repo) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("requests")
    shas = odd_history(repo)
    issues = ReadIssues()
    commits = {c.sha: c for c in read_commits(open_repository(repo.path), issues=issues)}
    odd = commits[shas["odd"]]
    assert odd.authored_at == datetime(2011, 8, 17, 12, 38, 50, tzinfo=UTC)
    assert odd.authored_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert issues.offsets_as_utc == 1 and shas["odd"][:10] in issues.examples


def test_one_unreadable_commit_never_costs_the_history(new_repo) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("odd")
    shas = odd_history(repo)
    issues = ReadIssues()
    commits = {c.sha: c for c in read_commits(open_repository(repo.path), issues=issues)}
    assert set(commits) == set(shas.values()) - {shas["no_date"]}  # the rest goes on
    no_author_date = commits[shas["no_author_date"]]
    assert no_author_date.authored_at == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )  # the committer date
    assert commits[shas["no_ident"]].author_name == "unknown"
    assert (issues.offsets_as_utc, issues.dates_missing, issues.authors_missing) == (1, 2, 1)
    assert issues.skipped == 1


def test_odd_commits_are_stored_and_counted_by_every_path(new_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("odd")
    odd_history(repo)
    with Store.open(tmp_path / "single.duckdb") as store:
        result = ingest_repository(store, open_repository(repo.path))
        assert (result.new_commits, result.issues.skipped, result.issues.offsets_as_utc) == (
            5,
            1,
            1,
        )
        single = snapshot(store)
    with Store.open(tmp_path / "chunked.duckdb") as store:
        run = ingest_many(store, [repo.path], Engine(jobs=1), chunk=2)
        assert run.new_commits == 5 and run.issues.skipped == 1
        assert snapshot(store) == single
    other = build_repo(tmp_path / "other", 12)
    with Store.open(tmp_path / "many.duckdb") as store:
        run = ingest_many(store, [repo.path, other], Engine(jobs=2))
        assert [o.status for o in run.outcomes] == ["updated", "updated"]
        assert run.issues.offsets_as_utc == 1 and run.new_commits == 5 + 12
        assert store.con.execute("SELECT count(*) FROM commits").fetchone() == (17,)


def test_analyze_says_what_it_read_oddly(new_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("requests")
    shas = odd_history(repo)
    doc, err = analyze_json(str(repo.path), "--db", str(tmp_path / "s.duckdb"))
    unreadable = doc["ingest"]["unreadable"]  # type: ignore[index]
    assert unreadable == {
        "offsets_read_as_utc": 1, "dates_replaced": 2, "authors_unknown": 1,
        "commits_skipped": 1, "diffs_unreadable": 0,
        "examples": [s[:10] for s in list(shas.values())[1:5]],
    }  # fmt: skip
    assert doc["ingest"]["notes"][0]["unreadable"] == unreadable  # type: ignore[index]
    assert "time-zone offset no zone has (read as UTC)" in err and shas["odd"][:10] in err
    assert "no readable sha or date (not stored)" in err


# -- diffs git cannot read -----------------------------------------------------------------


def history_with_missing_blobs(repo: GitRepo) -> dict[str, str]:
    """Six commits; three of them need a blob that is then removed from the object store,
    as from a damaged or partial clone: `add_big` and `grow_big` stop `git log --numstat`
    while it counts their lines (after their header), `move_big` while it looks for renames
    (before its header)."""
    repo.commit("Add a", {"a.txt": "1\n"}, name="first")
    repo.commit("Add big", {"a.txt": "1\n2\n", "big.bin": "big\n"}, name="add_big")
    repo.commit("Fix a", {"a.txt": "1\n2\n3\n"}, name="fix_a")
    repo.commit("Grow big", {"big.bin": "big\nbigger\n"}, name="grow_big")
    repo.commit("Move big", {"big.bin": None, "huge.bin": "big\nbigger\nhuge\n"}, name="move_big")
    repo.commit("Fix a again", {"a.txt": "1\n2\n3\n4\n"}, name="last")
    for rev in ("add_big", "grow_big"):
        blob = repo.git("rev-parse", f"{repo.shas[rev]}:big.bin")
        (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    return repo.shas


UNREADABLE_DIFFS = ("add_big", "grow_big", "move_big")


@pytest.mark.parametrize("window", [1, 2, 1_000])
def test_a_diff_git_cannot_read_costs_its_line_counts_not_the_history(  # type: ignore[no-untyped-def]
    new_repo, monkeypatch, window: int
) -> None:
    import ktlo.sources.git as git_source

    monkeypatch.setattr(git_source, "RESTART_WINDOW", window)  # git started again this often
    repo = new_repo("damaged")
    shas = history_with_missing_blobs(repo)
    issues = ReadIssues()
    commits = list(read_commits(open_repository(repo.path), issues=issues))
    assert [c.sha for c in commits] == list(shas.values())  # all of them, parents first
    read = {c.sha: c for c in commits}
    for name in UNREADABLE_DIFFS:  # its files, line counts unknown
        assert not read[shas[name]].lines_known
        assert all(f.added is None and f.deleted is None for f in read[shas[name]].files)
    assert sorted(f.path for f in read[shas["move_big"]].files) == ["big.bin", "huge.bin"]
    assert [f.path for f in read[shas["add_big"]].files] == ["a.txt", "big.bin"]
    fix = read[shas["fix_a"]]  # between two of them: whole
    assert fix.lines_known and [(f.path, f.added, f.deleted) for f in fix.files] == [
        ("a.txt", 1, 0)
    ]
    assert issues.diffs_unreadable == 3 and issues.skipped == 0
    assert issues.examples == [shas[name][:10] for name in UNREADABLE_DIFFS]


def test_past_too_many_unreadable_diffs_the_rest_is_read_by_name(new_repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ktlo.sources.git as git_source

    monkeypatch.setattr(git_source, "MAX_RESTARTS", 0)
    repo = new_repo("partial")
    shas = history_with_missing_blobs(repo)
    issues = ReadIssues()
    commits = list(read_commits(open_repository(repo.path), issues=issues))
    assert [c.sha for c in commits] == list(shas.values())
    # the first stop read alone, everything after it without line counts, each counted
    assert [c.lines_known for c in commits] == [True, False, False, False, False, False]
    assert issues.diffs_unreadable == 5


def test_a_slice_of_the_history_reads_past_an_unreadable_diff(new_repo) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("damaged")
    shas = history_with_missing_blobs(repo)
    issues = ReadIssues()
    # the chunked path's window: the 3 oldest commits (git's --skip counts from the newest)
    window = list(read_commits(open_repository(repo.path), skip=3, limit=3, issues=issues))
    assert [c.sha for c in window] == list(shas.values())[:3]
    assert issues.diffs_unreadable == 1


def test_unreadable_diffs_are_stored_with_unknown_counts_by_every_path(
    new_repo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("damaged")
    shas = history_with_missing_blobs(repo)
    with Store.open(tmp_path / "single.duckdb") as store:
        result = ingest_repository(store, open_repository(repo.path))
        assert (result.new_commits, result.issues.diffs_unreadable) == (6, 3)
        rows = dict(store.con.execute("SELECT sha, lines_added FROM commits").fetchall())
        assert {sha for sha, lines in rows.items() if lines is None} == {
            shas[name] for name in UNREADABLE_DIFFS
        }  # NULL: unknown, not 0
        files = store.con.execute(
            "SELECT path, added, is_binary FROM commit_files JOIN commits USING (item_id) "
            "WHERE sha = ? ORDER BY path",
            [shas["add_big"]],
        ).fetchall()
        assert files == [("a.txt", None, False), ("big.bin", None, False)]
        single = snapshot(store)
    with Store.open(tmp_path / "chunked.duckdb") as store:
        run = ingest_many(store, [repo.path], Engine(jobs=1), chunk=2)
        assert run.new_commits == 6 and run.issues.diffs_unreadable == 3
        assert snapshot(store) == single


def test_analyze_reads_a_damaged_clone_whole_and_says_so(new_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("damaged")
    shas = history_with_missing_blobs(repo)
    db = str(tmp_path / "s.duckdb")
    doc, err = analyze_json(str(repo.path), "--db", db)
    assert doc["ingest"]["unreadable"]["diffs_unreadable"] == 3  # type: ignore[index]
    assert doc["totals"]["commits"] == 6  # type: ignore[index]
    assert "3 with a diff git could not read" in err and shas["add_big"][:10] in err
    again, _ = analyze_json(str(repo.path), "--db", db)
    assert {**again, "ingest": None} == {**doc, "ingest": None}


def test_a_missing_commit_is_one_clear_line(new_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = new_repo("broken")
    shas = history_with_missing_blobs(repo)
    gone = shas["fix_a"]
    (repo.path / ".git" / "objects" / gone[:2] / gone[2:]).unlink()
    code, out, err = cli("analyze", str(repo.path), "--db", str(tmp_path / "s.duckdb"))
    assert code != 0 and out == ""
    assert err.startswith("Error: ") and "git could not read the history" in err
    assert "Traceback" not in err and "git fsck" in err


# -- history that moved under the store ----------------------------------------------------


def git_in(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def shallow_clone(source: Path, where: Path, depth: int | None) -> Path:
    """`git clone --depth` of `source` (a file:// URL, as a remote would be), or a full clone."""
    deep = ["--depth", str(depth)] if depth else []
    subprocess.run(
        ["git", "clone", "-q", *deep, source.as_uri(), str(where)], check=True, capture_output=True
    )
    return where


def fresh_analysis(path: Path, db: Path) -> dict[str, object]:
    doc, _ = analyze_json(str(path), "--db", str(db))
    doc.pop("ingest")
    return doc


def test_a_deepened_or_unshallowed_clone_is_read_again_whole(tmp_path: Path) -> None:
    source = build_repo(tmp_path / "source", 30)
    clone = shallow_clone(source, tmp_path / "clone", depth=5)
    db = str(tmp_path / "s.duckdb")
    first, _ = analyze_json(str(clone), "--db", db)
    assert first["totals"]["commits"] == 4  # type: ignore[index]  # the boundary's diff is the tree
    git_in(clone, "fetch", "-q", "--deepen", "10")
    doc, err = analyze_json(str(clone), "--db", db)
    ingest = doc.pop("ingest")
    assert "shallow boundary moved" in err and "its 5 stored commits were read again" in err
    assert (ingest["new_commits"], ingest["commits_removed"]) == (15, 5)  # type: ignore[index]
    assert doc == fresh_analysis(clone, tmp_path / "fresh.duckdb")  # as if read for the first time
    again, err = analyze_json(str(clone), "--db", db)
    assert again["ingest"]["new_commits"] == 0 and "shallow" not in err  # type: ignore[index]
    git_in(clone, "fetch", "-q", "--unshallow")
    doc, _ = analyze_json(str(clone), "--db", db)
    doc.pop("ingest")
    assert doc["totals"]["commits"] == 30  # type: ignore[index]
    assert doc == fresh_analysis(clone, tmp_path / "fresh2.duckdb")


def test_a_clone_cut_shallower_stops_counting_what_it_cut(tmp_path: Path) -> None:
    source = build_repo(tmp_path / "source", 30)
    clone = shallow_clone(source, tmp_path / "clone", depth=None)
    db = str(tmp_path / "s.duckdb")
    analyze_json(str(clone), "--db", db)
    git_in(clone, "fetch", "-q", "--depth", "4", "origin")
    doc, err = analyze_json(str(clone), "--db", db)
    doc.pop("ingest")
    assert "its 30 stored commits were read again" in err
    assert doc == fresh_analysis(clone, tmp_path / "fresh.duckdb")
    assert doc["totals"]["commits"] == 3  # type: ignore[index]


def test_a_deepened_clone_in_the_multi_repository_path(tmp_path: Path) -> None:
    source = build_repo(tmp_path / "source", 30)
    clone = shallow_clone(source, tmp_path / "clone", depth=5)
    other = build_repo(tmp_path / "other", 8)
    with Store.open(tmp_path / "many.duckdb") as store:
        ingest_many(store, [clone, other], Engine(jobs=2))
        git_in(clone, "fetch", "-q", "--deepen", "10")
        run = ingest_many(store, [clone, other], Engine(jobs=2))
        moved = {o.path: (o.boundary_moved, o.removed, o.new_commits) for o in run.outcomes}
        assert moved == {str(clone): (True, 5, 15), str(other): (False, 0, 0)}
        kept = snapshot(store)
    with Store.open(tmp_path / "fresh.duckdb") as store:
        ingest_many(store, [clone, other], Engine(jobs=2))
        assert snapshot(store) == kept


def rewrite(repo: GitRepo, back: int, gc: bool = True) -> None:
    """`reset --hard HEAD~back`, a new commit, and (gc) every trace of the old tip removed."""
    repo.git("reset", "-q", "--hard", f"HEAD~{back}")
    repo.commit(
        "fix: redo the last change", {"src/redo.py": "x = 1\n"}, when="2024-01-01T00:00:00+00:00"
    )
    if gc:
        repo.git("reflog", "expire", "--expire=now", "--all")
        repo.git("gc", "-q", "--prune=now")


@pytest.fixture
def history(tmp_path: Path) -> Callable[[str, int], GitRepo]:
    def make(name: str, commits: int = 30) -> GitRepo:
        return GitRepo(build_repo(tmp_path / name, commits))

    return make


def fresh_snapshot(path: Path, tmp_path: Path) -> list[tuple[object, ...]]:
    with Store.open(tmp_path / f"fresh-{path.name}.duckdb") as fresh:
        ingest_repository(fresh, open_repository(path))
        return snapshot(fresh)


@pytest.mark.parametrize("gc", [True, False])
def test_a_rewritten_history_is_followed_by_the_single_path(
    history, tmp_path: Path, gc: bool
) -> None:  # type: ignore[no-untyped-def]
    repo = history("shop")
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest_repository(store, open_repository(repo.path))
        rewrite(repo, 10, gc)
        result = ingest_repository(store, open_repository(repo.path))
        assert snapshot(store) == fresh_snapshot(repo.path, tmp_path)
        assert (result.removed, result.new_commits, result.total_commits) == (10, 1, 21)


def test_head_moved_backwards_stops_counting_what_it_left(history, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = history("shop")
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest_repository(store, open_repository(repo.path))
        repo.git("reset", "-q", "--hard", "HEAD~3")
        result = ingest_repository(store, open_repository(repo.path))
        assert snapshot(store) == fresh_snapshot(repo.path, tmp_path)
        assert (result.removed, result.new_commits, result.total_commits) == (3, 0, 27)
        left = store.con.execute(
            "SELECT (SELECT count(*) FROM work_items), (SELECT count(*) FROM verdicts), "
            "(SELECT count(*) FROM commit_files WHERE item_id NOT IN (SELECT item_id FROM commits))"
        ).fetchone()
        assert left == (27, 27, 0)


@pytest.mark.parametrize("jobs", [1, 2])
def test_rewritten_and_rewound_histories_in_the_multi_repository_path(
    history, tmp_path: Path, jobs: int
) -> None:  # type: ignore[no-untyped-def]
    rewritten, rewound, still = history("rewritten"), history("rewound", 12), history("still", 7)
    paths = [rewritten.path, rewound.path, still.path]
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest_many(store, paths, Engine(jobs=jobs), chunk=5)
        rewrite(rewritten, 10)
        rewound.git("reset", "-q", "--hard", "HEAD~4")
        run = ingest_many(store, paths, Engine(jobs=jobs), chunk=5)
        with Store.open(tmp_path / "fresh.duckdb") as fresh:
            ingest_many(fresh, paths, Engine(jobs=1))
            assert snapshot(store) == snapshot(fresh)
        assert {Path(o.path).name: (o.status, o.removed, o.new_commits) for o in run.outcomes} == {
            "rewritten": ("updated", 10, 1),
            "rewound": ("updated", 4, 0),
            "still": ("unchanged", 0, 0),
        }


def test_analyze_says_how_many_commits_left(history, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = history("shop")
    db = str(tmp_path / "s.duckdb")
    analyze_json(str(repo.path), "--db", db)
    repo.git("reset", "-q", "--hard", "HEAD~3")
    doc, err = analyze_json(str(repo.path), "--db", db)
    assert doc["totals"]["commits"] == 27  # type: ignore[index]
    ingest = doc["ingest"]
    assert (ingest["updated"], ingest["unchanged"], ingest["commits_removed"]) == (1, 0, 3)  # type: ignore[index]
    assert "3 stored commits no longer in the history HEAD reaches" in err
    again, _ = analyze_json(str(repo.path), "--db", db)
    assert again["ingest"]["unchanged"] == 1 and again["ingest"]["commits_removed"] == 0  # type: ignore[index]


def test_a_correction_outlives_its_commit_leaving_and_counts_when_it_comes_back(
    history, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from ktlo.config import Config
    from ktlo.verdicts.overrides import set_override

    repo = history("shop", 5)
    head = repo.git("rev-parse", "HEAD")
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest_repository(store, open_repository(repo.path))
        item = store.con.execute("SELECT item_id FROM commits WHERE sha = ?", [head]).fetchone()
        assert item is not None
        set_override(store, item[0], "ktlo/security", "a CVE fix", Config())
        repo.git("reset", "-q", "--hard", "HEAD~1")
        ingest_repository(store, open_repository(repo.path))
        assert store.con.execute("SELECT count(*) FROM effective_verdicts").fetchone() == (4,)
        repo.git("reset", "-q", "--hard", head)
        ingest_repository(store, open_repository(repo.path))
        row = store.con.execute(
            "SELECT subcategory FROM effective_verdicts WHERE item_id = ?", [item[0]]
        ).fetchone()
        assert row == ("security",)


def test_a_range_outside_the_history_says_which_range(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "old", 5)  # November 2023
    db = str(tmp_path / "s.duckdb")
    code, out, _ = cli("analyze", str(repo), "--db", db, "--since", "2030-01-01")
    assert code == 0
    said = " ".join(out.split())
    assert "no commits in range (since 2030-01-01) — nothing to analyze" in said
    assert "widen --since/--until, or leave them out for the whole history" in said
