"""Chart specifications of the report's planning figures (ktlo.report.figures): flow, budget
buckets, the breakdowns and capitalization, as plain JSON for static/ktlo.js, in the style
of ktlo.render.charts (labels are plain strings the script escapes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ktlo.render.charts import COLOURS, FALLBACK, bars_spec, chart_id
from ktlo.report.figures_types import Breakdown, CapitalizationSection, TeamBuckets

if TYPE_CHECKING:
    from ktlo.planning.flow_document import FlowDocument
    from ktlo.report.document import ReportDocument

TOP_GROUPS = 12  # a breakdown's chart shows its largest groups; its table lists them all
CLASS_COLOURS = {"capitalizable": "#2166ac", "expensed": "#bababa"}


def figure_specs(doc: ReportDocument) -> dict[str, dict[str, Any]]:
    """Every chart of the planning figures, keyed by the id its figure has in the page."""
    specs: dict[str, dict[str, Any]] = {}
    flows = [doc.flow.organisation] if doc.flow.organisation else []
    for flow in [*flows, *doc.flow.teams]:
        if flow.groups:  # the panel draws a chart whenever it lists kinds of work
            specs[chart_id("flow", flow.team)] = flow_spec(flow)
    for team in doc.buckets.teams:
        if team.buckets.period:
            specs[chart_id("buckets", team.team)] = buckets_spec(team)
    for breakdown in doc.breakdowns:
        if breakdown.groups:
            specs[f"by-{breakdown.by}"] = breakdown_spec(breakdown)
    if doc.capitalization.document.rows:
        specs["capitalization"] = capitalization_spec(doc.capitalization)
    return specs


def flow_spec(flow: FlowDocument) -> dict[str, Any]:
    """Items finished per period, the KTLO ones among them, and the KTLO median cycle time."""
    return {
        "kind": "line",
        "title": f"Flow — {flow.team or 'organisation'}",
        "x": [p.period for p in flow.trend],
        "left": "items finished",
        "right": "days",
        "series": [
            {"name": "finished", "y": [p.throughput for p in flow.trend], "colour": "#5b6575"},
            {"name": "KTLO finished", "y": [p.ktlo_throughput for p in flow.trend],
             "colour": "#d6604d"},
            {"name": "KTLO cycle time (median days)",
             "y": [p.ktlo_cycle_median_days for p in flow.trend], "axis": 2, "colour": "#2166ac"},
        ],
    }  # fmt: skip


def buckets_spec(team: TeamBuckets) -> dict[str, Any]:
    """Each bucket's share in the last complete period against its target and band, with
    the previous period's share."""
    rows = team.buckets.buckets
    return {
        "kind": "targets",
        "title": f"Budget buckets — {team.team}, {team.buckets.period}",
        "x": [b.bucket for b in rows],
        "share": [b.share for b in rows],
        "target": [b.target for b in rows],
        "low": [b.low for b in rows],
        "high": [b.high for b in rows],
        "previous": [b.previous_share for b in rows],
        "colours": [COLOURS.get(b.bucket, FALLBACK.get(b.bucket, "#999999")) for b in rows],
        "period": team.buckets.period,
        "previous_period": team.buckets.previous_period,
    }


def breakdown_spec(breakdown: Breakdown) -> dict[str, Any]:
    """Person-days per value of the key, the largest first."""
    top = breakdown.groups[:TOP_GROUPS]
    return bars_spec(
        f"Person-days by {breakdown.by}",
        [g.key for g in top],
        [g.person_days for g in top],
        [None for _ in top],
    )


def capitalization_spec(section: CapitalizationSection) -> dict[str, Any]:
    """Person-days per period, capitalizable and expensed stacked (every team shown)."""
    periods: dict[str, dict[str, float]] = {}
    for row in section.document.rows:
        days = periods.setdefault(row.period, {"capitalizable": 0.0, "expensed": 0.0})
        days[row.cost_class] += row.person_days
    labels = sorted(periods)
    return {
        "kind": "columns",
        "title": "Capitalizable and expensed person-days",
        "x": labels,
        "axis": "person-days",
        "series": [
            {"name": name, "colour": colour,
             "y": [round(periods[p][name], 2) for p in labels]}
            for name, colour in CLASS_COLOURS.items()
        ],
    }  # fmt: skip
