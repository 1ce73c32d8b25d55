"""The `ktlo` executable starts git for `ktlo analyze PATH` before the command line loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ktlo import launch
from ktlo.cli.analyze import analyze_command
from tests.synthetic import build_repo


@pytest.mark.parametrize(
    ("args", "target"),
    [
        (["analyze", "repo"], ("repo", None)),
        (["--debug", "analyze", "repo"], ("repo", None)),
        (["analyze", "repo", "--db", "s.duckdb", "--json"], ("repo", "s.duckdb")),
        (["analyze", "--db=s.duckdb", "--period", "week", "repo"], ("repo", "s.duckdb")),
        (["analyze", "--since", "1y", "--", "--odd-name"], ("--odd-name", None)),
        (["analyze"], None),  # the repository you are in, or ktlo.toml's: the command decides
        (["analyze", "a", "b"], None),  # several: mined in parallel, no early log
        (["analyze", "-r", "src"], None),
        (["analyze", "repo", "--help"], None),
        (["analyze", "repo", "--db"], None),  # click will say what is missing
        (["analyze", "repo", "--no-such-option", "x"], None),
        (["report", "repo"], None),
        ([], None),
    ],
)
def test_only_a_plain_analyze_of_one_path_is_read_before_parsing(
    args: list[str], target: tuple[str, str | None] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KTLO_DB", raising=False)
    assert launch.analyze_target(args) == target


def test_the_store_in_ktlo_db_is_the_one_prefetched_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KTLO_DB", "env.duckdb")
    assert launch.analyze_target(["analyze", "repo"]) == ("repo", "env.duckdb")
    assert launch.analyze_target(["analyze", "repo", "--db", "s.duckdb"]) == ("repo", "s.duckdb")


def test_the_options_read_before_parsing_are_the_commands_own() -> None:
    """A new option of `ktlo analyze` must be listed (else a run using it starts nothing
    early), and a listed one must exist with the same arity (else PATH is misread)."""
    values, flags = set(), set()
    for param in analyze_command.params:
        if not isinstance(param, click.Option):
            continue
        longs = {name for name in param.opts if name.startswith("--")}
        if param.is_flag:
            flags |= longs - {"--recursive"}  # several repositories: never early
        else:
            values |= longs
    assert (launch.VALUE_OPTIONS, launch.FLAGS) == (values, flags)


def test_git_is_started_before_the_command_line_is_loaded(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "shop", 5)
    code = (
        "import sys; from ktlo import launch; "
        "target = launch.analyze_target(sys.argv[1:]); launch._start(*target); "
        "early = launch._started[2]; "
        "print(early is not None and early.stream._proc.pid > 0, 'click' in sys.modules)"
    )
    args = ["analyze", str(repo), "--db", str(tmp_path / "s.duckdb")]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "False"]


def test_the_executable_answers_as_the_command_line_does(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "shop", 12)
    answers = []
    for entry, db in (("ktlo.launch", "early.duckdb"), ("ktlo.cli", "late.duckdb")):
        code = f"import sys; from {entry} import main; main(sys.argv[1:])"
        done = subprocess.run(
            [sys.executable, "-c", code, "analyze", str(repo), "--db", str(tmp_path / db), "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        document = json.loads(done.stdout)
        document.pop("ingest", None)
        answers.append(document)
    assert answers[0] == answers[1]
    assert answers[0]["totals"]["commits"] == 12


def test_a_prefetch_for_other_arguments_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = build_repo(tmp_path / "shop", 5)
    monkeypatch.setattr(launch, "_started", None)
    launch._start(str(repo), str(tmp_path / "a.duckdb"))
    started = launch._started
    assert started is not None and started[2] is not None
    process = started[2].stream._proc
    other = launch.prefetch_for(repo, tmp_path / "b.duckdb")  # the command parsed another store
    try:
        assert other is not None and other is not started[2]
        assert process.wait(timeout=10) is not None  # the unused git was stopped
        assert launch._started is None
    finally:
        if other is not None:
            other.close()
