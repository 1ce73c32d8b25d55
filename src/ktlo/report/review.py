"""Render the review queue for a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def render_review(rows: list[dict[str, Any]], console: Console) -> None:
    """The queue as a table: most effort first, with why each item is in it."""
    if not rows:
        console.print("Nothing to review: every verdict is confident and no signals disagree.")
        return
    table = Table(box=None, header_style="dim", title="Review queue", title_justify="left")
    for column in ("#", "item", "title", "verdict", "conf.", "effort (days)", "why"):
        # the item's ref whole on one line, so it can be copied into `ktlo review REF`
        table.add_column(column, overflow="fold", no_wrap=column == "item")
    for number, r in enumerate(rows, start=1):
        table.add_row(
            str(number), r.get("ref") or r["item_id"], (r["title"] or "")[:60], verdict_label(r),
            f"{r['confidence']:.2f}", f"{r['effort_days']:.1f}", r["why"],
        )  # fmt: skip
    console.print(table)


def render_sample(drawn: dict[str, Any], console: Console) -> None:
    """A drawn sample: its items without their verdicts, and how to answer them."""
    table = Table(
        box=None, header_style="dim", title_justify="left",
        title=f"Sample #{drawn['sample_id']}: {len(drawn['items'])} of {drawn['frame']:,} unanswered items (seed {drawn['seed']})",
    )  # fmt: skip
    for column in ("#", "item", "type", "title"):
        table.add_column(column, overflow="fold", no_wrap=column == "item")
    for number, r in enumerate(drawn["items"], start=1):
        table.add_row(
            str(number), escape(r.get("ref") or r["item_id"]), r["item_type"],
            escape((r["title"] or "")[:80]),
        )  # fmt: skip
    console.print(table)
    console.print(
        "[dim]Label each with its kind (ktlo, new_work, or e.g. bug, ktlo/security): here, or "
        "with --csv into a spreadsheet loaded back by `ktlo review --answers FILE.csv`.[/]"
    )


def verdict_label(row: dict[str, Any]) -> str:
    """`ktlo/bug`, or the investment alone when there is no subcategory."""
    return f"{row['investment']}/{row['subcategory']}" if row["subcategory"] else row["investment"]
