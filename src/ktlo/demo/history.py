"""The demo's git repositories: each team's commits, written with one `git fast-import` each.

A commit changes as many lines as its kind of work does: a feature adds a module and its
tests, a fix changes a few lines and adds a test, a clean-up removes more than it adds, an
upgrade rewrites a lockfile. The classifier reads those sizes and files, as it would in a
real repository.
"""

from __future__ import annotations

import calendar
import os
import random
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ktlo.demo import messages as text
from ktlo.demo.items import Change, TeamYear
from ktlo.demo.organisation import ORG, DemoTeam

MODULES = ("core", "api", "models", "client", "handlers")
MAX_LINES = 160  # a file stops growing here: later changes to it rewrite as much as they add
Edit = tuple[str, int, int]  # path, lines added, lines deleted


@dataclass(frozen=True, slots=True)
class DemoCommit:
    repo: str
    author: tuple[str, str]
    when: datetime
    message: str
    edits: tuple[Edit, ...]
    sub: str  # what the work is (the demo's truth)
    change: Change
    files: tuple[tuple[str, str], ...] = ()  # files written whole (path, text): lockfiles


def commits_for(year: TeamYear, rng: random.Random) -> list[DemoCommit]:
    """Every commit of a team's year, in time order, with its message and its edits."""
    found = []
    for change in year.changes:
        message = _message(year.team, change, rng)
        edits = _edits(change, message, rng)
        found.append(DemoCommit(change.repo, change.author, change.when, message, edits,
                                change.sub, change))  # fmt: skip
    return found


def _message(team: DemoTeam, change: Change, rng: random.Random) -> str:
    if change.author[0].endswith("[bot]"):
        line = text.subject(rng, "dependency", "deps", "")
        line = f"chore(deps): {line}" if team.style == "conventional" else line
        return line[0].upper() + line[1:]
    if change.sub == "incident" and rng.random() < 0.3:  # a real revert of a recent change
        feature = text.subject(rng, "feature", change.comp, change.thing)
        reverted = text.styled(rng, team.style, "feature", feature)
        return f'Revert "{reverted}"\n\nThis reverts commit {rng.getrandbits(160):040x}.'
    line = text.styled(
        rng, team.style, change.sub, text.subject(rng, change.sub, change.comp, change.thing)
    )
    issue = change.issue
    closes = issue is not None and issue.done is not None and change is issue.changes[-1]
    key = issue.key if issue is not None and issue.tracked else None
    return text.referenced(rng, team.style, line, key, closes)


def _edits(change: Change, message: str, rng: random.Random) -> tuple[Edit, ...]:
    """The files a commit changes, and by how many lines, as its kind of work does."""
    r, sub = rng.randint, change.sub
    folder = change.comp.replace(" ", "_").replace("-", "_")
    module = f"src/{folder}/{rng.choice(MODULES)}.py"
    test = f"tests/{folder}/test_{rng.choice(MODULES[:3])}.py"
    own = change.thing.replace(" ", "_")
    if message.startswith("Revert"):
        return ((module, r(0, 4), r(10, 60)),)
    if sub == "dependency":
        if rng.random() < 0.5:
            return (("requirements.txt", 1, 1),)
        return (("package.json", 1, 1), ("package-lock.json", r(10, 80), r(10, 80)))
    if sub in ("feature", "project"):
        scale = 2 if sub == "project" else 1
        edits = [
            (f"src/{folder}/{own}.py", r(20, 120) * scale, r(0, 10)),
            (module, r(2, 12), r(0, 3)),
        ]
        return (*edits, (f"tests/{folder}/test_{own}.py", r(10, 60), r(0, 5)))[
            : 2 + (rng.random() < 0.7)
        ]
    if sub == "maintenance":
        return (_upkeep(message, folder, test, rng),)
    sizes = {"bug": ((2, 12), (1, 8)), "incident": ((1, 10), (1, 10)), "security": ((3, 20), (1, 6)),
             "performance": ((10, 40), (8, 30)), "reliability": ((8, 40), (0, 6)),
             "tech_debt": ((10, 60), (20, 120))}  # fmt: skip
    (a, b), (c, d) = sizes[sub]
    edits = [(module, r(a, b), r(c, d))]
    if sub in ("bug", "reliability", "security") and rng.random() < 0.6:
        edits.append((test, r(5, 25), r(0, 2)))
    return tuple(edits)


