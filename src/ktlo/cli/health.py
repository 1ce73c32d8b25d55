"""`ktlo health`: the operational scorecard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ktlo.choices import DEFINITIONS, DORA_FIGURES, PERIODS
from ktlo.cli.inputs import command_inputs, open_store, require_teams
from ktlo.cli.options import RelativeOrIsoDate, config_option, output_options, store_option
from ktlo.cli.output import emit


@click.command(name="health")
@click.option("--team", help="Only this team's services and repositories (a name from ktlo.toml).")
@click.option(
    "--service", help="Only this service (and the repositories [services.NAME] gives it)."
)
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True,
    help="Window size: every figure is for the last one, beside the one before.",
)  # fmt: skip
@click.option(
    "--definition", type=click.Choice(DEFINITIONS), default=None,
    help="DORA formulas and thresholds (default: [health] definition, else ktlo; docs/metrics.md).",
)  # fmt: skip
@click.option(
    "--until",
    type=RelativeOrIsoDate(),
    help="Day after the window (default: after the newest record).",
)
@click.option("--mean", is_flag=True, help="Show means beside medians and p90s.")
@click.option(
    "--explain", type=click.Choice(DORA_FIGURES), default=None, metavar="FIGURE",
    help="List what one DORA figure counted (deployments, changes, incidents) and why: "
    f"{', '.join(DORA_FIGURES)}. --json lists them for every figure.",
)  # fmt: skip
@output_options
@config_option
@store_option
def health_command(
    team: str | None, service: str | None, period: str, definition: str | None, until: date | None,
    mean: bool, explain: str | None, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """One scorecard: DORA, incidents, bugs, builds, alerts and SLOs, each with trend and bucket.

    Example: ktlo health --team payments --period quarter --definition devlake-2023
    Example: ktlo health --definition fourkeys --explain lead_time
    """
    from ktlo.metrics.common import HealthOptions
    from ktlo.metrics.health import health
    from ktlo.render.health import explained, health_rows, render_explain, render_health

    config, path = command_inputs(config_path, db)
    if team:
        require_teams(config, "health --team", "shows one team's services and repositories")
    items = as_json or explain is not None
    options = HealthOptions(team, service, period, definition, until, mean, items)
    with open_store(path, read_only=True) as store:
        doc = health(store, config, options)
    if explain:
        emit(explained(doc, explain), as_json, as_csv, render_explain, lambda d: d["items"])
    else:
        emit(doc, as_json, as_csv, render_health, health_rows)
