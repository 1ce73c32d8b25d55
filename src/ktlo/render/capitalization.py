"""`ktlo capitalization` for the terminal: per team and period, capitalizable and expensed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ktlo.periods import shown
from ktlo.render.display import display_name
from ktlo.render.tables import Titled

if TYPE_CHECKING:
    from rich.console import Console

    from ktlo.effort.capitalization_document import CapitalizationDocument


def render_capitalization(doc: CapitalizationDocument, console: Console) -> None:
    """One table per team: each period's capitalizable and expensed person-days and cost."""
    if not doc.rows:
        console.print("No effort: sync or analyze some work first.")
        return
    marked = ", ".join(doc.capitalizable_initiatives) or "none"
    console.print(
        Text.assemble(
            ("Capitalization", "bold"), f" by {doc.period}; capitalizable initiatives: {marked}"
        )
    )
    for team in dict.fromkeys(r.team for r in doc.rows):
        table = Titled(
            box=None, header_style="dim", title=f"\n{display_name(team)}", title_justify="left"
        )
        for column in ("", "class", "person-days", "FTE", "cost", "items"):
            table.add_column(column, justify="left" if column in ("", "class") else "right")
        for r in (r for r in doc.rows if r.team == team):
            cost = "—" if r.cost is None else f"{r.cost:,.0f}"
            table.add_row(
                shown(r),
                r.cost_class,
                f"{r.person_days:,.1f}",
                f"{r.fte:.2f}",
                cost,
                f"{r.items:,}",
            )
        console.print(table)
    console.print(Text(f"\n{doc.rule}. Cost: {doc.cost_basis}.", style="dim"))
    for note in doc.notes:
        console.print(Text(f"Note: {note}.", style="dim"))
