"""The `ktlo` command: a thin layer that parses options, calls the library and renders.

Start-up is lazy, because every command pays for it (`ktlo allocation` must answer in
under 2 s): this module imports click and none of the library. A command's module is
imported when the command is looked up (`COMMANDS`), and imports only click and the
helpers of this package; the library a command calls is imported inside its body. So
`ktlo --help` and `ktlo classify` never load DuckDB, pydantic, FastAPI or the sources.

    __init__    the `main` group: our errors become one line; the command registry
    options     option decorators and parameter types shared by the commands
    inputs      finding and opening the configuration and the store
    output      JSON, CSV and terminal output
    mining      mining git repositories with progress (analyze, sync)
    analyze  classify  verdicts  allocation  health  planning  rotation  report
    sync  starter                the commands, one concept per module
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import click

from ktlo import __version__
from ktlo.errors import KtloError

#: Every command, by name: `module:attribute` of its click command, imported on first use.
COMMANDS = {
    "allocation": "ktlo.cli.allocation:allocation_command",
    "analyze": "ktlo.cli.analyze:analyze_command",
    "budget": "ktlo.cli.allocation:budget_command",
    "capitalization": "ktlo.cli.allocation:capitalization_command",
    "classify": "ktlo.cli.classify:classify_command",
    "demo": "ktlo.cli.report:demo_command",
    "deps": "ktlo.cli.deps:deps_command",
    "eval": "ktlo.cli.classify:eval_command",
    "explain": "ktlo.cli.verdicts:explain_command",
    "flow": "ktlo.cli.planning:flow_command",
    "forecast": "ktlo.cli.planning:forecast_command",
    "health": "ktlo.cli.health:health_command",
    "init": "ktlo.cli.starter:init_command",
    "mode": "ktlo.cli.planning:mode_command",
    "override": "ktlo.cli.verdicts:override_command",
    "reclassify": "ktlo.cli.verdicts:reclassify_command",
    "report": "ktlo.cli.report:report_command",
    "review": "ktlo.cli.verdicts:review_command",
    "rotation": "ktlo.cli.rotation:rotation_group",
    "serve": "ktlo.cli.report:serve_command",
    "sprints": "ktlo.cli.planning:sprints_command",
    "sync": "ktlo.cli.sync:sync_command",
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name; each is imported from its module when first looked up.

    Listing the names (completion, "did you mean") imports nothing; `--help` imports the
    command modules for their one-line help, which are light by design.
    """

    def __init__(self, paths: Mapping[str, str]) -> None:
        self._paths = dict(paths)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, _, attribute = self._paths[name].partition(":")
            # __import__ rather than importlib.import_module: -X importtime reports it
            command = getattr(__import__(module, fromlist=[attribute]), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._paths[name]} is not a click command")
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._paths.pop(name, None)
        self._loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._paths or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        yield from self._paths
        yield from (name for name in self._loaded if name not in self._paths)

    def __len__(self) -> int:
        return len(self._paths.keys() | self._loaded.keys())


class KtloGroup(click.Group):
    """Turns ktlo's own errors into one line on stderr; a traceback only with --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            answer = super().invoke(ctx)
            _say_using(ctx)  # which store and config, when implicit: after the answer
            return answer
        except SystemExit:  # an answer given with a failure (a repository that failed)
            _say_using(ctx)
            raise
        except KtloError as exc:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo(
                "Interrupted — everything stored so far is kept; run the same command again to resume.",
                err=True,
            )
            ctx.exit(130)


def _say_using(ctx: click.Context) -> None:
    """The `Using ...` lines a command left (cli/inputs.py), printed once it has answered."""
    for line in ctx.meta.pop(USING, []):
        click.echo(line, err=True)


#: Where a command leaves the `Using ...` lines the group prints after it answers.
USING = "ktlo.using"


@click.group(
    cls=KtloGroup,
    commands=LazyCommands(COMMANDS),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="ktlo")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Make keep-the-lights-on work visible: how much of the work is KTLO, of which kind, where."""
