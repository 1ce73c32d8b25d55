"""`ktlo allocation`, `ktlo budget` and `ktlo capitalization`: where the effort went, each team
against its band, and what of it is capitalizable R&D."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ktlo.choices import GROUPINGS, PERIODS
from ktlo.cli.inputs import command_inputs, open_store, require_teams
from ktlo.cli.options import config_option, output_options, since_until_options, store_option
from ktlo.cli.output import emit


@click.command(name="allocation")
@click.option("--team", help="Only this team (a name from ktlo.toml).")
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Bucket size."
)
@click.option(
    "--by",
    type=click.Choice(GROUPINGS),
    default="investment",
    show_default=True,
    help="Group effort by.",
)
@since_until_options
@output_options
@config_option
@store_option
def allocation_command(
    team: str | None, period: str, by: str, since: date | None, until: date | None,
    as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Person-days and FTE per investment, kind, team, repository or person, with the KTLO budget.

    Example: ktlo allocation --team payments --period quarter --by subcategory
    """
    from ktlo.effort.allocation import AllocationOptions, allocation, allocation_rows

    config, path = command_inputs(config_path, db)
    if by == "team" or team:
        require_teams(config, "allocation " + ("--by team" if by == "team" else "--team"),
                      "shows each team's effort")  # fmt: skip
    with open_store(path, read_only=True) as store:
        doc = allocation(store, config, AllocationOptions(team, period, by, since, until))
    from ktlo.render.terminal import render_allocation

    emit(doc, as_json, as_csv, render_allocation, allocation_rows)


@click.command(name="budget")
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Bucket size."
)
@output_options
@config_option
@store_option
def budget_command(
    period: str, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None
) -> None:
    """Each team's KTLO share against its band: last complete period, last 91 days, drift, drivers.

    Example: ktlo budget --period month
    """
    from ktlo.effort.allocation import budget_report

    config, path = command_inputs(config_path, db)
    require_teams(config, "budget", "compares each team's KTLO share with the team's band")
    with open_store(path, read_only=True) as store:
        doc = budget_report(store, config, period)
    from ktlo.render.rows import budget_rows
    from ktlo.render.terminal import render_budget

    emit(doc, as_json, as_csv, render_budget, budget_rows, drop=("drivers",))


@click.command(name="capitalization")
@click.option("--team", help="Only this team (a name from ktlo.toml).")
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Bucket size."
)
@click.option("--items", "with_items", is_flag=True, help="List the items behind each figure.")
@output_options
@config_option
@store_option
def capitalization_command(
    team: str | None, period: str, with_items: bool, as_json: bool, as_csv: bool,
    config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Each team's effort and cost per period: capitalizable R&D and expensed work.

    Capitalizable: new work on initiatives ktlo.toml marks `capitalizable = true`
    (docs/capitalization.md). Example: ktlo capitalization --period month --csv
    """
    from ktlo.effort.capitalization import capitalization, capitalization_rows

    config, path = command_inputs(config_path, db)
    require_teams(config, "capitalization", "splits each team's effort and cost")
    with open_store(path, read_only=True) as store:
        doc = capitalization(store, config, period, team, with_items)
    from ktlo.render.capitalization import render_capitalization

    emit(doc, as_json, as_csv, render_capitalization, capitalization_rows)
