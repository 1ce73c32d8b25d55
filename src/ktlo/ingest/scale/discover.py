"""Finding repositories, and reading a repository's HEAD without starting git.

`ktlo analyze --recursive DIR` walks DIR for clones (a folder with `.git`) and bare
repositories, and does not descend into a repository it found. `read_head` answers
"which commit is HEAD?" from the files under `.git` alone (HEAD, loose refs,
packed-refs), so a re-run over thousands of unchanged repositories costs a few file
reads each; anything it does not understand returns None and git is asked instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ktlo.errors import ConfigError

_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def find_repositories(paths: Iterable[Path], recursive: bool = False) -> list[Path]:
    """The repositories to mine: `paths` as given, or every repository under them; no duplicates."""
    found: dict[str, Path] = {}
    for path in paths:
        path = Path(path).expanduser()
        candidates = _walk(path) if recursive and not is_repository(path) else iter([path])
        for repo in candidates:
            found.setdefault(os.path.realpath(repo), repo)
    return list(found.values())


def is_repository(path: Path) -> bool:
    """A clone (a `.git` folder or file) or a bare repository (HEAD, objects and refs)."""
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _walk(top: Path) -> Iterator[Path]:
    """Repositories under `top`, in name order; symbolic links and hidden folders are skipped."""
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if is_repository(path):
            yield path
        else:
            yield from _walk(path)


def git_dir(path: Path) -> Path | None:
    """The git directory of a clone, a linked worktree or a bare repository at `path`."""
    dot_git = path / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        text = _read(dot_git) or ""
        if text.startswith("gitdir:"):
            target = Path(text.removeprefix("gitdir:").strip())
            return target if target.is_absolute() else (path / target).resolve()
        return None
    return path if (path / "HEAD").is_file() and (path / "objects").is_dir() else None


def read_head(path: Path) -> str | None:
    """The sha HEAD points to, read from the files under `.git`; None when unsure (ask git)."""
    directory = git_dir(path)
    if directory is None:
        return None
    common = directory
    commondir = _read(directory / "commondir")
    if commondir:
        common = (directory / commondir.strip()).resolve()
    head = (_read(directory / "HEAD") or "").strip()
    for _ in range(5):  # symbolic refs may chain; git allows a few levels
        if _SHA.match(head):
            return head
        if not head.startswith("ref: "):
            return None
        ref = head.removeprefix("ref: ").strip()
        head = (_read(directory / ref) or _read(common / ref) or _packed(common, ref) or "").strip()
    return None


def _packed(common: Path, ref: str) -> str | None:
    text = _read(common / "packed-refs")
    for line in (text or "").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def repository_targets(
    given: Sequence[Path], configured: Sequence[Path], recursive: bool, recursive_configured: bool
) -> tuple[list[Path], bool]:
    """The repositories a command mines, and whether it was given exactly one (the
    single-repository report): the paths given, else ktlo.toml's [git] repositories, else `.`."""
    if given:
        paths, search = list(given), recursive
    elif configured:
        paths, search = list(configured), recursive or recursive_configured
    else:
        paths, search = [Path(".")], recursive
    repos = find_repositories(paths, search)
    if not repos:
        where = ", ".join(str(p) for p in paths)
        raise ConfigError(
            f"no git repositories under {where}", "give the folder that holds the clones"
        )
    return repos, len(paths) == 1 and not search
