"""`ktlo analyze`: mine git repositories and report on them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ktlo.choices import PERIODS
from ktlo.cli.inputs import config_dir, open_store, read_config
from ktlo.cli.mining import mine
from ktlo.cli.options import (
    ANALYZE_STORE,
    BudgetBand,
    config_option,
    db_option,
    scale_options,
    since_until_options,
)
from ktlo.cli.output import console, print_csv, print_json

if TYPE_CHECKING:
    from ktlo.scale import RunSummary


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
@db_option(ANALYZE_STORE)
def analyze_command(
    paths: tuple[Path, ...], recursive: bool, jobs: int | None, executor: str | None,
    since: date | None, until: date | None, period: str, budget: tuple[float, float],
    top: int, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Read git repositories' history and show the KTLO share, kinds, trend and hotspots.

    Example: ktlo analyze ~/src/shop --since 1y --period quarter

    Several PATHs (or --recursive over folders of clones, or [git] repositories in
    ktlo.toml) are mined in parallel, --jobs local processes or on a Dask cluster with
    --executor dask://HOST:PORT, and reported together with a table per repository
    (store: ./ktlo.duckdb unless --db). Exit status 1 if any repository failed.
    """
    from ktlo.prefetch import prefetch

    # A lone repository with no store yet: git starts reading before the rest of ktlo loads.
    early = prefetch(paths[0], db) if len(paths) == 1 and not recursive else None
    try:
        from ktlo.analysis import AnalyzeOptions, Budget, analyze
        from ktlo.scale import Engine
        from ktlo.scale.discover import repository_targets
        from ktlo.sources import git
        from ktlo.store import default_store_path

        config = read_config(config_path)
        repos, single = repository_targets(
            paths, config.git.paths(config_dir(config)), recursive, config.git.recursive
        )
        engine = Engine.parse(executor or config.git.executor, jobs or config.git.jobs)
        default = None
        if single:
            default = (
                early.store if early else default_store_path(git.open_repository(repos[0]).path)
            )
        with open_store(db or default or Path("ktlo.duckdb")) as store:
            run = mine(store, repos, engine, quiet=single, early=early)
            if config.rules:
                from ktlo.reclassify import reclassify

                reclassify(store, config)
            options = AnalyzeOptions(
                None, since, until, period, Budget(*budget), top, run.repo_ids, folders=run.folders
            )
            doc = analyze(store, options, config) if run.repo_ids else None
    finally:
        if early is not None:
            early.close()
    _render(doc, run, as_json, as_csv, top)
    if run.failures:
        raise SystemExit(1)


def _render(
    doc: dict[str, Any] | None, run: RunSummary, as_json: bool, as_csv: bool, top: int
) -> None:
    if doc is not None and as_json:
        from ktlo.scale.runner import run_json

        print_json({**doc, "ingest": run_json(run)})
    elif doc is not None and as_csv:
        from ktlo.report.rows import analysis_rows

        print_csv(analysis_rows(doc))
    elif doc is not None:
        from ktlo.report.scale import render_repositories
        from ktlo.report.terminal import render_analysis

        render_analysis(doc, console())
        render_repositories(doc, console(), top)
