"""`ktlo classify` and `ktlo eval`: the classifier on text, without a store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from ktlo.cli.output import console, print_json
from ktlo.errors import ConfigError


@click.command(name="classify")
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

    With --jsonl, each input line is {"id", "title", "body", "files", "labels", "author",
    "issue_type", "kind"} (only title required; files and labels are lists of strings, id a
    string or a finite number) and each output line is {"id", "investment", "subcategory",
    "confidence", "reasons"}, in input order. The first malformed line stops the stream
    with its line number and field.
    """
    if jsonl is not None:
        from ktlo.classify.jsonl import classify_lines

        classify_lines(jsonl, sys.stdout)
        return
    if not text:
        raise ConfigError(
            "nothing to classify", 'give a TEXT, e.g. ktlo classify "fix crash", or --jsonl -'
        )
    from ktlo.classify import classify
    from ktlo.classify.jsonl import verdict_json
    from ktlo.records import WorkText
    from ktlo.render.terminal import render_explanation

    title, _, body = text.partition("\n")
    verdict = classify(WorkText(title=title, body=body, files=files, labels=labels))
    if as_json:
        print_json(verdict_json(None, verdict))
    else:
        render_explanation({"title": title, **verdict_json(None, verdict)}, console())


@click.command(name="eval")
@click.argument(
    "csv_file", metavar="FILE.csv|FILE.jsonl", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option(
    "--mistakes", type=click.IntRange(0), default=0, help="List this many misclassified rows."
)
def eval_command(csv_file: Path, as_json: bool, mistakes: int) -> None:
    """Measure the classifier on a labeled CSV (text, label, optional id and kind) or JSON lines.

    Example: ktlo eval eval/test.csv --mistakes 20

    JSON lines carry what else the classifier reads: {"title", "label", "body", "files",
    "labels", "author", "kind", "id"} (title and label required).
    """
    from ktlo.classify.evaluate import evaluate, read_labeled
    from ktlo.render.terminal import render_evaluation

    report = evaluate(read_labeled(csv_file))
    if as_json:
        print_json(report)
    else:
        render_evaluation(report, console(), mistakes)
