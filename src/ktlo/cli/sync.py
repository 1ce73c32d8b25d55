"""`ktlo sync`: bring in work from trackers, CI, incident tools and git, incrementally."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ktlo.cli.inputs import command_inputs, config_dir
from ktlo.cli.mining import mine
from ktlo.cli.options import config_option, scale_options, store_option
from ktlo.cli.output import console, err_console
from ktlo.errors import ConfigError

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.ingest.sync import SourceResult
    from ktlo.render.sync import SyncProgress
    from ktlo.sources.base import Reporter, Source


@click.command(name="sync")
@click.argument("names", metavar="[SOURCE]...", nargs=-1)
@config_option
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Load a saved API answer or export instead of the network (no token needed).",
)
@click.option(
    "--source",
    "source_name",
    help="The source --from-file belongs to: a name from ktlo.toml, or a type (github, files).",
)
@scale_options
@store_option
def sync_command(
    names: tuple[str, ...],
    config_path: Path | None,
    from_file: Path | None,
    source_name: str | None,
    jobs: int | None,
    executor: str | None,
    db: Path | None,
) -> None:
    """Bring in work from trackers, CI and incident tools, incrementally (docs/sources.md).

    Example: ktlo sync github --db team.duckdb

    Syncs the SOURCEs named (default: every [sources.NAME] in ktlo.toml) into the store
    (default: ./ktlo.duckdb). Tokens come from the environment variables ktlo.toml names.
    A killed sync loses nothing stored; run it again to resume. With --from-file FILE
    --source NAME, a saved answer (e.g. `gh api --paginate ...`) or an export is loaded.
    The source `git` is the [git] repositories of ktlo.toml, mined in parallel (--jobs,
    --executor; docs/scaling.md); it is part of the default.
    """
    from ktlo.ingest.scale.executors import Engine
    from ktlo.ingest.sync import plan_sync
    from ktlo.render.sync import SyncProgress, render_sync_summary
    from ktlo.workflows import sync_all

    config, path = command_inputs(config_path, db, reading=False)
    repos, names = _git_in_sync(config, names, from_file)
    engine = Engine.parse(executor or config.git.executor, jobs or config.git.jobs)
    sources = (
        plan_sync(config, names, from_file=from_file, source_name=source_name)
        if names or from_file or not repos
        else []
    )
    outcome = sync_all(
        path, config, repos, sources, engine,
        mine=mine, reporting=lambda: _reporting(SyncProgress(err_console())), from_file=from_file,
    )  # fmt: skip
    if outcome.results:
        render_sync_summary(outcome.results, console())
    _tell(outcome.results, outcome.learned, outcome.failed)
    if outcome.failed:
        raise SystemExit(1)


@contextmanager
def _reporting(progress: SyncProgress) -> Iterator[Callable[[Source], Reporter]]:
    """The sync's progress bars, shown while the sources sync."""
    with progress:
        yield progress.reporter


def _tell(results: list[SourceResult], learned: list[str], failed: bool) -> None:
    """On stderr: each source's warnings, what learning did, then the errors last."""
    for result in results:
        for note in result.warnings:
            click.echo(f"Warning: {result.name}: {note}", err=True)
    for line in learned:
        click.echo(line, err=True)
    if failed:
        click.echo(
            "learned model: left as it was, and no verdict changed by it, because the sync "
            "failed; fix the error and sync again (or run `ktlo reclassify`)",
            err=True,
        )
    for result in results:
        if result.error is not None:
            click.echo(f"Error: {result.error}", err=True)


def _git_in_sync(
    config: Config, names: tuple[str, ...], from_file: Path | None
) -> tuple[list[Path], tuple[str, ...]]:
    """The git repositories a sync mines (the source `git`), and the other sources named."""
    wanted = from_file is None and (not names or "git" in names)
    if "git" in names and not config.git.repositories:
        raise ConfigError(
            "no git repositories to sync", 'list them under [git] repositories = ["~/src/*"]'
        )
    others = tuple(n for n in names if n != "git")
    if not wanted or not config.git.repositories:
        return [], others
    from ktlo.ingest.scale.discover import repository_targets

    configured = config.git.paths(config_dir(config))
    repos, _ = repository_targets([], configured, False, config.git.recursive)
    if not names and config.sources:  # the default: git and every configured source
        others = tuple(config.sources)
    return repos, others
