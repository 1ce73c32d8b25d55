"""`ktlo analyze`: mine git repositories and report on them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ktlo.choices import PERIODS
from ktlo.cli.inputs import config_dir, read_config, say_using, store_path
from ktlo.cli.mining import mine
from ktlo.cli.options import (
    BudgetBand,
    config_option,
    scale_options,
    since_until_options,
    store_option,
)
from ktlo.cli.output import console, print_csv, print_json
from ktlo.errors import ConfigError

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.ingest.prefetch import Prefetch
    from ktlo.workflows import Analysis


@click.command(name="analyze")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--recursive", "-r", is_flag=True, help="Each PATH is a folder: mine every repository under it."
)
@scale_options
@since_until_options
@click.option(
    "--period",
    type=click.Choice(PERIODS),
    default="month",
    show_default=True,
    help="Bucket size for shares and trend.",
)
@click.option(
    "--budget",
    type=BudgetBand(),
    default="20-40",
    show_default=True,
    help="KTLO budget band in percent.",
)
@click.option(
    "--top",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="Rows of hotspots and people.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document (see docs/analyze-json.md)."
)
@click.option("--csv", "as_csv", is_flag=True, help="Print one CSV row per period.")
@config_option
@store_option
def analyze_command(
    paths: tuple[Path, ...], recursive: bool, jobs: int | None, executor: str | None,
    since: date | None, until: date | None, period: str, budget: tuple[float, float],
    top: int, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Read git repositories' history and show the KTLO share, kinds, trend and hotspots.

    Example: ktlo analyze ~/src/shop --since 1y --period quarter

    One PATH alone keeps that repository's own store in ~/.cache/ktlo unless --db (or
    KTLO_DB) names one. Several PATHs (or --recursive over folders of clones, or with no
    PATH the [git] repositories of ktlo.toml) are mined in parallel, --jobs local processes
    or on a Dask cluster with --executor dask://HOST:PORT, and reported together with a
    table per repository (store: ./ktlo.duckdb unless --db). With no PATH and no [git]
    section, the repository whose top folder you are in. Exit status 1 if any repository
    failed.
    """
    from ktlo.launch import prefetch_for

    # A lone repository with no store yet: git starts reading before the rest of ktlo loads
    # (before the command line is parsed, when `ktlo` is run: ktlo.launch).
    early = prefetch_for(paths[0], db) if len(paths) == 1 and not recursive else None
    try:
        from functools import partial

        from ktlo.ingest.scale.executors import Engine
        from ktlo.metrics.repository import AnalyzeOptions, Budget
        from ktlo.workflows import analyze_repositories

        config = read_config(config_path)
        repos, single, own = _targets(paths, config, recursive)
        engine = Engine.parse(executor or config.git.executor, jobs or config.git.jobs)
        path = _store_for(db, repos[0], early) if own else store_path(db, reading=False)
        options = AnalyzeOptions(None, since, until, period, Budget(*budget), top)
        result = analyze_repositories(
            path, repos, engine, config, options,
            mine=partial(mine, quiet=single), early=early, hint=not (as_json or as_csv),
        )  # fmt: skip
    finally:
        if early is not None:
            early.close()
    _render(result, (as_json, as_csv), top)
    if result.run.failures:
        raise SystemExit(1)


def _targets(
    paths: tuple[Path, ...], config: Config, recursive: bool
) -> tuple[list[Path], bool, bool]:
    """The repositories to mine; whether they make a single-repository report; whether
    they get a store of their own (one PATH given, or the repository you are in)."""
    from ktlo.ingest.scale.discover import is_repository, repository_targets

    configured = config.git.paths(config_dir(config))
    if not paths and not configured and not is_repository(Path.cwd()):
        where = f"no [git] repositories in {config.path}" if config.path else "no ktlo.toml here"
        raise ConfigError(
            f"which repositories? No PATH given, {where}, and {Path.cwd()} is not a repository",
            "give one (`ktlo analyze ~/src/shop`), or list them in ktlo.toml under "
            '[git] repositories = ["~/src/*"] (docs/configuration.md#git)',
        )
    repos, single = repository_targets(paths, configured, recursive, config.git.recursive)
    return repos, single, single and bool(paths or not configured)


def _store_for(db: Path | None, repo: Path, early: Prefetch | None) -> Path:
    """--db (or KTLO_DB), else the repository's own store in ~/.cache/ktlo, said on stderr."""
    if db is not None:
        return store_path(db, reading=False)
    from ktlo.sources import git
    from ktlo.store import default_store_path

    own = early.store if early else default_store_path(git.open_repository(repo).path)
    say_using(
        f"Using the store {own} (this repository's own: one PATH and no --db or KTLO_DB given)."
    )
    return own


def _render(result: Analysis, output: tuple[bool, bool], top: int) -> None:
    doc, run, hint = result.document, result.run, result.hint
    as_json, as_csv = output
    if doc is not None and as_json:
        from ktlo.ingest.scale.runner import run_json

        print_json(doc.model_copy(update={"ingest": run_json(run)}).to_json())
    elif doc is not None and as_csv:
        from ktlo.render.rows import analysis_rows

        print_csv(analysis_rows(doc))
    elif doc is not None:
        from ktlo.render.mining import render_repositories
        from ktlo.render.terminal import render_analysis

        render_analysis(doc, console(), hint)
        render_repositories(doc, console(), top)
