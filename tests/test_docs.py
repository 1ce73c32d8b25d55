"""Docs that test themselves: every command has help and an example in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from ktlo.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_an_example(name: str) -> None:
    command = main.commands[name]
    assert command.help and "Example:" in command.help
    assert f"ktlo {name}" in README, f"README has no example of `ktlo {name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help(name: str) -> None:
    for param in main.commands[name].params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"ktlo {name} {param.opts[0]} has no help text"


def test_quick_start_has_exactly_the_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in quick.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make demo", "make test"]
