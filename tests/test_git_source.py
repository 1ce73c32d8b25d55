"""The git source reads real repositories: order, authorship, files, renames, encodings, damage."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from ktlo.errors import RepositoryError
from ktlo.sources.git import normalise_remote, open_repository, read_commits
from tests.conftest import GitRepo


def by_sha(repo: GitRepo) -> dict[str, object]:
    return {c.sha: c for c in read_commits(open_repository(repo.path))}


def test_reads_every_commit_parents_first(shop: GitRepo) -> None:
    commits = list(read_commits(open_repository(shop.path)))
    assert len(commits) == 10
    seen: set[str] = set()
    for commit in commits:
        assert all(parent in seen for parent in commit.parents)
        seen.add(commit.sha)


def test_authorship_and_time_zones(shop: GitRepo) -> None:
    fix = by_sha(shop)[shop.shas["fix"]]
    assert (fix.author_name, fix.author_email) == ("Bob Chen", "bob@example.com")
    assert fix.authored_at.utcoffset() == timedelta(hours=-5)
    assert fix.authored_at.isoformat() == "2026-01-10T09:30:00-05:00"
    assert fix.message == "fix(checkout): handle empty cart"


def test_per_file_line_counts(shop: GitRepo) -> None:
    fix = by_sha(shop)[shop.shas["fix"]]
    assert [(f.path, f.added, f.deleted) for f in fix.files] == [("src/checkout.py", 2, 0)]


def test_renames_keep_the_old_path(shop: GitRepo) -> None:
    rename = by_sha(shop)[shop.shas["rename"]]
    assert [(f.old_path, f.path, f.added, f.deleted) for f in rename.files] == [
        ("src/checkout.py", "src/payments_checkout.py", 0, 0)
    ]


def test_binary_files_have_no_line_counts(shop: GitRepo) -> None:
    binary = by_sha(shop)[shop.shas["binary"]]
    assert [(f.path, f.binary, f.added) for f in binary.files] == [("assets/logo.png", True, None)]


def test_non_utf8_message_is_read_as_latin1(shop: GitRepo) -> None:
    assert by_sha(shop)[shop.shas["latin1"]].message == "Fix café menu encoding crash"


def test_merge_is_recorded_without_files(shop: GitRepo) -> None:
    merge = by_sha(shop)[shop.shas["merge"]]
    assert merge.is_merge and len(merge.parents) == 2
    assert merge.files == ()


def test_exclude_reads_only_newer_commits(shop: GitRepo) -> None:
    repo = open_repository(shop.path)
    newer = [c.sha for c in read_commits(repo, exclude=[shop.shas["merge"]])]
    assert newer == [shop.shas["revert"]]


def test_unknown_excluded_sha_is_ignored(shop: GitRepo) -> None:
    repo = open_repository(shop.path)
    assert len(list(read_commits(repo, exclude=["0" * 40]))) == 10


def test_empty_repository_has_no_commits(new_repo) -> None:  # type: ignore[no-untyped-def]
    repo = open_repository(new_repo("empty").path)
    assert repo.head is None
    assert list(read_commits(repo)) == []


def test_bare_clone(shop: GitRepo, tmp_path: Path) -> None:
    bare = tmp_path / "shop.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(shop.path), str(bare)], check=True)
    repo = open_repository(bare)
    assert repo.is_bare and repo.name == "shop"
    assert repo.repo_id == f"local:{shop.path}"  # the clone's origin names the original
    assert len(list(read_commits(repo))) == 10


def test_shallow_clone_marks_its_boundary(shop: GitRepo, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{shop.path}", str(shallow)], check=True
    )
    repo = open_repository(shallow)
    assert repo.is_shallow
    commits = list(read_commits(repo))
    boundary = [c for c in commits if c.sha in repo.shallow_boundary]
    assert boundary and all(c.parents == () for c in boundary)


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="is not a git repository"):
        open_repository(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="does not exist"):
        open_repository(tmp_path / "nowhere")


def test_a_missing_blob_costs_line_counts_and_a_missing_commit_is_reported(shop: GitRepo) -> None:
    blob = shop.git("rev-parse", f"{shop.shas['fix']}:src/checkout.py")
    (shop.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    commits = list(read_commits(open_repository(shop.path)))
    assert len(commits) == int(shop.git("rev-list", "--count", "HEAD"))  # the whole history
    assert not next(c for c in commits if c.sha == shop.shas["fix"]).lines_known
    gone = shop.shas["fix"]  # the commit object itself: git cannot walk the history
    (shop.path / ".git" / "objects" / gone[:2] / gone[2:]).unlink()
    with pytest.raises(RepositoryError, match="git fsck"):
        list(read_commits(open_repository(shop.path)))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:acme/shop.git", "github.com/acme/shop"),
        ("https://github.com/acme/shop", "github.com/acme/shop"),
        (
            "https://user@gitlab.example.com:8443/group/sub/shop.git",
            "gitlab.example.com/group/sub/shop",
        ),
        ("ssh://git@github.com/acme/shop.git/", "github.com/acme/shop"),
        ("/srv/git/shop.git", "local:/srv/git/shop.git"),
    ],
)
def test_normalise_remote(url: str, expected: str) -> None:
    assert normalise_remote(url) == expected


def test_unreadable_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads everything, so the permission check is exercised through os.access."""
    import os

    real = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if str(path) == str(tmp_path) else real(path, mode)
    )
    with pytest.raises(RepositoryError, match="is not readable"):
        open_repository(tmp_path)
