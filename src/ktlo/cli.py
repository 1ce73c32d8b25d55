"""The `ktlo` command: a thin layer that parses options, calls the library and renders."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console

from ktlo import __version__
from ktlo.allocation import GROUPINGS, AllocationOptions, allocation, allocation_rows, budget_report
from ktlo.analysis import PERIODS, AnalyzeOptions, Budget, analyze
from ktlo.classify import classify
from ktlo.classify.evaluate import evaluate, read_labeled
from ktlo.config import Config, find_config, load_config
from ktlo.errors import ConfigError, InputError, KtloError
from ktlo.explain import explain_commit
from ktlo.learning import describe as describe_learning
from ktlo.learning import learn_after_sync
from ktlo.metrics.definitions import DEFINITIONS
from ktlo.overrides import list_overrides, remove_override, set_override
from ktlo.reclassify import reclassify
from ktlo.records import Verdict, WorkText
from ktlo.report.terminal import (
    render_allocation,
    render_analysis,
    render_budget,
    render_demo_footer,
    render_evaluation,
    render_explanation,
    render_forecast,
    render_mode,
    render_overrides,
    render_rotation,
    render_rotation_review,
    render_sprints,
)
from ktlo.scale import Engine, RunSummary, ingest_many
from ktlo.scale.discover import repository_targets
from ktlo.scale.runner import run_json
from ktlo.sources import git
from ktlo.starter import starter_config
from ktlo.store import Store, default_store_path

stderr = Console(stderr=True)


class KtloGroup(click.Group):
    """Turns ktlo's own errors into one line on stderr; a traceback only with --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KtloError as exc:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo(
                "Interrupted — everything stored so far is kept; run the same command again to resume.",
                err=True,
            )
            ctx.exit(130)


class RelativeOrIsoDate(click.ParamType[date]):
    """`2026-01-31`, or a span back from today: `90d`, `12w`, `6m`, `2y`."""

    name = "DATE"
    _SPAN = re.compile(r"^(\d+)([dwmy])$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        span = self._SPAN.match(text)
        if span:
            days = int(span[1]) * {"d": 1, "w": 7, "m": 30, "y": 365}[span[2]]
            return date.today() - timedelta(days=days)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date: use YYYY-MM-DD or a span such as 90d, 12w, 6m, 1y")


class BudgetBand(click.ParamType[Budget]):
    """`20-40` (percent) -> Budget(0.2, 0.4)."""

    name = "LOW-HIGH"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Budget:
        if isinstance(value, Budget):
            return value
        match = re.fullmatch(r"\s*(\d{1,3})\s*-\s*(\d{1,3})\s*%?\s*", str(value))
        if not match or not int(match[1]) <= int(match[2]) <= 100:
            self.fail(f"{value!r} is not a band: use LOW-HIGH in percent, e.g. 20-40")
        return Budget(int(match[1]) / 100, int(match[2]) / 100)


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="KTLO_DB",
        help="The store file (default: a per-repository store in ~/.cache/ktlo). Env: KTLO_DB.",
    )(func)


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="KTLO_CONFIG",
        help="The ktlo.toml to use (default: ./ktlo.toml when present). Env: KTLO_CONFIG.",
    )(func)


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(func)