def _upkeep(message: str, folder: str, test: str, rng: random.Random) -> Edit:
    """Upkeep touches what its message says: CI, docs, configuration, build scripts or tests."""
    lower, r = message.lower(), rng.randint
    if "ci workflow" in lower:
        return (".github/workflows/ci.yml", r(2, 10), r(1, 5))
    if "document" in lower:
        return (f"docs/{folder}.md", r(5, 30), r(0, 10))
    if "config" in lower:
        return (f"config/{folder}/staging.yaml", r(1, 8), r(1, 6))
    if "build scripts" in lower:
        return ("Makefile", r(1, 6), r(1, 6))
    return (test, r(10, 40), r(0, 5))


def write_repositories(root: Path, commits: list[DemoCommit]) -> tuple[dict[str, Path], list[str]]:
    """One repository per name, with an origin remote so it is named like a GitHub repository.

    Returns the repositories and each commit's sha, in the order of `commits`. The
    repositories are written side by side: `git fast-import` is most of the demo's time."""
    by_repo: dict[str, list[int]] = {}
    for i in sorted(range(len(commits)), key=lambda i: (commits[i].when, i)):
        by_repo.setdefault(commits[i].repo, []).append(i)
    streams = {
        name: _stream(commits, indexes, random.Random(name)) for name, indexes in by_repo.items()
    }
    paths = {name: root / name for name in sorted(by_repo)}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        marks = dict(
            zip(
                paths,
                pool.map(_write_one, paths.values(), (streams[n] for n in paths)),
                strict=True,
            )
        )
    shas = [""] * len(commits)
    for found in marks.values():
        for mark, sha in found:
            shas[mark - 1] = sha
    return paths, shas


def _write_one(path: Path, stream: bytes) -> list[tuple[int, str]]:
    """Write one repository from its fast-import stream; returns (mark, sha) of its commits."""
    git = ["git", "-C", str(path)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run([*git, "remote", "add", "origin", f"https://{ORG}/{path.name}.git"], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        marks = Path(scratch) / "marks"
        subprocess.run(
            [*git, "fast-import", "--quiet", f"--export-marks={marks}"], input=stream, check=True
        )
        found = [line.split() for line in marks.read_text().splitlines()]
    subprocess.run([*git, "reset", "-q", "--hard"], check=True)
    return [(int(mark[1:]), sha) for mark, sha in found]


def _stream(commits: list[DemoCommit], indexes: list[int], rng: random.Random) -> bytes:
    out: list[bytes] = []
    files: dict[str, list[str]] = {}
    made = 0
    for i in indexes:
        c = commits[i]
        stamp = f"{calendar.timegm(c.when.timetuple())} +0000"
        who = f"{c.author[0]} <{c.author[1]}> {stamp}"
        message = c.message.encode()
        out.append(
            f"commit refs/heads/main\nmark :{i + 1}\nauthor {who}\ncommitter {who}\n".encode()
        )
        out.append(b"data %d\n%s\n" % (len(message), message))
        for name, added, deleted in c.edits:
            lines = files.setdefault(name, [])
            deleted = min(len(lines), max(deleted, len(lines) + added - MAX_LINES))
            at = rng.randint(0, len(lines) - deleted)
            lines[at : at + deleted] = [f"v{made + n}" for n in range(added)]
            made += added
            content = ("\n".join(lines) + "\n").encode() if lines else b""
            out.append(
                f"M 644 inline {name}\n".encode() + b"data %d\n%s\n" % (len(content), content)
            )
        for name, whole in c.files:
            content = whole.encode()
            out.append(
                f"M 644 inline {name}\n".encode() + b"data %d\n%s\n" % (len(content), content)
            )
    return b"".join(out)
