"""`ktlo deps`: the dependencies each repository holds now, their freshness, known
vulnerabilities and time to patch."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ktlo.cli.inputs import command_inputs, open_store
from ktlo.cli.options import config_option, output_options, store_option
from ktlo.cli.output import emit


@click.command(name="deps")
@click.option("--team", help="Only this team's repositories (a name from ktlo.toml).")
@click.option(
    "--offline", is_flag=True, help="Ask no registry nor OSV: work from what the store holds."
)
@click.option(
    "--osv-export",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An OSV export zip (one ecosystem's all.zip) to read advisories from instead of the API.",
)
@click.option(
    "--max-age",
    type=click.IntRange(0, 24 * 365),
    default=24,
    show_default=True,
    help="Hours a package's cached releases and advisories stay fresh.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the figures are for (default today): releases and advisories after it "
    "are left out.",
)
@output_options
@config_option
@store_option
def deps_command(
    team: str | None, offline: bool, osv_export: Path | None, max_age: int,
    as_of: datetime | None, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Which package at which version each repository holds, its libyears and versions
    behind, open vulnerabilities and time to patch, per repository and team.

    Reads the manifests' and lockfiles' history of every repository the store knows first
    (only what is new), then asks the package registries for release dates and OSV for
    advisories (cached in the store); offline, or when they cannot be reached, it works
    from the cache and says what it could not refresh.

    Example: ktlo deps --team payments --offline --osv-export PyPI-all.zip --json
    """
    from ktlo.metrics.dependencies import package_rows
    from ktlo.planning.team import find_team
    from ktlo.render.dependencies import render_deps
    from ktlo.workflows import DepsOptions, dependencies

    config, path = command_inputs(config_path, db)
    if team is not None:
        find_team(config, team)  # an unknown team is one clear error
    options = DepsOptions(team, offline, osv_export, max_age, as_of.date() if as_of else None)
    with open_store(path) as store:
        doc = dependencies(store, config, options)
    emit(doc, as_json, as_csv, render_deps, package_rows)
    for note in doc.notes:
        click.echo(f"Note: {note}", err=True)
