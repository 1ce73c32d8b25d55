"""Budget buckets drawn: each team's split against its `targets` (`ktlo budget`), and each
sprint's planned against actual split (`ktlo sprints`), for the teams that have targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ktlo.render.display import display_name
from ktlo.render.tables import Titled
from ktlo.render.terminal import STATUS_STYLE

if TYPE_CHECKING:
    from ktlo.effort.allocation_document import Bucket, BudgetDocument
    from ktlo.planning.sprints import SprintsDocument


def budget_buckets_table(doc: BudgetDocument) -> Table | None:
    """One row per bucket of each team with targets: target, last complete period's share,
    status and drift from the period before; None when no team has targets."""
    teams = [t for t in doc.teams if t.buckets is not None]
    if not teams:
        return None
    table = Titled(
        box=None, header_style="dim", title_justify="left", pad_edge=False,
        title=f"\nBudget buckets (share of the team's person-days, last complete {doc.period})",
    )  # fmt: skip
    for column in ("team", "bucket", "target", "period", "share", "", "drift"):
        justify = "right" if column in ("target", "share", "drift") else "left"
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for t in teams:
        assert t.buckets is not None
        for index, b in enumerate(t.buckets.buckets):
            table.add_row(
                display_name(t.team) if index == 0 else "", b.bucket,
                f"{pct(b.target)} ±{t.buckets.tolerance * 100:g}", t.buckets.period or "–",
                _share(b), Text(b.status, style=STATUS_STYLE[b.status]), drift(b.drift),
            )  # fmt: skip
    return table


def _share(bucket: Bucket) -> str:
    """The share; the whole-KTLO bucket's corrected share and interval beside it."""
    if bucket.corrected_share is None:
        return pct(bucket.share)
    low, high = bucket.corrected_share_low, bucket.corrected_share_high
    return f"{pct(bucket.share)} (corrected {pct(bucket.corrected_share)}, {pct(low)}–{pct(high)})"


def drift(value: float | None) -> str:
    """`+6.1 pts`, `−3.0 pts`, `–` when unknown."""
    if value is None:
        return "–"
    points = value * 100
    return f"{'+' if points >= 0 else '−'}{abs(points):.1f} pts"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def sprint_buckets_tables(doc: SprintsDocument) -> list[Table]:
    """Per team with targets: one row per sprint, a column per bucket, `planned → actual`."""
    teams: dict[str, list[int]] = {}
    for index, sprint in enumerate(doc.sprints):
        if sprint.buckets is not None:
            teams.setdefault(sprint.team or "", []).append(index)
    tables: list[Table] = []
    for team, indexes in teams.items():
        first = doc.sprints[indexes[0]].buckets or []
        table = Titled(
            box=None, header_style="dim", title_justify="left", pad_edge=False,
            title=f"\nBudget buckets per sprint — {display_name(team)}: planned → actual",
        )  # fmt: skip
        table.add_column("sprint")
        for bucket in first:
            table.add_column(f"{bucket.bucket}\n(target {pct(bucket.target)})", no_wrap=True)
        for index in indexes:
            sprint = doc.sprints[index]
            cells = [
                f"{pct(b.planned_share)} → {pct(b.actual_share)}" for b in sprint.buckets or []
            ]
            table.add_row(sprint.sprint, *cells)
        tables.append(table)
    return tables
