"""`ktlo report`, `ktlo serve` and `ktlo demo`: the whole picture, as a file, a dashboard or a demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ktlo.choices import PERIODS
from ktlo.cli.inputs import command_inputs, flush_using, open_store, require_teams
from ktlo.cli.options import config_option, output_options, since_until_options, store_option
from ktlo.cli.output import console, print_csv, print_json


@click.command(name="report")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one self-contained HTML file (works offline, prints).",
)
@click.option("--team", help="Only this team (a name from ktlo.toml).")
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Bucket size."
)
@since_until_options
@click.option("--repo", help="Only this repository (its id, e.g. github.com/acme/shop).")
@click.option("--service", help="Only this service (the repositories that deploy it).")
@output_options
@config_option
@store_option
def report_command(
    html_file: Path | None, team: str | None, period: str, since: date | None, until: date | None,
    repo: str | None, service: str | None, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Balance, budgets, health, hotspots and rotation in one report: HTML, JSON, CSV or a summary.

    Example: ktlo report --html ktlo-report.html --since 1y
    """
    from ktlo.report.document import build_report, report_rows
    from ktlo.report.model import ReportFilters

    config, path = command_inputs(config_path, db)
    if team:
        require_teams(config, "report --team", "reports on one team")
    filters = ReportFilters(team, period, since, until, repo, service)
    with open_store(path, read_only=True) as store:
        doc = build_report(store, config, filters)
    if html_file:
        from ktlo.render.html import render_report

        html_file.write_text(render_report(doc), encoding="utf-8")
        click.echo(f"wrote {html_file} ({html_file.stat().st_size / 1e6:.1f} MB)", err=True)
    if as_json:
        print_json(doc)
    elif as_csv:
        print_csv(report_rows(doc))
    elif not html_file:
        from ktlo.render.summary import render_summary

        render_summary(doc, console())


@click.command(name="serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any but loopback needs --token.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port."
)
@click.option(
    "--token",
    envvar="KTLO_TOKEN",
    help="Require it on every request (Authorization: Bearer, or ?token= once). Env: KTLO_TOKEN.",
)
@config_option
@store_option
def serve_command(
    host: str, port: int, token: str | None, config_path: Path | None, db: Path | None
) -> None:
    """A local dashboard over the store: the report's views, filters, drill-down, corrections.

    Example: ktlo serve --db team.duckdb --port 8765

    Every page has a JSON twin (/teams/payments and /teams/payments.json), the API is at
    /openapi.json and Prometheus metrics at /metrics. `ktlo sync` may run meanwhile.
    """
    from ktlo.server import serve

    def announce(url: str) -> None:
        flush_using()
        click.echo(f"ktlo dashboard: {url} (Ctrl-C stops it)", err=True)

    config, path = command_inputs(config_path, db)
    serve(path, config, host, port, token, announce)


@click.command(name="demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Where to write the organisation, its store and its report.",
)
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="The same seed makes the same organisation.",
)
def demo_command(out: Path, seed: int) -> None:
    """Generate a realistic organisation (4 teams, 40 people, 12 months), ingest it and report on it.

    Example: ktlo demo --out demo-output
    """
    from ktlo.config import load_config
    from ktlo.demo import run_demo
    from ktlo.effort.allocation import budget_report
    from ktlo.planning.ktlo_mode.answer import ktlo_mode
    from ktlo.render.terminal import render_budget, render_demo_footer

    result = run_demo(
        out, seed, step=lambda message: click.echo(f"· {message}", err=True), checkout=Path.cwd()
    )
    config = load_config(result.config)
    with open_store(result.store, read_only=True) as store:
        render_budget(budget_report(store, config, "month"), console())
        modes = ktlo_mode(store, config)
    click.echo("\nKTLO mode (`ktlo mode` says why):")
    for team in modes.teams:
        click.echo(f"  {team.team}: {team.state_text}, risk {team.risk_text}")
    render_demo_footer(result, console())
