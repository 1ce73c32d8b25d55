"""Steering a team: `ktlo mode` (KTLO mode or not), `ktlo forecast` and `ktlo sprints`."""

from __future__ import annotations

from pathlib import Path

import click

from ktlo.cli.inputs import command_inputs, open_store, require_teams
from ktlo.cli.options import config_option, output_options, store_option
from ktlo.cli.output import emit


@click.command(name="mode")
@click.option("--team", help="Only this team (a name from ktlo.toml).")
@click.option(
    "--period",
    type=click.Choice(["week", "month"]),
    default="month",
    show_default=True,
    help="Window size.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One object per team: team, state, risk, reasons, history, focus.",
)
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per team and window.")
@config_option
@store_option
def mode_command(
    team: str | None, period: str, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Should a team enter KTLO mode (reliability first)? enter, stay, exit or normal, with the reasons.

    Example: ktlo mode --team payments
    """
    from ktlo.planning.ktlo_mode.answer import ktlo_mode

    config, path = command_inputs(config_path, db)
    require_teams(config, "mode", "judges each team's reliability and KTLO share")
    if team:
        from ktlo.planning.team import find_team

        find_team(config, team)
    with open_store(path, read_only=True) as store:
        doc = ktlo_mode(store, config, team, period)
    from ktlo.render.rows import mode_rows
    from ktlo.render.terminal import render_mode

    emit(doc, as_json, as_csv, render_mode, mode_rows)


@click.command(name="forecast")
@click.option("--team", help="Only this team (a name from ktlo.toml).")
@click.option(
    "--horizon", type=click.IntRange(1, 4), default=2, show_default=True, help="Quarters ahead."
)
@click.option(
    "--period",
    type=click.Choice(["month", "quarter"]),
    default="month",
    show_default=True,
    help="Bucket size.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the history and forecast as CSV rows.")
@config_option
@store_option
def forecast_command(
    team: str | None,
    horizon: int,
    period: str,
    as_json: bool,
    as_csv: bool,
    config_path: Path | None,
    db: Path | None,
) -> None:
    """The KTLO share expected ahead, with an 80% band, and the person-days it leaves for new work.

    Example: ktlo forecast --team payments --horizon 2
    """
    from ktlo.planning.outlook import outlook

    config, path = command_inputs(config_path, db)
    if team:
        require_teams(config, "forecast --team", "forecasts one team")
    with open_store(path, read_only=True) as store:
        doc = outlook(store, config, team, horizon, period)
    from ktlo.render.rows import forecast_rows
    from ktlo.render.terminal import render_forecast

    emit(doc, as_json, as_csv, render_forecast, forecast_rows)


@click.command(name="sprints")
@click.option("--team", help="Only this team's sprints or cycles.")
@output_options
@config_option
@store_option
def sprints_command(
    team: str | None, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None
) -> None:
    """Planned against actual KTLO share per sprint (Jira) or cycle (Linear), and unplanned work.

    Example: ktlo sprints --team payments
    """
    from ktlo.planning.sprints import sprint_report

    config, path = command_inputs(config_path, db)
    with open_store(path, read_only=True) as store:
        doc = sprint_report(store, config, team)
    from ktlo.render.terminal import render_sprints

    emit(doc, as_json, as_csv, render_sprints, lambda d: [s.model_dump() for s in d.sprints])


@click.command(name="flow")
@click.option("--team", help="Only this team (a name from ktlo.toml).")
@click.option(
    "--period",
    default="month",
    show_default=True,
    help="The window throughput and cycle time count, and the trend's bucket: week, month or "
    "quarter up to the newest event; or a period (2026-09, 2026-W36, 2026-Q3): its flow and "
    "the work in progress at its end.",
)
@output_options
@config_option
@store_option
def flow_command(
    team: str | None, period: str, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Kanban flow per kind of work: cycle time, throughput, work in progress and its age, items past their SLE, KTLO WIP limits.

    Example: ktlo flow --team payments --period month; ktlo flow --team mobile --period 2026-09
    """
    from ktlo.planning.flow import flow_report

    config, path = command_inputs(config_path, db)
    if team:
        from ktlo.planning.team import find_team

        find_team(config, team)
    with open_store(path, read_only=True) as store:
        doc = flow_report(store, config, team, period)
    from ktlo.render.flow import flow_rows, render_flow

    emit(doc, as_json, as_csv, render_flow, flow_rows)
