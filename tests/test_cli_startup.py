"""Start-up stays fast: `ktlo --help` and a command's help load no heavy library.

Each case runs `python -X importtime -m ktlo ...` in a fresh process, as a user would, and
reads the modules it imported from the import-time report on stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import ktlo.cli
from ktlo.cli import COMMANDS, main
from tests.conftest import GitRepo

HEAVY = {
    "duckdb", "pydantic", "fastapi", "uvicorn", "httpx2", "jinja2", "dask", "pyarrow",
    "prometheus_client", "numpy", "sklearn", "ktlo.store", "ktlo.config", "ktlo.sources",
}  # fmt: skip


def imported(
    *args: str, env: dict[str, str] | None = None
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules `ktlo ARGS` imports (and how it ended); stdout and stderr are pipes."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ktlo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, done


def heavy_in(modules: set[str]) -> set[str]:
    return {m for m in modules if m in HEAVY or m.split(".")[0] in HEAVY}


def test_help_lists_every_command_without_loading_the_library() -> None:
    modules, done = imported("--help")
    assert done.returncode == 0
    assert heavy_in(modules) == set()
    assert "rich" not in modules
    for name in COMMANDS:
        assert f"  {name} " in done.stdout


@pytest.mark.parametrize("name", ["allocation", "analyze", "health", "report", "serve", "sync"])
def test_a_commands_help_loads_only_its_module(name: str) -> None:
    modules, done = imported(name, "--help")
    assert done.returncode == 0 and "Example: ktlo" in done.stdout
    assert heavy_in(modules) == set()
    own = COMMANDS[name].partition(":")[0]
    others = {path.partition(":")[0] for path in COMMANDS.values()} - {own}
    assert own in modules and not modules & others


def test_classify_needs_no_store() -> None:
    modules, done = imported("classify", "bump lodash to 4.17.21")
    assert done.returncode == 0 and "dependency" in done.stdout
    assert "duckdb" not in modules and "fastapi" not in modules


def test_analyze_json_into_a_pipe_loads_no_terminal_library(shop: GitRepo, tmp_path: Path) -> None:
    """`ktlo analyze REPO --json` with stderr not a terminal has no progress bar to draw and
    no table to print: rich and the terminal renderers are never imported (start-up)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    db = str(tmp_path / "shop.duckdb")
    modules, done = imported("analyze", str(shop.path), "--db", db, "--json", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["totals"]["commits"] == 9  # the merge is left out
    assert {m.partition(".")[0] for m in modules} & {"rich", "fastapi", "jinja2"} == set()
    assert "ktlo.render.terminal" not in modules and "ktlo.render.tables" not in modules


def test_a_mistyped_command_loads_no_command() -> None:
    modules, done = imported("allocaton")
    assert done.returncode == 2 and "Did you mean 'allocation'?" in done.stderr
    assert not {m for m in modules if m.startswith("ktlo.cli.")}


def reachable(command: click.Command) -> list[click.Command]:
    """The command and, for a group, every command under it."""
    if not isinstance(command, click.Group):
        return [command]
    return [command, *(c for sub in command.commands.values() for c in reachable(sub))]


def test_every_command_in_the_package_is_registered() -> None:
    registered = {id(c) for name in COMMANDS for c in reachable(main.commands[name])}
    for info in pkgutil.iter_modules(ktlo.cli.__path__, "ktlo.cli."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, click.Command) and value.callback.__module__ == info.name:
                assert id(value) in registered, f"{info.name}: {value.name} is not in COMMANDS"
    assert all(main.commands[name].name == name for name in COMMANDS)


@pytest.mark.parametrize(
    "command",
    [["analyze"], ["explain"], ["sync"], ["allocation"], ["rotation", "plan"], ["init"]],
)
def test_db_help_states_the_one_rule(command: list[str]) -> None:
    """Every command finds its store by the same rule, and says so in its help."""
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=1000)
    assert "(default: ./ktlo.duckdb; only `ktlo analyze PATH` alone keeps" in result.output
