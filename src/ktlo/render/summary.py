"""`ktlo report` in a terminal: the team cards and where to look next."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ktlo.periods import FTE_NOTE
from ktlo.render.display import display_name
from ktlo.render.tables import Titled
from ktlo.render.terminal import ARROW, MODE_STYLE, STATUS_STYLE, drivers_table, interval
from ktlo.render.wording import place
from ktlo.report.balance_types import CardMode, Hotspot, TeamCard
from ktlo.report.document import ReportDocument


def render_summary(doc: ReportDocument, console: Console) -> None:
    """Each team's card as a line (its KTLO share against its band, its KTLO-mode answer),
    its top health risks, what drives its KTLO, and the top hotspots."""
    console.print(_cards(doc))
    console.print(f"Last period: the last complete one. {FTE_NOTE}", style="dim")
    console.print(_risks(doc.teams))
    if any(card.drivers.subcategories for card in doc.teams):
        console.print(drivers_table([(card.team, card.drivers) for card in doc.teams]))
    if doc.hotspots:
        console.print(_hotspots(doc.hotspots[:5]))
    absent = [p.missing for p in doc.health.panels if p.missing]
    if absent:
        console.print("; ".join(sorted(set(absent))), style="dim")
    console.print("\nThe whole report: ktlo report --html report.html, or ktlo serve.", style="dim")


def _cards(doc: ReportDocument) -> Table:
    periods = {card.last_period for card in doc.teams}
    one = periods.pop() if len(periods) == 1 else None
    table = Titled(
        title=f"KTLO by team — effort up to {doc.as_of or '—'}", title_justify="left",
        box=None, header_style="dim", pad_edge=False,
    )  # fmt: skip
    for column in (
        "team",
        "band",
        one or "last period",
        "last 91 days",
        "trend",
        "FTE",
        "KTLO mode",
    ):
        table.add_column(column, justify="right" if column == "FTE" else "left",
                         no_wrap=column != "team")  # fmt: skip
    for card in doc.teams:
        last = _share(card, "last_period")
        if not one:
            last = Text(f"{card.last_period or '—'} ") + last
        table.add_row(
            display_name(card.team), f"{_pct(card.low)}–{_pct(card.high)}", last,
            _share(card, "quarter"), ARROW[card.trend] + (" drifting" if card.drifting else ""),
            "—" if card.fte is None else f"{card.fte:.1f}", _mode(card.ktlo_mode),
        )  # fmt: skip
    return table


def _share(card: TeamCard, key: str) -> Text:
    """`76% (64–86%) over`: a card's share with its interval and its status as a word."""
    status = getattr(card, f"{key}_status")
    shown = interval(*(getattr(card, f"{key}_share{end}") for end in ("", "_low", "_high")))
    return Text.assemble(
        (shown, STATUS_STYLE[status]), f" {status if status != 'inside' else 'in band'}"
    )


def _mode(mode: CardMode | None) -> Text:
    if not mode:
        return Text("—")
    risk = " " + (mode.risk_text or ("no data" if mode.risk is None else f"{mode.risk:.2f}"))
    return Text.assemble((mode.state.upper(), MODE_STYLE[mode.state]), risk)


def _risks(cards: list[TeamCard]) -> Table:
    """Per team, the operational signals adding most to its KTLO-mode risk, as sentences."""
    period = next((c.ktlo_mode.period for c in cards if c.ktlo_mode), None)
    table = Titled(
        box=None, show_header=False, pad_edge=False, title_justify="left",
        title="\nTop health risks" + (f" in {period}" if period else ""),
    )  # fmt: skip
    table.add_column("team", no_wrap=True)
    table.add_column("risks", ratio=1)
    for card in cards:
        risks = "; ".join(r.text for r in card.health_risks)
        note = Text(card.health_note or "—", style="dim")
        table.add_row(display_name(card.team), risks or note)
    return table


def _hotspots(spots: list[Hotspot]) -> Table:
    table = Titled(
        box=None, header_style="dim", pad_edge=False, title_justify="left",
        title="\nKTLO hotspots (all of the history)",
    )  # fmt: skip
    table.add_column("repository: directory", ratio=1)
    table.add_column("KTLO person-days", justify="right", no_wrap=True)
    table.add_column("kinds", ratio=1)
    for h in spots:
        table.add_row(
            place(h.repo_id, h.directory), f"{h.ktlo_person_days:,.1f}", ", ".join(h.kinds)
        )
    return table


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
