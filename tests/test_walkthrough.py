"""The README's walkthrough, run as a new user runs it (issue 17: "the walkthrough in the
README is itself run by a test").

The commands are read from the README, between its `walkthrough` markers, and run one by
one in a shell, in the folder the previous `cd` chose, with HOME in tmp_path (where this
test makes the user's two repositories, ~/src/shop and ~/src/payments). `make demo` is
the demo it makes (`ktlo demo --out demo-output`), with no virtualenv to build; `. .venv/
bin/activate` is this test's PATH. Every command must have a check below: a README step
with none fails the test, so the README and what is checked cannot drift apart.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import GIT_TEST_ENV, GitRepo

README = Path(__file__).parent.parent / "README.md"
BIN = Path(sys.executable).parent
TEAM_NAMES = ("payments", "search", "platform", "mobile")


@dataclass
class Step:
    command: str
    code: int
    out: str
    err: str
    cwd: Path


def walkthrough() -> list[str]:
    """The README's walkthrough commands, in order, comments left out."""
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- walkthrough")[1].split("<!-- /walkthrough -->")[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command:
                commands.append(command)
    return commands


class User:
    """A shell session: a folder, a HOME, ktlo on the PATH."""

    def __init__(self, home: Path) -> None:
        self.home, self.cwd = home, home
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KTLO_")},
            **GIT_TEST_ENV,
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "COLUMNS": "100",
        }

    def run(self, command: str) -> Step:
        for part in command.split(" && "):
            step = self._one(part.strip())
            if step.code:
                return step
        return step

    def _one(self, part: str) -> Step:
        if part.startswith("cd "):
            self.cwd = self.cwd / part[3:].strip().replace("~", str(self.home), 1)
            return Step(part, 0, "", "", self.cwd)
        if part == ". .venv/bin/activate":
            return Step(part, 0, "", "", self.cwd)  # ktlo is on this session's PATH already
        if part == "make demo":
            part = "ktlo demo --out demo-output"
        done = subprocess.run(
            ["bash", "-c", part], cwd=self.cwd, env=self.env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        return Step(part, done.returncode, done.stdout, done.stderr, self.cwd)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _using(step: Step) -> None:
    assert step.err.splitlines()[-1] == (
        "Using the store ./ktlo.duckdb (the default: no --db given) and the configuration "
        "./ktlo.toml (the default: no --config given)."
    ), step.err


def check_demo(step: Step) -> None:
    assert (step.cwd / "demo-output" / "ktlo.duckdb").exists()
    assert (step.cwd / "demo-output" / "ktlo.toml").exists()


def check_budget_in_demo(step: Step) -> None:
    assert all(team in step.out for team in TEAM_NAMES) and "(no team)" not in step.out
    _using(step)


def check_mode(step: Step) -> None:
    assert "payments" in step.out and re.search(r"\b(ENTER|STAY|EXIT|NORMAL)\b", step.out)
    _using(step)


def check_allocation(step: Step) -> None:
    assert "payments" in step.out and "bug" in step.out
    _using(step)


def check_explain(step: Step) -> None:
    assert step.out.startswith("PAY-101  ") and "because " in step.out
    assert "id: " in step.out


def check_dry_run(step: Step) -> None:
    assert step.err.startswith("Dry run: nothing was written.")
    assert "  team payments: KTLO " in step.err
    assert not list(step.cwd.glob(".ktlo-dry-run-*"))


def check_report(step: Step) -> None:
    assert (step.cwd / "report.html").stat().st_size > 100_000


def check_analyze_own(step: Step) -> None:
    assert (step.cwd / "ktlo.duckdb").exists()
    assert "2 repositories" in step.out
    hint = next(line for line in step.out.splitlines() if line.startswith("Why? "))
    command = shlex.split(hint.split("`")[1])
    assert "--db" not in command  # the store is ./ktlo.duckdb: the hint needs no --db
    explained = subprocess.run(command, cwd=step.cwd, env=USER.env, capture_output=True, text=True)
    assert explained.returncode == 0 and "because " in explained.stdout, explained.stderr


def check_init(step: Step) -> None:
    config = tomllib.loads((step.cwd / "ktlo.toml").read_text())
    assert sorted(config["git"]["repositories"]) == ["~/src/payments", "~/src/shop"]
    teams = {t["name"]: sorted(t["members"]) for t in config["teams"]}
    assert teams == {"payments": ["ana_lima", "raj_patel"], "shop": ["bob_chen", "lee_wong"]}
    assert step.out.startswith("wrote ktlo.toml: 2 repositories under [git], 2 teams guessed")


def check_budget_own(step: Step) -> None:
    assert "payments" in step.out and "shop" in step.out and "(no team)" not in step.out
    _using(step)


def check_sync(step: Step) -> None:
    assert "2 unchanged" in step.err  # nothing new since `ktlo analyze`
    _using(step)


def _ok(step: Step) -> None:
    pass


CHECKS: dict[str, Callable[[Step], None]] = {
    "make demo": check_demo,
    ". .venv/bin/activate": _ok,
    "cd demo-output": _ok,
    "ktlo budget": check_budget_in_demo,
    "ktlo mode --team payments": check_mode,
    "ktlo allocation --team payments --by subcategory": check_allocation,
    "ktlo explain PAY-101": check_explain,
    "ktlo reclassify --dry-run": check_dry_run,
    "ktlo report --html report.html": check_report,
    "mkdir ~/ktlo-acme && cd ~/ktlo-acme": _ok,
    "ktlo analyze ~/src/shop ~/src/payments": check_analyze_own,
    "ktlo init": check_init,
    "ktlo sync": check_sync,
}
SECOND = {"ktlo budget": check_budget_own}  # the same command, run in the user's own folder
USER: User


def repositories(home: Path) -> None:
    """The user's two clones: payments by Ana and Raj, the shop by Bob and Lee."""
    people = {
        "payments": [("Ana Lima", "ana@acme.com"), ("Raj Patel", "raj@acme.com")],
        "shop": [("Bob Chen", "bob@acme.com"), ("Lee Wong", "lee@acme.com")],
    }
    for name, authors in people.items():
        path = home / "src" / name
        path.mkdir(parents=True)
        repo = GitRepo(path)
        repo.git("init", "-q", "-b", "main")
        repo.git("remote", "add", "origin", f"https://github.com/acme/{name}.git")
        for n in range(12):
            kind = ("fix", "feat", "chore(deps)")[n % 3]
            when = f"2026-{n % 10 + 1:02d}-{n + 3:02d}T10:00:00+00:00"
            repo.commit(
                f"{kind}: {name} change {n}", {f"src/m{n}.py": f"{n}\n"}, authors[n % 2], when
            )


@pytest.mark.slow
def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    global USER
    home = tmp_path / "home"
    home.mkdir()
    repositories(home)
    USER = User(home)
    commands = walkthrough()
    assert commands[0] == "make demo" and "ktlo init" in commands
    missing = [c for c in commands if c not in CHECKS]
    assert not missing, f"README walkthrough steps without a check here: {missing}"
    seen: set[str] = set()
    for command in commands:
        store = USER.cwd / "ktlo.duckdb"
        before = digest(store) if command == "ktlo reclassify --dry-run" else None
        step = USER.run(command)
        assert step.code == 0, f"{command}: {step.err}"
        check = SECOND.get(command, CHECKS[command]) if command in seen else CHECKS[command]
        check(step)
        if before is not None:
            assert digest(store) == before, "--dry-run changed the store"
        seen.add(command)
