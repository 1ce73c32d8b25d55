"""`ktlo deps-risk`: freshness and known vulnerabilities of the dependencies.

A separate command until it is wired into `ktlo deps` as that command's `freshness` and
`vulnerabilities` sections (issue 20); the options carry over unchanged.
"""

from __future__ import annotations

from pathlib import Path

import click

from ktlo.cli.inputs import command_inputs, open_store, require_teams
from ktlo.cli.options import config_option, output_options, store_option
from ktlo.cli.output import emit


@click.command(name="deps-risk")
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
@output_options
@config_option
@store_option
def deps_risk_command(
    team: str | None, offline: bool, osv_export: Path | None, max_age: int, as_json: bool,
    as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Libyears, versions behind, open vulnerabilities and time to patch per repository and team.

    Release dates come from the package registries and advisories from OSV, cached in the
    store; offline (or unreachable) it works from the cache and says what it could not refresh.

    Example: ktlo deps-risk --team payments --osv-export PyPI-all.zip
    """
    from datetime import timedelta

    from ktlo.ingest.dependency_risk import default_client, load_export, refresh
    from ktlo.metrics.dependency_risk import dependency_risk, risk_rows
    from ktlo.render.dependency_risk import render_dependency_risk

    config, path = command_inputs(config_path, db)
    if team:
        require_teams(config, "deps-risk --team", "shows one team's dependencies")
    not_refreshed: list[str] = []
    with open_store(path) as store:
        (inventoried,) = store.con.execute(
            "SELECT count(*) FROM dependency_changes"
        ).fetchone() or (0,)
        if not inventoried:  # no figure below may read as a measured zero
            not_refreshed.append(
                "no dependencies inventoried yet: run `ktlo deps` first (it reads every "
                "manifest and lockfile of the repositories); the figures are empty, not zero"
            )
        if osv_export is not None:
            load_export(store, osv_export)
        if offline:
            not_refreshed.append("offline: no registry nor OSV was asked")
        else:
            outcome = refresh(
                store, default_client(), max_age=timedelta(hours=max_age),
                ask_osv=osv_export is None,
            )  # fmt: skip
            not_refreshed += outcome.not_refreshed
        doc = dependency_risk(
            store, config, team=team, not_refreshed=not_refreshed, with_effort=True
        )
    emit(doc, as_json, as_csv, render_dependency_risk, risk_rows)
