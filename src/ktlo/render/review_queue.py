"""Render the review queue for a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ktlo.render.tables import Titled

if TYPE_CHECKING:
    from ktlo.verdicts.review_queue import ReviewItem


def render_review(rows: list[ReviewItem], console: Console) -> None:
    """The queue, most effort first: each item's title, verdict and why it is here, and its
    id whole on a line of its own, to copy into `ktlo review ITEM_ID --confirm`."""
    if not rows:
        console.print("Nothing to review: every verdict is confident and no signals disagree.")
        return
    table = Titled(box=None, show_header=False, title_justify="left", pad_edge=False,
                  title="Review queue (most effort first)")  # fmt: skip
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("item", ratio=1, overflow="fold")
    for number, r in enumerate(rows, start=1):
        item = Text((r.title or "(no title)")[:120], style="bold")
        item.append(
            f"\n{r.label}, confidence {r.confidence:.2f}, {r.effort_days:,.1f} person-days: {r.why}"
        )
        item.append(f"\n{r.ref}", style="dim")  # whole, to copy
        table.add_row(f"{number}", item)
    console.print(table)
    console.print(
        "\nAnswer one: `ktlo review ITEM_ID --confirm`, or `--as KIND` to correct it.",
        style="dim",
    )


def render_sample(drawn: dict[str, Any], console: Console) -> None:
    """A drawn sample: its items without their verdicts, and how to answer them."""
    table = Titled(
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
        "Label each with its kind (ktlo, new_work, or e.g. bug, ktlo/security): here, or "
        "with --csv into a spreadsheet loaded back by `ktlo review --answers FILE.csv`.",
        style="dim",
    )
