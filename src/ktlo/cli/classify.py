"""`ktlo classify` and `ktlo eval`: the classifier on text, without a store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from ktlo.cli.output import console, print_json
from ktlo.errors import ConfigError, InputError

if TYPE_CHECKING:
    from ktlo.records import Verdict


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
    from ktlo.classify import classify
    from ktlo.records import WorkText
    from ktlo.report.terminal import render_explanation

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

    Example: ktlo eval eval/ktlo-eval.csv --mistakes 20

    JSON lines carry what else the classifier reads: {"title", "label", "body", "files",
    "labels", "author", "kind", "id"} (title and label required).
    """
    from ktlo.classify.evaluate import evaluate, read_labeled
    from ktlo.report.terminal import render_evaluation

    report = evaluate(read_labeled(csv_file))
    if as_json:
        print_json(report)
    else:
        render_evaluation(report, console(), mistakes)


def verdict_json(item_id: Any, verdict: Verdict) -> dict[str, Any]:
    """A verdict as `ktlo classify --json` prints it."""
    return {
        "id": item_id,
        "investment": verdict.investment,
        "subcategory": verdict.subcategory,
        "confidence": verdict.confidence,
        "reasons": [str(r) for r in verdict.reasons],
    }


def _classify_stream(lines: TextIO, out: TextIO) -> None:
    from ktlo.classify import classify
    from ktlo.records import WorkText

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