@click.group(cls=KtloGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ktlo")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Make keep-the-lights-on work visible: how much of the work is KTLO, of which kind, where."""


def scale_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs and --executor: where repositories are mined (docs/scaling.md)."""
    func = click.option(
        "--executor",
        envvar="KTLO_EXECUTOR",
        help="local (default), or dask://HOST:PORT to mine on a Dask cluster. Env: KTLO_EXECUTOR.",
    )(func)
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(1),
        help="Local processes mining at once (default: [git] jobs in ktlo.toml, else the cores).",
    )(func)


@main.command(name="analyze")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--recursive", "-r", is_flag=True, help="Each PATH is a folder: mine every repository under it."
)
@scale_options
@click.option(
    "--since", type=RelativeOrIsoDate(), help="First day to include (YYYY-MM-DD or 90d, 6m, 1y)."
)
@click.option("--until", type=RelativeOrIsoDate(), help="Day after the last to include.")
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
@db_option
def analyze_command(
    paths: tuple[Path, ...], recursive: bool, jobs: int | None, executor: str | None,
    since: date | None, until: date | None, period: str, budget: Budget,
    top: int, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Read git repositories' history and show the KTLO share, kinds, trend and hotspots.

    Example: ktlo analyze ~/src/shop --since 1y --period quarter

    Several PATHs (or --recursive over folders of clones, or [git] repositories in
    ktlo.toml) are mined in parallel, --jobs local processes or on a Dask cluster with
    --executor dask://HOST:PORT, and reported together with a table per repository
    (store: ./ktlo.duckdb unless --db). Exit status 1 if any repository failed.
    """
    from ktlo.report.scale import render_repositories

    config = load_config(find_config(config_path))
    repos, single = repository_targets(
        paths, config.git.paths(_config_dir(config)), recursive, config.git.recursive
    )
    engine = Engine.parse(executor or config.git.executor, jobs or config.git.jobs)
    default = default_store_path(git.open_repository(repos[0]).path) if single else None
    with Store.open(db or default or Path("ktlo.duckdb")) as store:
        run = _mine(store, repos, engine, quiet=single)
        if config.rules:
            reclassify(store, config)
        options = AnalyzeOptions(None, since, until, period, budget, top, run.repo_ids)
        doc = analyze(store, options, config) if run.repo_ids else None
    if doc is not None and as_json:
        _print_json({**doc, "ingest": run_json(run)})
    elif doc is not None and as_csv:
        from ktlo.report.rows import analysis_rows

        _print_csv(analysis_rows(doc))
    elif doc is not None:
        render_analysis(doc, _out())
        render_repositories(doc, _out(), top)
    if run.failures:
        raise SystemExit(1)


@main.command(name="classify")
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    help="Read JSON lines (`-` for stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict of TEXT as JSON.")
@click.option("--file", "files", multiple=True, help="A path the change touched (repeatable).")
@click.option("--label", "labels", multiple=True, help="A label the item carries (repeatable).")
def classify_command(
    text: str | None,
    jsonl: TextIO | None,
    as_json: bool,
    files: tuple[str, ...],
    labels: tuple[str, ...],
) -> None:
    """Classify one TEXT, or a stream of JSON lines, and say why.

    Example: ktlo classify "fix(api): handle empty cart"

    With --jsonl, each input line is {"id", "title", "body", "files", "labels"} (only
    title required) and each output line is {"id", "investment", "subcategory",
    "confidence", "reasons"}, in input order.
    """
    if jsonl is not None:
        _classify_stream(jsonl, sys.stdout)
        return
    if not text:
        raise ConfigError(
            "nothing to classify", 'give a TEXT, e.g. ktlo classify "fix crash", or --jsonl -'
        )
    title, _, body = text.partition("\n")
    verdict = classify(WorkText(title=title, body=body, files=files, labels=labels))
    if as_json:
        _print_json(verdict_json(None, verdict))
    else:
        render_explanation({"title": title, **verdict_json(None, verdict)}, _out())


