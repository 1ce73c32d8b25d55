"""`ktlo flow` for a terminal (100 columns when piped) and as CSV rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from ktlo.render.display import display_name
from ktlo.render.tables import Titled
from ktlo.render.wording import middle

if TYPE_CHECKING:
    from rich.console import Console

    from ktlo.planning.flow_document import FlowDocument, FlowGroup

SHOWN_LATE = 10  # items past their SLE listed; the JSON has them all
TITLE_WIDTH = 40


def render_flow(doc: FlowDocument, console: Console) -> None:
    """Per kind of work its flow, then each team's KTLO WIP against its limit, then the
    items past their service-level expectation and what to look at."""
    if doc.as_of is None:
        console.print(
            "No status changes or pull requests stored yet: sync a tracker or a forge first "
            "(`ktlo sync`)."
        )
        return
    who = display_name(doc.team) if doc.team else "all teams"
    console.print(_groups_table(doc, who))
    if doc.teams:
        console.print()
        console.print(_teams_table(doc))
    if doc.past_sle:
        console.print()
        console.print(_late_table(doc))
    for reason in doc.reasons:
        console.print(Text(f"! {reason}", style="bold red" if "limit" in reason else "yellow"))
    console.print(
        Text(
            f"\nCycle time = done − first started; throughput = items done since "
            f"{doc.window_start[:10] if doc.window_start else '?'}; age = as-of − started "
            "(docs/flow.md).",
            style="dim",
        )
    )


def _groups_table(doc: FlowDocument, who: str) -> Titled:
    table = Titled(
        box=None,
        header_style="dim",
        title=f"Flow — {who}, "
        + (
            f"{doc.at_period}: done in it, in progress at {(doc.as_of or '')[:10]}"
            if doc.at_period
            else f"the {doc.period} to {(doc.as_of or '')[:10]}"
        ),
        title_justify="left",
    )
    for column, justify in (
        ("kind of work", "left"), ("done", "right"), ("cycle days\nmedian", "right"),
        ("p85", "right"), ("in\nprogress", "right"), ("age days\nmedian", "right"),
        ("oldest", "right"), ("SLE\ndays", "right"), ("past\nSLE", "right"),
    ):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for g in doc.groups:
        table.add_row(
            _kind(g), str(g.throughput), _days(g.cycle_median_days), _days(g.cycle_p85_days),
            str(g.wip), _days(g.wip_age_median_days), _days(g.wip_oldest_days),
            _days(g.sle_days), Text(str(g.past_sle), style="yellow" if g.past_sle else ""),
        )  # fmt: skip
    return table


def _teams_table(doc: FlowDocument) -> Titled:
    table = Titled(box=None, header_style="dim", title="KTLO work in progress per team",
                   title_justify="left")  # fmt: skip
    for column in ("team", "KTLO WIP", "all WIP", "KTLO WIP limit", ""):
        table.add_column(column, justify="left" if column in ("team", "") else "right")
    for t in doc.teams:
        status = Text("over the limit", style="bold red") if t.over_limit else Text("")
        limit = str(t.ktlo_wip_limit) if t.ktlo_wip_limit is not None else "none"
        table.add_row(display_name(t.team), str(t.ktlo_wip), str(t.wip), limit, status)
    return table


def _late_table(doc: FlowDocument) -> Titled:
    shown = doc.past_sle[:SHOWN_LATE]
    more = len(doc.past_sle) - len(shown)
    title = "In progress past the service-level expectation" + (
        f" (the {len(shown)} oldest of {len(doc.past_sle)}; all in --json)" if more else ""
    )
    table = Titled(box=None, header_style="dim", title=title, title_justify="left")
    for column in ("item", "title", "team", "kind", "age", "SLE"):
        table.add_column(column, justify="right" if column in ("age", "SLE") else "left",
                         no_wrap=True)  # fmt: skip
    for item in shown:
        table.add_row(
            item.ref, middle(item.title, TITLE_WIDTH), display_name(item.team),
            item.subcategory or item.investment, f"{item.age_days:g} d", f"{item.sle_days:g} d",
        )  # fmt: skip
    return table


def _kind(group: FlowGroup) -> str:
    return f"{group.investment} / {group.subcategory}" if group.subcategory else group.investment


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def flow_rows(doc: FlowDocument) -> list[dict[str, Any]]:
    """One CSV row per kind of work (the window's figures), with the document's scope."""
    return [
        {
            "team": doc.team or "",
            "period": doc.period,
            "as_of": doc.as_of,
            "window_start": doc.window_start,
            **group.model_dump(),
        }  # fmt: skip
        for group in doc.groups
    ]
