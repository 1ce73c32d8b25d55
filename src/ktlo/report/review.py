"""Render the review queue for a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render_review(rows: list[dict[str, Any]], console: Console) -> None:
    """The queue as a table: most effort first, with why each item is in it."""
    if not rows:
        console.print("Nothing to review: every verdict is confident and no signals disagree.")
        return
    table = Table(box=None, header_style="dim", title="Review queue", title_justify="left")
    for column in ("#", "item", "title", "verdict", "conf.", "effort (days)", "why"):
        table.add_column(column, overflow="fold")
    for number, r in enumerate(rows, start=1):
        table.add_row(
            str(number), r["item_id"], (r["title"] or "")[:60], verdict_label(r),
            f"{r['confidence']:.2f}", f"{r['effort_days']:.1f}", r["why"],
        )  # fmt: skip
    console.print(table)


def verdict_label(row: dict[str, Any]) -> str:
    """`ktlo/bug`, or the investment alone when there is no subcategory."""
    return f"{row['investment']}/{row['subcategory']}" if row["subcategory"] else row["investment"]
