"""`ktlo rotation plan` and `ktlo rotation review`: a fair KTLO / on-call rotation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ktlo.cli.inputs import command_inputs, open_store, require_teams
from ktlo.cli.options import RelativeOrIsoDate, config_option, store_option
from ktlo.cli.output import console, emit, print_json, write_csv


@click.group(name="rotation")
def rotation_group() -> None:
    """Plan a fair KTLO / on-call rotation, and review past shifts.

    Example: ktlo rotation plan --team payments --start 2026-12-07 --periods 8 --secondary
    """


@rotation_group.command(name="plan")
@click.option("--team", required=True, help="The team (a name from ktlo.toml).")
@click.option(
    "--start", type=RelativeOrIsoDate(), required=True, help="First day of the first period."
)
@click.option(
    "--periods", type=click.IntRange(1, 520), default=8, show_default=True, help="How many periods."
)
@click.option(
    "--length",
    type=click.Choice(["day", "week", "sprint"]),
    default="week",
    show_default=True,
    help="Period length (sprint: the team's sprint_days).",
)
@click.option("--secondary", is_flag=True, help="Also assign a secondary for each period.")
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an iCalendar file.",
)
@click.option(
    "--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), help="Write a CSV file."
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@config_option
@store_option
def rotation_plan_command(
    team: str, start: date, periods: int, length: str, secondary: bool, ics_file: Path | None,
    csv_file: Path | None, as_json: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Assign each period a primary (and a secondary), fairly, around time off and time zones.

    Example: ktlo rotation plan --team payments --start 2026-12-07 --periods 8 --ics oncall.ics
    """
    from ktlo.planning.rotation import plan_rotation, to_ics, to_rows
    from ktlo.planning.team import find_team, team_members
    from ktlo.render.terminal import render_rotation

    config, store_path = command_inputs(config_path, db, reading=False)
    require_teams(config, "rotation plan", "plans one team's rotation")
    chosen = find_team(config, team)
    if store_path.exists():
        with open_store(store_path, read_only=True) as store:
            members = team_members(config, chosen, store, start)
    else:
        click.echo(
            f"Note: no store at {store_path}: planned without anyone's recent KTLO load "
            "or weeks on call (run `ktlo sync` first to weigh them)",
            err=True,
        )
        members = team_members(config, chosen, None, start)
    plan = plan_rotation(team, members, start, periods, length, chosen.sprint_days, secondary)
    rows = to_rows(plan)
    if ics_file:
        ics_file.write_bytes(to_ics(plan))
    if csv_file:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            write_csv(rows, handle)
    if as_json:
        print_json({"team": team, "length": plan.length, "period_days": plan.period_days,
                    "regions": plan.regions, "shifts": rows, "load": plan.load,
                    "shifts_by_person": plan.shifts_by_person, "warnings": plan.warnings})  # fmt: skip
    else:
        render_rotation(plan, rows, console())
    for warning in plan.warnings:
        click.echo(f"Note: {warning}", err=True)


@rotation_group.command(name="review")
@click.option("--team", required=True, help="The team (a name from ktlo.toml).")
@click.option(
    "--since",
    type=RelativeOrIsoDate(),
    default="90d",
    show_default=True,
    help="First day to review.",
)
@click.option(
    "--schedule",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Who was on call: the CSV `rotation plan --csv` wrote (default: inferred from acknowledgements).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="Print one CSV row per shift.")
@config_option
@store_option
def rotation_review_command(
    team: str,
    since: date,
    schedule: Path | None,
    as_json: bool,
    as_csv: bool,
    config_path: Path | None,
    db: Path | None,
) -> None:
    """The load of each past shift, fairness across people, follow-ups, and which model works.

    Example: ktlo rotation review --team payments --since 6m
    """
    from ktlo.planning.rotation_review import rotation_review
    from ktlo.planning.team import find_team

    config, path = command_inputs(config_path, db)
    require_teams(config, "rotation review", "reviews one team's shifts")
    with open_store(path, read_only=True) as store:
        doc = rotation_review(store, config, find_team(config, team), since, schedule)
    from ktlo.render.rows import rotation_review_rows
    from ktlo.render.terminal import render_rotation_review

    emit(doc, as_json, as_csv, render_rotation_review, rotation_review_rows)
    for warning in doc.warnings:
        click.echo(f"Note: {warning}", err=True)
