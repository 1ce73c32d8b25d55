"""The demo's git repositories: a year of commits per team, written with one `git fast-import` each."""

from __future__ import annotations

import calendar
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ktlo.demo.messages import styled, subject
from ktlo.demo.organisation import (
    END,
    KTLO_MIX,
    NEW_MIX,
    ORG,
    START,
    STORM_MIX,
    STORM_MONTHS,
    DemoPerson,
    DemoTeam,
    month_of,
)  # fmt: skip

BOTS = (("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
        ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoCommit:
    repo: str
    author: tuple[str, str]
    when: datetime
    message: str
    files: tuple[str, ...]
    sub: str


def commits_for(team: DemoTeam, rng: random.Random) -> Iterator[DemoCommit]:
    """Every commit of a team's year, in time order."""
    day = START
    while day <= END:
        month = month_of(day)
        for person in team.people:
            if day.weekday() >= 5 or rng.random() < 0.12:  # weekends and the odd day off
                continue
            for _ in range(rng.choices((0, 1, 2, 3), (0.25, 0.4, 0.25, 0.1))[0]):
                yield _commit(team, person, day, month, rng)
        if rng.random() < (0.5 if team.name == "payments" and month in STORM_MONTHS else 0.12):
            yield _bot_commit(team, day, rng)
        day += timedelta(days=1)


def _commit(
    team: DemoTeam, person: DemoPerson, day: date, month: int, rng: random.Random
) -> DemoCommit:
    storm = team.name == "payments" and month in STORM_MONTHS
    if rng.random() < team.ktlo_share[month]:
        mix = STORM_MIX if storm else KTLO_MIX
    else:
        mix = NEW_MIX
    sub = rng.choices(list(mix), list(mix.values()))[0]
    repo = team.repos[0] if len(team.repos) == 1 or rng.random() < 0.65 else team.repos[1]
    comp = rng.choice(team.components)
    if storm and sub in ("incident", "bug", "reliability") and rng.random() < 0.7:
        comp = "payment-adapter"
    text = styled(rng, team.style, sub, subject(rng, sub, comp), team.ticket)
    if sub == "incident" and rng.random() < 0.3:  # a real revert of a recent change
        reverted = styled(rng, team.style, "feature", subject(rng, "feature", comp), team.ticket)
        text = f'Revert "{reverted}"\n\nThis reverts commit {rng.getrandbits(160):040x}.'
    when = datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59))
    return DemoCommit(repo, (person.name, person.email), when, text, _files(sub, comp, rng), sub)


def _bot_commit(team: DemoTeam, day: date, rng: random.Random) -> DemoCommit:
    name, email = BOTS[0] if team.style != "free" else BOTS[1]
    text = subject(rng, "dependency", "deps")
    if team.style == "conventional":
        text = f"chore(deps): {text}"
    when = datetime(day.year, day.month, day.day, 6, rng.randint(0, 59))
    lockfile = "package-lock.json" if rng.random() < 0.5 else "requirements.txt"
    return DemoCommit(
        rng.choice(team.repos),
        (name, email),
        when,
        text[0].upper() + text[1:],
        (lockfile,),
        "dependency",
    )


def _files(sub: str, comp: str, rng: random.Random) -> tuple[str, ...]:
    folder = comp.replace(" ", "_")
    if sub == "maintenance" and rng.random() < 0.5:
        return (rng.choice((".github/workflows/ci.yml", "docs/setup.md", "Makefile")),)
    if sub == "dependency":
        return ("package.json", "package-lock.json")
    names = [f"src/{folder}/{rng.choice(('core', 'api', 'models', 'client', 'handlers'))}.py"]
    if rng.random() < 0.5:
        names.append(f"tests/{folder}/test_{rng.choice(('core', 'api', 'models'))}.py")
    return tuple(dict.fromkeys(names))


def write_repositories(root: Path, commits: list[DemoCommit]) -> dict[str, Path]:
    """One repository per name, with an origin remote so it is named like a GitHub repository."""
    by_repo: dict[str, list[DemoCommit]] = {}
    for commit in sorted(commits, key=lambda c: c.when):
        by_repo.setdefault(commit.repo, []).append(commit)
    paths = {}
    for name, repo_commits in by_repo.items():
        path = root / name
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        subprocess.run(
            ["git", "-C", str(path), "remote", "add", "origin", f"https://{ORG}/{name}.git"],
            check=True,
        )
        subprocess.run(
            ["git", "-C", str(path), "fast-import", "--quiet"],
            input=_stream(repo_commits),
            check=True,
        )
        subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard"], check=True)
        paths[name] = path
    return paths


def _stream(commits: list[DemoCommit]) -> bytes:
    out: list[bytes] = []
    sizes: dict[str, int] = {}
    for i, c in enumerate(commits):
        stamp = f"{calendar.timegm(c.when.timetuple())} +0000"
        who = f"{c.author[0]} <{c.author[1]}> {stamp}"
        message = c.message.encode()
        out.append(
            f"commit refs/heads/main\nmark :{i + 1}\nauthor {who}\ncommitter {who}\n".encode()
        )
        out.append(b"data %d\n%s\n" % (len(message), message))
        for name in c.files:
            sizes[name] = sizes.get(name, 0) + 1
            content = "".join(f"line {n} of {name}\n" for n in range(sizes[name] * 3)).encode()
            out.append(
                f"M 644 inline {name}\n".encode() + b"data %d\n%s\n" % (len(content), content)
            )
    return b"".join(out)
