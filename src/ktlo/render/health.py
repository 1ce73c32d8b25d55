"""Render the `ktlo health` document: one scorecard table, and the same as flat rows for CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from ktlo.render.tables import Titled
from ktlo.render.wording import DURATION_UNITS, SHARE_UNITS, measure, short_shas

if TYPE_CHECKING:
    from ktlo.metrics.health_document import HealthDocument, Window

BUCKET_STYLE = {
    "elite": "bold magenta",
    "high": "bold green",
    "medium": "bold yellow",
    "low": "bold red",
}
ARROW = {"up": "▲", "down": "▼", "flat": "▶", "unknown": " "}

# (section, key, label) of every figure on the scorecard, in order
FIGURES = (
    ("dora", "deployment_frequency", "deployment frequency"),
    ("dora", "lead_time", "lead time for changes"),
    ("dora", "change_failure_rate", "change failure rate"),
    ("dora", "recovery_time", "recovery time"),
    ("incidents", "count", "incidents"),
    ("incidents", "mtta", "time to acknowledge (median)"),
    ("incidents", "mttr", "time to resolve (median)"),
    ("incidents", "downtime", "downtime"),
    ("incidents", "person_hours", "person-hours in incidents"),
    ("incidents", "repeats", "repeat incidents"),
    ("bugs", "opened", "bugs opened"),
    ("bugs", "closed", "bugs closed"),
    ("bugs", "resolution_rate", "resolution rate"),
    ("bugs", "time_to_resolve", "time to resolve (median)"),
    ("bugs", "open_backlog", "open backlog"),
    ("bugs", "found_in_production", "found in production"),
    ("builds", "duration", "build duration (median)"),
    ("builds", "failure_rate", "build failure rate"),
    ("builds", "flaky_rate", "flaky rate"),
    ("builds", "queue_time", "queue time (median)"),
    ("builds", "red_main", "red main branch"),
    ("alerts", "count", "alerts"),
    ("alerts", "per_incident", "alerts per incident"),
    ("alerts", "noise_ratio", "noise ratio"),
    ("alerts", "after_hours_pages", "after-hours pages"),
)


def health_rows(doc: HealthDocument) -> list[dict[str, Any]]:
    """Every figure as one flat row (section, metric, value, previous, trend, bucket or target)."""
    rows = []
    for section, key, label in FIGURES:
        fig = doc.figure(section, key)
        rows.append({
            "section": section, "metric": key, "label": getattr(fig, "name", None) or label,
            "value": fig.value, "unit": fig.unit, "previous": fig.previous,
            "trend": fig.trend, "improving": fig.improving,
            "bucket": getattr(fig, "bucket", None), "target": None, "p90": getattr(fig, "p90", None),
        })  # fmt: skip
    for slo in doc.slos:
        rows.append({
            "section": "slos", "metric": slo.service, "label": f"availability of {slo.service}",
            "value": slo.availability, "unit": "percent", "previous": slo.previous_availability,
            "trend": slo.trend, "improving": slo.improving, "bucket": slo.status,
            "target": slo.target, "p90": None,
        })  # fmt: skip
    return rows


def render_health(doc: HealthDocument, console: Console) -> None:
    """Print the scorecard: one line per figure, grouped by section, then SLOs and failures."""
    scope = doc.scope.team or doc.scope.service or "whole organisation"
    console.print(Text.assemble(
        ("\nktlo health", "bold"), f" — {scope}; {_span(doc.window)} (a {doc.period}), ",
        f"against {_span(doc.previous_window)}; DORA by the {doc.definition} definition",
    ))  # fmt: skip
    table = Titled(box=None, header_style="dim", pad_edge=False)
    for column, justify in (("", "left"), ("now", "right"), ("before", "right"), ("", "left"),
                            ("bucket / target", "left")):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    section = None
    missing = doc.missing
    for row in health_rows(doc):
        if row["section"] != section:
            section = row["section"]
            table.add_row(Text(_TITLES[section], style="bold"), "", "", "", "")
            if section in missing:  # nothing to count: no data, not zeros
                table.add_row(Text(f"  no data: {missing[section]}", style="dim"), "", "", "", "")
        if section in missing:
            continue
        table.add_row(
            f"  {row['label']}", _value(row["value"], row["unit"]), _value(row["previous"], row["unit"]),
            _arrow(row), _judgement(row),
        )  # fmt: skip
    console.print(table)
    failures = getattr(doc.dora, "failures", [])
    if failures:
        listed = Titled(box=None, show_header=False, title_justify="left",
                       title="\nFailed deployments this window")  # fmt: skip
        listed.add_column("when", no_wrap=True)
        listed.add_column("why", ratio=1)
        for f in failures[:10]:
            why = f"{f.service}: " + short_shas("; ".join(f.reasons))
            listed.add_row(f.deployed_at[:16].replace("T", " "), why)
        console.print(listed)
        if len(failures) > 10:
            console.print(f"  and {len(failures) - 10} more (`--json` lists them all)", style="dim")
    console.print(Text("\n`--json` for every figure with its series, breakdowns and definitions "
                       "(docs/metrics.md).", style="dim"))  # fmt: skip


def _span(window: Window | dict[str, str]) -> str:
    """`2026-03-01 … 2026-03-31`: the window's first and last day (its end is exclusive); a
    window of the document, or of `explained`'s JSON."""
    start, end = (
        (window["start"], window["end"]) if isinstance(window, dict) else (window.start, window.end)
    )
    last = date.fromisoformat(end) - timedelta(days=1)
    return f"{start} … {last.isoformat()}"