@main.command(name="eval")
@click.argument(
    "csv_file", metavar="FILE.csv|FILE.jsonl", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option(
    "--mistakes", type=click.IntRange(0), default=0, help="List this many misclassified rows."
)
def eval_command(csv_file: Path, as_json: bool, mistakes: int) -> None:
    """Measure the classifier on a labeled CSV (text, label, optional id and kind) or JSON lines.

    Example: ktlo eval eval/ktlo-eval.csv --mistakes 20

    JSON lines carry what else the classifier reads: {"title", "label", "body", "files",
    "labels", "author", "kind", "id"} (title and label required).
    """
    report = evaluate(read_labeled(csv_file))
    if as_json:
        _print_json(report)
    else:
        render_evaluation(report, _out(), mistakes)


@main.command(name="explain")
@click.argument("ref")
@click.option(
    "--repo",
    "repo_path",
    type=click.Path(path_type=Path),
    default=".",
    help="The repository (for its default store).",
)
@db_option
def explain_command(ref: str, repo_path: Path, db: Path | None) -> None:
    """Show a stored commit's verdict with every reason (REF: a sha or its prefix).

    Example: ktlo explain 3f2a9c1 --repo ~/src/shop
    """
    path = db or default_store_path(git.open_repository(repo_path).path)
    with Store.open(path, read_only=True) as store:
        render_explanation(explain_commit(store, ref), _out())


@main.command(name="allocation")
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
@click.option(
    "--since", type=RelativeOrIsoDate(), help="First day to include (YYYY-MM-DD or 90d, 6m, 1y)."
)
@click.option("--until", type=RelativeOrIsoDate(), help="Day after the last to include.")
@output_options
@config_option
@db_option
def allocation_command(
    team: str | None, period: str, by: str, since: date | None, until: date | None,
    as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Person-days and FTE per investment, kind, team, repository or person, with the KTLO budget.

    Example: ktlo allocation --team payments --period quarter --by subcategory
    """
    config = load_config(find_config(config_path))
    with Store.open(_org_store(db), read_only=True) as store:
        doc = allocation(store, config, AllocationOptions(team, period, by, since, until))
    if as_json:
        _print_json(doc)
    elif as_csv:
        _print_csv(allocation_rows(doc))
    else:
        render_allocation(doc, _out())


@main.command(name="budget")
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Bucket size."
)
@output_options
@config_option
@db_option
def budget_command(
    period: str, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None
) -> None:
    """Each team's KTLO share against its band: last full period, the quarter, drift and drivers.

    Example: ktlo budget --period month
    """
    config = load_config(find_config(config_path))
    with Store.open(_org_store(db), read_only=True) as store:
        doc = budget_report(store, config, period)
    if as_json:
        _print_json(doc)
    elif as_csv:
        _print_csv(doc["teams"], drop=("drivers",))
    else:
        render_budget(doc, _out())


@main.command(name="report")
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
@click.option(
    "--since", type=RelativeOrIsoDate(), help="First day to include (YYYY-MM-DD or 90d, 6m, 1y)."
)
@click.option("--until", type=RelativeOrIsoDate(), help="Day after the last to include.")
@click.option("--repo", help="Only this repository (its id, e.g. github.com/acme/shop).")
@click.option("--service", help="Only this service (the repositories that deploy it).")
@output_options
@config_option
@db_option
def report_command(
    html_file: Path | None, team: str | None, period: str, since: date | None, until: date | None,
    repo: str | None, service: str | None, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Balance, budgets, health, hotspots and rotation in one report: HTML, JSON, CSV or a summary.

    Example: ktlo report --html ktlo-report.html --since 1y
    """
    from ktlo.report.document import build_report, report_rows
    from ktlo.report.html import render_report
    from ktlo.report.model import ReportFilters
    from ktlo.report.summary import render_summary

    config = load_config(find_config(config_path))
    filters = ReportFilters(team, period, since, until, repo, service)
    with Store.open(_org_store(db), read_only=True) as store:
        doc = build_report(store, config, filters)
    if html_file:
        html_file.write_text(render_report(doc), encoding="utf-8")
        click.echo(f"wrote {html_file} ({html_file.stat().st_size / 1e6:.1f} MB)", err=True)
    if as_json:
        _print_json(doc)
    elif as_csv:
        _print_csv(report_rows(doc))
    elif not html_file:
        render_summary(doc, _out())


@main.command(name="serve")
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
@db_option
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
        click.echo(f"ktlo dashboard: {url} (Ctrl-C stops it)", err=True)

    config = load_config(find_config(config_path))
    serve(_org_store(db), config, host, port, token, announce)


@main.command(name="health")
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
@output_options
@config_option
@db_option
def health_command(
    team: str | None, service: str | None, period: str, definition: str | None, until: date | None,
    mean: bool, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """One scorecard: DORA, incidents, bugs, builds, alerts and SLOs, each with trend and bucket.

    Example: ktlo health --team payments --period quarter --definition devlake-2023
    """
    from ktlo.metrics.common import HealthOptions
    from ktlo.metrics.health import health
    from ktlo.report.health import health_rows, render_health

    config = load_config(find_config(config_path))
    options = HealthOptions(team, service, period, definition, until, mean)
    with Store.open(_org_store(db), read_only=True) as store:
        doc = health(store, config, options)
    if as_json:
        _print_json(doc)
    elif as_csv:
        _print_csv(health_rows(doc))
    else:
        render_health(doc, _out())


@main.command(name="override")
@click.argument("item_id", required=False)
@click.option(
    "--as", "label", metavar="INVESTMENT/SUBCATEGORY", help="The correct kind, e.g. ktlo/security."
)
@click.option("--note", help="Why (shown as the verdict's reason).")
@click.option("--list", "list_them", is_flag=True, help="List every override.")
@click.option("--remove", is_flag=True, help="Remove the override of ITEM_ID.")
@output_options
@db_option
def override_command(
    item_id: str | None, label: str | None, note: str | None, list_them: bool, remove: bool,
    as_json: bool, as_csv: bool, db: Path | None,
) -> None:  # fmt: skip
    """Correct a verdict; the correction survives re-syncs and re-classification.

    Example: ktlo override git:commit:github.com/acme/shop:3f2a9c1e --as ktlo/security --note "CVE fix"
    """
    path = _org_store(db)
    if list_them:
        with Store.open(path, read_only=True) as store:
            rows = list_overrides(store)
        if as_json:
            _print_json(rows)
        elif as_csv:
            _print_csv(rows)
        else:
            render_overrides(rows, _out())
        return
    if not item_id:
        raise ConfigError("which item?", "give an ITEM_ID (see `ktlo explain`), or --list")
    with Store.open(path) as store:
        if remove:
            remove_override(store, item_id)
            click.echo(f"removed the override of {item_id}")
            return
        if not label:
            raise ConfigError("no --as given", "say what it is, e.g. --as ktlo/security")
        investment, subcategory = set_override(
            store, item_id, label, note, load_config(find_config(None))
        )
    click.echo(f"{item_id} is now {investment}{'/' + subcategory if subcategory else ''}")


@main.command(name="reclassify")
@config_option
@db_option
def reclassify_command(config_path: Path | None, db: Path | None) -> None:
    """Re-apply rules, inheritance and the classifier to everything stored (fetches nothing).

    Example: ktlo reclassify --config ktlo.toml
    """
    config = load_config(find_config(config_path))
    with Store.open(_org_store(db)) as store:
        summary = reclassify(store, config)
    click.echo(
        f"reclassified {summary.items:,} items: {summary.changed:,} changed, "
        f"{summary.by_rule:,} by a rule, {summary.inherited:,} inherited, "
        f"{summary.projects_by_scope:,} projects by scope; {summary.overridden:,} overrides kept"
    )
    if summary.learning is not None:
        click.echo(describe_learning(summary.learning))


@main.command(name="review")
@click.argument("item_id", required=False)
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="Items to show."
)
@click.option("--confirm", is_flag=True, help="Confirm ITEM_ID's verdict as it stands.")
@click.option("--as", "label", metavar="INVESTMENT/SUBCATEGORY", help="Correct ITEM_ID to this.")
@click.option("--ask", is_flag=True, help="Ask for an answer to each item (default in a terminal).")
@output_options
@config_option
@db_option
def review_command(
    item_id: str | None, limit: int, confirm: bool, label: str | None, ask: bool,
    as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """The least certain verdicts and those whose signals disagree, most effort first.

    Example: ktlo review --limit 10

    In a terminal (or with --ask), each item waits for an answer: Enter confirms the
    verdict, a kind corrects it (bug, ktlo/security, new_work/project), s skips, q quits.
    `ktlo review ITEM_ID --confirm` or `--as KIND` answers one item. Answers are stored as
    overrides: they survive re-syncs and teach the learned model at its next fit.
    """
    from ktlo.report.review import render_review, verdict_label
    from ktlo.review_queue import answer, review_queue

    config = load_config(find_config(config_path))
    with Store.open(_org_store(db)) as store:
        if item_id:
            if not confirm and not label:
                raise ConfigError("no answer given", "add --confirm, or --as KIND to correct it")
            investment, sub = answer(store, item_id, config, None if confirm else label)
            click.echo(f"{item_id} is now {investment}{'/' + sub if sub else ''}")
            return
        rows = review_queue(store, config, limit)
        if as_json:
            _print_json(rows)
        elif as_csv:
            _print_csv(rows)
        else:
            render_review(rows, _out())
            if ask or sys.stdin.isatty():
                _ask_each(rows, lambda i, kind: answer(store, i, config, kind), verdict_label)


def _ask_each(
    rows: list[dict[str, Any]],
    record: Callable[[str, str | None], tuple[str, str | None]],
    label_of: Callable[[dict[str, Any]], str],
) -> None:
    """Prompt for each queued item: Enter confirms, a kind corrects, s skips, q quits."""
    for number, row in enumerate(rows, start=1):
        while True:
            reply = click.prompt(
                f"{number}. {row['title'][:70]} [{label_of(row)}] Enter=confirm, KIND=correct, s=skip, q=quit",
                default="", show_default=False,
            ).strip()  # fmt: skip
            if reply.lower() in ("q", "s"):
                break
            try:
                investment, sub = record(row["item_id"], reply or None)
            except KtloError as exc:
                click.echo(f"  {exc}", err=True)
                continue
            click.echo(f"  → {investment}{'/' + sub if sub else ''}")
            break
        if reply.lower() == "q":
            return


@main.command(name="init")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("ktlo.toml"),
    show_default=True,
    help="Where to write.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@db_option
def init_command(output: Path, force: bool, db: Path | None) -> None:
    """Write a commented starter ktlo.toml from what the store already knows.

    Example: ktlo init --db ktlo.duckdb
    """
    if output.exists() and not force:
        raise ConfigError(
            f"{output} already exists", "pass --force to overwrite it, or --output another path"
        )
    path = _org_store(db)
    if path.exists():
        with Store.open(path, read_only=True) as store:
            text = starter_config(store)
    else:
        text = starter_config(None)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}; edit the teams and people, then run `ktlo reclassify`")


@main.command(name="forecast")
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
@db_option
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

    config = load_config(find_config(config_path))
    with Store.open(_org_store(db), read_only=True) as store:
        doc = outlook(store, config, team, horizon, period)
    if as_json:
        _print_json(doc)
    elif as_csv:
        from ktlo.report.rows import forecast_rows

        _print_csv(forecast_rows(doc))
    else:
        render_forecast(doc, _out())


@main.command(name="sprints")
@click.option("--team", help="Only this team's sprints or cycles.")
@output_options
@config_option
@db_option
def sprints_command(
    team: str | None, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None
) -> None:
    """Planned against actual KTLO share per sprint (Jira) or cycle (Linear), and unplanned work.

    Example: ktlo sprints --team payments
    """
    from ktlo.planning.sprints import sprint_report

    config = load_config(find_config(config_path))
    with Store.open(_org_store(db), read_only=True) as store:
        doc = sprint_report(store, config, team)
    if as_json:
        _print_json(doc)
    elif as_csv:
        _print_csv(doc["sprints"])
    else:
        render_sprints(doc, _out())


@main.command(name="demo")
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
    from ktlo.allocation import budget_report
    from ktlo.demo import run_demo

    result = run_demo(
        out, seed, step=lambda message: click.echo(f"· {message}", err=True), checkout=Path.cwd()
    )
    config = load_config(result.config)
    from ktlo.planning.ktlo_mode import ktlo_mode

    with Store.open(result.store, read_only=True) as store:
        render_budget(budget_report(store, config, "month"), _out())
        modes = ktlo_mode(store, config)
    for team in modes["teams"]:
        click.echo(f"KTLO mode for {team['team']}: {team['state']} (risk {team['risk']:.2f})")
    render_demo_footer(result, _out())


@main.command(name="mode")
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
@db_option
def mode_command(
    team: str | None, period: str, as_json: bool, as_csv: bool, config_path: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Should a team enter KTLO mode (reliability first)? enter, stay, exit or normal, with the reasons.

    Example: ktlo mode --team payments
    """
    from ktlo.planning.ktlo_mode import ktlo_mode

    config = load_config(find_config(config_path))
    if team:
        from ktlo.planning.team import find_team

        find_team(config, team)
    with Store.open(_org_store(db), read_only=True) as store:
        doc = ktlo_mode(store, config, team, period)
    if as_json:
        _print_json(doc)
    elif as_csv:
        from ktlo.report.rows import mode_rows

        _print_csv(mode_rows(doc))
    else:
        render_mode(doc, _out())


@main.group(name="rotation")
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
@db_option
def rotation_plan_command(
    team: str, start: date, periods: int, length: str, secondary: bool, ics_file: Path | None,
    csv_file: Path | None, as_json: bool, config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """Assign each period a primary (and a secondary), fairly, around time off and time zones.

    Example: ktlo rotation plan --team payments --start 2026-12-07 --periods 8 --ics oncall.ics
    """
    from ktlo.planning.rotation import plan_rotation, to_ics, to_rows
    from ktlo.planning.team import find_team, team_members

    config = load_config(find_config(config_path))
    chosen = find_team(config, team)
    store_path = _org_store(db)
    if store_path.exists():
        with Store.open(store_path, read_only=True) as store:
            members = team_members(config, chosen, store, start)
    else:
        members = team_members(config, chosen, None, start)
    plan = plan_rotation(team, members, start, periods, length, chosen.sprint_days, secondary)
    rows = to_rows(plan)
    if ics_file:
        ics_file.write_bytes(to_ics(plan))
    if csv_file:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            _write_csv(rows, handle)
    if as_json:
        _print_json({"team": team, "length": plan.length, "period_days": plan.period_days,
                     "regions": plan.regions, "shifts": rows, "load": plan.load,
                     "shifts_by_person": plan.shifts_by_person, "warnings": plan.warnings})  # fmt: skip
    else:
        render_rotation(plan, rows, _out())
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
@db_option
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
    from ktlo.planning.review import rotation_review
    from ktlo.planning.team import find_team

    config = load_config(find_config(config_path))
    with Store.open(_org_store(db), read_only=True) as store:
        doc = rotation_review(store, config, find_team(config, team), since, schedule)
    if as_json:
        _print_json(doc)
    elif as_csv:
        from ktlo.report.rows import rotation_review_rows

        _print_csv(rotation_review_rows(doc))
    else:
        render_rotation_review(doc, _out())


def _org_store(db: Path | None) -> Path:
    """--db, else ./ktlo.duckdb, else the cache store `ktlo analyze .` made for this repository."""
    if db is not None:
        return db
    local = Path("ktlo.duckdb")
    if local.exists():
        return local
    try:
        cached = default_store_path(git.open_repository(Path.cwd()).path)
    except KtloError:
        return local
    return cached if cached.exists() else local


def _print_csv(rows: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> None:
    _write_csv(rows, sys.stdout, drop)


def _write_csv(rows: list[dict[str, Any]], out: TextIO, drop: tuple[str, ...] = ()) -> None:
    import csv

    if not rows:
        return
    columns = [c for c in rows[0] if c not in drop]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
        )


def _out() -> Console:
    """stdout for tables: the terminal's width, or 120 columns when piped to a file."""
    return Console() if sys.stdout.isatty() else Console(width=120)


def verdict_json(item_id: Any, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": item_id,
        "investment": verdict.investment,
        "subcategory": verdict.subcategory,
        "confidence": verdict.confidence,
        "reasons": [str(r) for r in verdict.reasons],
    }


def _classify_stream(lines: TextIO, out: TextIO) -> None:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_jsonl_item(line, number)
        verdict = classify(
            WorkText(
                title=item["title"],
                body=item.get("body") or "",
                files=tuple(item.get("files") or ()),
                labels=tuple(item.get("labels") or ()),
                author=item.get("author") or "",
                issue_type=item.get("issue_type") or "",
            )
        )
        out.write(dumps(verdict_json(item.get("id"), verdict)) + "\n")


def _parse_jsonl_item(line: str, number: int) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"input line {number} is not JSON ({exc.msg})", "send one JSON object per line"
        ) from exc
    if not isinstance(item, dict) or not isinstance(item.get("title"), str):
        raise InputError(
            f'input line {number} has no "title" string',
            'each line needs at least {"title": "..."}',
        )
    return item


def _mine(store: Store, repos: list[Path], engine: Engine, quiet: bool = False) -> RunSummary:
    """Mine `repos` with progress bars; say how it went on stderr (a lone repository: only failures)."""
    from ktlo.report.scale import ScaleProgress, describe_run, failure_lines

    with ScaleProgress(stderr) as progress:
        run = ingest_many(store, repos, engine, progress)
    if not quiet:
        click.echo(describe_run(run), err=True)
    for line in failure_lines(run):
        click.echo(line, err=True)
    return run


def _config_dir(config: Config) -> Path | None:
    return config.path.parent if config.path else None


def _print_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


@main.command(name="sync")
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
@db_option
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
    from ktlo.report.sync import SyncProgress, render_sync_summary
    from ktlo.sync import plan_sync, sync_sources

    config = load_config(find_config(config_path))
    repos, names = _git_in_sync(config, names, from_file)
    engine = Engine.parse(executor or config.git.executor, jobs or config.git.jobs)
    sources = (
        plan_sync(config, names, from_file=from_file, source_name=source_name)
        if names or from_file or not repos
        else []
    )
    with Store.open(db or Path("ktlo.duckdb")) as store:
        run = _mine(store, repos, engine) if repos else None
        with SyncProgress(stderr) as progress:
            results = sync_sources(store, sources, progress.reporter, from_file)
        learning = learn_after_sync(store)
    if results:
        render_sync_summary(results, _out())
    if learning is not None:
        click.echo(describe_learning(learning), err=True)
    for result in results:
        if result.error is not None:
            click.echo(f"Error: {result.error}", err=True)
    if any(result.errors for result in results) or (run and run.failures):
        raise SystemExit(1)


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
    configured = config.git.paths(_config_dir(config))
    repos, _ = repository_targets([], configured, False, config.git.recursive)
    if not names and config.sources:  # the default: git and every configured source
        others = tuple(config.sources)
    return repos, others
