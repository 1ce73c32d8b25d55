"""`ktlo report` in a terminal: the team cards and where to look next."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ktlo.periods import FTE_NOTE
from ktlo.report.display import display_name
from ktlo.report.terminal import ARROW, STATUS_STYLE, interval


def render_summary(doc: dict[str, Any], console: Console) -> None:
    """One line per team, the top hotspots, and what the operational panels hold."""
    table = Table(title=f"KTLO by team — effort up to {doc['as_of'] or '—'}", title_justify="left")
    for column in ("team", "band", "last period", "last 91 days", "trend", "FTE", "driven by"):
        table.add_column(column, justify="left" if column in ("team", "driven by") else "right")
    for card in doc["teams"]:
        status = card["last_period_status"]
        drivers = ", ".join(d["subcategory"] for d in card["drivers"]["subcategories"])
        table.add_row(
            display_name(card["team"]),
            f"{_pct(card['low'])}–{_pct(card['high'])}",
            Text.assemble(
                f"{card['last_period'] or '—'} ",
                (
                    interval(
                        card["last_period_share"],
                        card["last_period_share_low"],
                        card["last_period_share_high"],
                    ),
                    STATUS_STYLE[status],
                ),
            ),
            Text(
                interval(
                    card["quarter_share"], card["quarter_share_low"], card["quarter_share_high"]
                ),
                style=STATUS_STYLE[card["quarter_status"]],
            ),
            ARROW[card["trend"]] + (" drifting" if card["drifting"] else ""),
            "—" if card["fte"] is None else f"{card['fte']:.1f}",
            drivers or "—",
        )
    console.print(table)
    console.print(f"Last period: the last complete one. {FTE_NOTE}", style="dim")
    if doc["hotspots"]:
        spots = ", ".join(
            f"{h['directory']} ({h['ktlo_person_days']:g} d)" for h in doc["hotspots"][:5]
        )
        console.print(f"KTLO hotspots: {spots}")
    absent = [p["missing"] for p in doc["health"]["panels"] if p["missing"]]
    if absent:
        console.print("; ".join(sorted(set(absent))), style="dim")
    console.print("The whole report: ktlo report --html report.html, or ktlo serve.", style="dim")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