_TITLES = {"dora": "DORA", "incidents": "Incidents", "bugs": "Bugs", "builds": "Builds",
           "alerts": "Alerts", "slos": "SLOs"}  # fmt: skip


def _arrow(row: dict[str, Any]) -> Text:
    style = {True: "green", False: "red"}.get(row["improving"], "dim")
    return Text(ARROW[row["trend"]], style=style)


def _judgement(row: dict[str, Any]) -> Text:
    if row["target"] is not None:
        met = row["bucket"] == "met"
        return Text(
            f"{row['target']:g}% {row['bucket']}", style="bold green" if met else "bold red"
        )
    if row["bucket"]:
        return Text(row["bucket"], style=BUCKET_STYLE.get(row["bucket"], ""))
    return Text("")


def _value(value: Any, unit: str) -> str:
    """A figure as the report's HTML shows it too (ktlo.render.wording), with a short unit."""
    shown = measure(value, unit)
    if value is None or unit in SHARE_UNITS or unit in DURATION_UNITS or unit == "percent":
        return shown
    return shown + _suffix(unit)


def _suffix(unit: str) -> str:
    return {"deployments per week": "/wk", "person-hours": " h"}.get(unit, "")


def explained(doc: HealthDocument, metric: str) -> dict[str, Any]:
    """One DORA figure of the document with the items it counted (`ktlo health --explain`)."""
    return {"definition": doc.definition, "window": doc.window.to_json(), "metric": metric,
            **doc.figure("dora", metric).to_json()}  # fmt: skip


def render_explain(doc: dict[str, Any], console: Console) -> None:
    """The figure, then one line per item it counted (columns as the definition names them)."""
    unit = doc["unit"]
    label = f" ({doc['label']})" if doc.get("label") and doc["label"] != doc.get("bucket") else ""
    console.print(Text.assemble(
        (f"\n{doc.get('name') or doc['metric'].replace('_', ' ')}", "bold"),
        f" by the {doc['definition']} definition, {_span(doc['window'])}: ",
        (_value(doc["value"], unit), "bold"), f" {'' if unit in ('hours', 'ratio') else unit}",
        " ", Text(doc.get("bucket") or "", style=BUCKET_STYLE.get(doc.get("bucket") or "", "")), label,
    ))  # fmt: skip
    items = doc.get("items") or []
    if not items:
        console.print("  nothing counted in this window")
        return
    table = Titled(box=None, header_style="dim", pad_edge=False)
    for column in items[0]:
        table.add_column(column.replace("_", " "), overflow="fold")
    for item in items:
        table.add_row(*(_cell(v) for v in item.values()))
    console.print(table)
    console.print(Text(f"{len(items)} items; docs/metrics.md defines each column.", style="dim"))


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return (
        str(value).replace("T", " ") if isinstance(value, str) and value[:2] == "20" else str(value)
    )
