"""Stored verdicts: explain one, review the doubtful, override, and reclassify everything."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ktlo.cli.inputs import command_inputs, open_store, read_config, require_teams, store_path
from ktlo.cli.options import config_option, output_options, since_until_options, store_option
from ktlo.cli.output import console, emit, print_csv, print_json
from ktlo.errors import ConfigError, KtloError

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.store import Store
    from ktlo.verdicts.review_queue import ReviewItem


@click.command(name="explain")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the item and its verdict as JSON.")
@store_option
def explain_command(ref: str, as_json: bool, db: Path | None) -> None:
    """Show a stored item's verdict with every reason: a commit, pull request or issue.

    REF: its full id, 4 or more characters of a commit sha, a tracker key (PAY-101, or
    jira:issue:PAY-101) or owner/repo#12.

    Example: ktlo explain 3f2a9c1
    """
    from ktlo.render.explain import render_item
    from ktlo.verdicts.explain import explain_item

    with open_store(store_path(db), read_only=True) as store:
        item = explain_item(store, ref)
    if as_json:
        print_json(item)
    else:
        render_item(item, console())


@click.command(name="override")
@click.argument("item_id", required=False)
@click.option(
    "--as", "label", metavar="INVESTMENT/SUBCATEGORY", help="The correct kind, e.g. ktlo/security."
)
@click.option("--note", help="Why (shown as the verdict's reason).")
@click.option("--list", "list_them", is_flag=True, help="List every override.")
@click.option("--remove", is_flag=True, help="Remove the override of ITEM_ID.")
@output_options
@store_option
def override_command(
    item_id: str | None, label: str | None, note: str | None, list_them: bool, remove: bool,
    as_json: bool, as_csv: bool, db: Path | None,
) -> None:  # fmt: skip
    """Correct a verdict; the correction survives re-syncs and re-classification.

    ITEM_ID: the item's full id, a commit sha prefix, a tracker key (PAY-101) or
    owner/repo#12, as `ktlo explain` prints it.

    Example: ktlo override 3f2a9c1e --as ktlo/security --note "CVE fix"
    """
    from ktlo.verdicts.overrides import list_overrides, remove_override, set_override, with_override
    from ktlo.verdicts.refs import resolve_item

    path = store_path(db)
    if list_them:
        with open_store(path, read_only=True) as store:
            rows = list_overrides(store)
        from ktlo.render.terminal import render_overrides

        emit(rows, as_json, as_csv, render_overrides)
        return
    if not item_id:
        raise ConfigError("which item?", "give an ITEM_ID (see `ktlo explain`), or --list")
    if not remove and not label:
        raise ConfigError("no --as given", "say what it is, e.g. --as ktlo/security")
    with open_store(path) as store:
        if remove:
            found = with_override(store, item_id)
            remove_override(store, found)
            click.echo(f"removed the override of {found}")
            return
        found = resolve_item(store, item_id)
        investment, subcategory = set_override(store, found, label or "", note, read_config(None))
    click.echo(f"{found} is now {investment}{'/' + subcategory if subcategory else ''}")


@click.command(name="reclassify")
@click.option("--dry-run", is_flag=True, help="Compute and report what would move; write nothing.")
@config_option
@store_option
def reclassify_command(dry_run: bool, config_path: Path | None, db: Path | None) -> None:
    """Re-apply rules, inheritance and the classifier to everything stored (fetches nothing).

    Reports what moved: the KTLO share before → after, overall and per team, with the
    number of items whose verdict changed and the kinds whose person-days moved most.
    With --dry-run, the same report for a copy of the store; the store is not changed.

    Example: ktlo reclassify --dry-run
    """
    from ktlo.verdicts.moves import describe_moves
    from ktlo.verdicts.refit import describe
    from ktlo.workflows import reclassify_store

    config, path = command_inputs(config_path, db)
    summary = reclassify_store(path, config, dry_run=dry_run)
    if dry_run:
        click.echo("Dry run: nothing was written. `ktlo reclassify` would do this:", err=True)
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"reclassified {summary.items:,} items: {summary.changed:,} {verb}, "
        f"{summary.by_rule:,} by a rule, {summary.inherited:,} inherited, "
        f"{summary.projects_by_scope:,} projects by scope; {summary.overridden:,} overrides kept"
    )
    if summary.learning is not None:
        click.echo(describe(summary.learning), err=True)
    if summary.moves:
        click.echo("what moved (KTLO share before → after):", err=True)
        click.echo("\n".join(describe_moves(list(summary.moves))), err=True)


@click.command(name="review")
@click.argument("item_id", required=False)
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="Items to show."
)
@click.option("--confirm", is_flag=True, help="Confirm ITEM_ID's verdict as it stands.")
@click.option("--as", "label", metavar="INVESTMENT/SUBCATEGORY", help="Correct ITEM_ID to this.")
@click.option("--team", help="Only items this team spent effort on (a name from ktlo.toml).")
@click.option(
    "--sample", type=click.IntRange(1), metavar="N",
    help="Draw N random unanswered items to label (measures the verdicts' error).",
)  # fmt: skip
@click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1),
    help="The sample's random seed (default: a fresh one, stored).",
)  # fmt: skip
@since_until_options
@click.option(
    "--answers", "answers_file", type=click.Path(path_type=Path), metavar="FILE.csv",
    help="Load answers from a CSV with columns item_id,kind (as --sample N --csv writes it).",
)  # fmt: skip
@click.option("--ask", is_flag=True, help="Ask for an answer to each item (default in a terminal).")
@output_options
@config_option
@store_option
def review_command(
    item_id: str | None, limit: int, confirm: bool, label: str | None, team: str | None,
    sample: int | None, seed: int | None, since: date | None, until: date | None,
    answers_file: Path | None, ask: bool, as_json: bool, as_csv: bool,
    config_path: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """The least certain verdicts and those whose signals disagree, most effort first.

    Example: ktlo review --limit 10

    In a terminal (or with --ask), each item waits for an answer: Enter confirms the
    verdict, a kind corrects it (bug, ktlo/security, new_work/project), s skips, q quits.
    `ktlo review ITEM_ID --confirm` or `--as KIND` answers one item. Answers are stored as
    overrides: they survive re-syncs and teach the learned model at its next fit.

    `ktlo review --sample 100 --csv > sample.csv` draws 100 random unanswered items (within
    --team, --since, --until) for people to label without seeing the verdicts; fill the
    `kind` column (ktlo, new_work, bug, ktlo/security, ...) and load it with
    `ktlo review --answers sample.csv`. Only answers to sampled items measure how often the
    verdicts err, which corrects every KTLO share and narrows its interval
    (docs/classification.md, "Error bars").
    """
    from ktlo.render.review_queue import render_review
    from ktlo.verdicts.refs import resolve_item
    from ktlo.verdicts.review_queue import answer, review_queue

    config, path = command_inputs(config_path, db)
    if team:
        _check_team(config, team)
    if answers_file is not None and (sample is not None or item_id):
        raise ConfigError("--answers loads a file on its own", "run --sample or ITEM_ID apart")
    with open_store(path) as store:
        if answers_file is not None:
            _load_answers(store, config, answers_file)
            return
        if sample is not None:
            _sample(store, config, sample, seed, (team, since, until), (ask, as_json, as_csv))
            return
        if item_id:
            if not confirm and not label:
                raise ConfigError("no answer given", "add --confirm, or --as KIND to correct it")
            found = resolve_item(store, item_id)
            investment, sub = answer(store, found, config, None if confirm else label)
            click.echo(f"{found} is now {investment}{'/' + sub if sub else ''}")
            return
        rows = review_queue(store, config, limit, team=team)
        if as_json:
            print_json(rows)
        elif as_csv:
            print_csv(rows)
        else:
            render_review(rows, console())
            if ask or sys.stdin.isatty():
                _ask_each(rows, lambda i, kind: answer(store, i, config, kind))


def _check_team(config: Config, team: str) -> None:
    from ktlo.effort.allocation import NO_TEAM
    from ktlo.planning.team import find_team

    if team != NO_TEAM:
        require_teams(config, "review --team", "shows the items one team spent effort on")
        find_team(config, team)


def _sample(
    store: Store, config: Config, size: int, seed: int | None,
    scope: tuple[str | None, date | None, date | None], output: tuple[bool, bool, bool],
) -> None:  # fmt: skip
    """Draw a sample and show it: JSON, the CSV to fill, or a table and a blind question each."""
    from ktlo.render.review_queue import render_sample
    from ktlo.verdicts.sampling import SampleScope, answer_sampled, draw_sample

    ask, as_json, as_csv = output
    drawn = draw_sample(store, config, size, SampleScope(*scope), seed)
    if as_json:
        print_json(drawn)
    elif as_csv:
        print_csv(drawn["items"])
    else:
        from ktlo.verdicts.refs import short_refs

        refs = short_refs(store, [r["item_id"] for r in drawn["items"]])
        drawn["items"] = [{**r, "ref": refs[r["item_id"]]} for r in drawn["items"]]
        render_sample(drawn, console())
        if ask or sys.stdin.isatty():
            _ask_blind(drawn["items"], lambda i, kind: answer_sampled(store, i, kind, config))


def _load_answers(store: Store, config: Config, path: Path) -> None:
    from ktlo.verdicts.sampling import load_answers

    done = load_answers(store, path, config)
    click.echo(
        f"stored {done.stored:,} answers ({done.sampled:,} to sampled items); "
        f"{done.blank:,} rows left blank; the error rates now rest on {done.verified:,} sampled answers"
    )


def _ask_blind(
    rows: list[dict[str, Any]], record: Callable[[str, str], tuple[str, str | None]]
) -> None:
    """Ask for each sampled item's kind without showing its verdict: Enter skips, q quits."""
    for number, row in enumerate(rows, start=1):
        while True:
            reply = click.prompt(
                f"{number}. {row['title'][:70]} — kind? (ktlo, new_work, bug, ktlo/security…; Enter=skip, q=quit)",
                default="", show_default=False,
            ).strip()  # fmt: skip
            if reply.lower() in ("", "q"):
                break
            try:
                investment, sub = record(row["item_id"], reply)
            except KtloError as exc:
                click.echo(f"  {exc}", err=True)
                continue
            click.echo(f"  → {investment}{'/' + sub if sub else ''}")
            break
        if reply.lower() == "q":
            return


def _ask_each(
    rows: list[ReviewItem], record: Callable[[str, str | None], tuple[str, str | None]]
) -> None:
    """Prompt for each queued item: Enter confirms, a kind corrects, s skips, q quits."""
    for number, row in enumerate(rows, start=1):
        while True:
            reply = click.prompt(
                f"{number}. {(row.title or '')[:70]} [{row.label}] Enter=confirm, KIND=correct, s=skip, q=quit",
                default="", show_default=False,
            ).strip()  # fmt: skip
            if reply.lower() in ("q", "s"):
                break
            try:
                investment, sub = record(row.item_id, reply or None)
            except KtloError as exc:
                click.echo(f"  {exc}", err=True)
                continue
            click.echo(f"  → {investment}{'/' + sub if sub else ''}")
            break
        if reply.lower() == "q":
            return
