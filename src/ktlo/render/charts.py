"""Chart specifications: the numbers each chart draws, as plain JSON for static/ktlo.js.

A spec never carries markup; labels are plain strings that the script escapes. With a
`links` function (the dashboard), each bar carries the URL of the items behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from ktlo.metrics.health_document import HealthDocument
from ktlo.periods import shown
from ktlo.render.display import display_name
from ktlo.render.wording import place
from ktlo.report.balance_types import Balance, TeamCard
from ktlo.report.steer_types import SprintTeam, TeamForecast

if TYPE_CHECKING:
    from ktlo.report.document import ReportDocument

Links = Callable[..., str] | None

# Warm colours for KTLO kinds, cool ones for new work, grey for other (colour-blind safe
# pairs were chosen so neighbours in the stack differ in lightness too).
COLOURS = {
    "incident": "#b2182b",
    "bug": "#d6604d",
    "security": "#8c2d04",
    "dependency": "#f4a582",
    "performance": "#e08214",
    "reliability": "#fdb863",
    "maintenance": "#c51b7d",
    "tech_debt": "#de77ae",
    "feature": "#2166ac",
    "project": "#67a9cf",
    "other": "#bababa",
}
FALLBACK = {"ktlo": "#fee090", "new_work": "#92c5de", "other": "#d9d9d9"}


def chart_specs(doc: ReportDocument, links: Links) -> dict[str, dict[str, Any]]:
    """Every chart of the document, keyed by the id its figure has in the page."""
    specs: dict[str, dict[str, Any]] = {}
    for bal in ([doc.organisation] if doc.organisation else []) + doc.balance:
        specs[chart_id("balance", bal.team)] = balance_spec(bal, links)
    for card in doc.teams:
        specs[chart_id("trend", card.team)] = trend_spec(card, doc.balance, links)
    if doc.hotspots:
        specs["hotspots"] = bars_spec(
            "KTLO person-days by directory",
            [place(h.repo_id, h.directory) for h in doc.hotspots],
            [h.ktlo_person_days for h in doc.hotspots],
            [
                links(investment="ktlo", repo=h.repo_id, directory=h.directory) if links else None
                for h in doc.hotspots
            ],
        )
    if doc.people:
        specs["people"] = bars_spec(
            "KTLO person-days by person",
            [display_name(p.name) for p in doc.people],
            [p.ktlo_person_days for p in doc.people],
            [links(investment="ktlo", person=p.person) if links else None for p in doc.people],
        )
    for outlook in doc.forecast.teams:
        if not outlook.missing:
            specs[chart_id("forecast", outlook.team)] = forecast_spec(outlook)
    for team in doc.sprints.teams:
        specs[chart_id("sprints", team.team)] = sprints_spec(team)
    if doc.health.scorecard:
        specs.update(health_specs(doc.health.scorecard))
    from ktlo.render.figure_charts import figure_specs  # it builds on this module

    specs.update(figure_specs(doc))
    return specs


def health_specs(card: HealthDocument) -> dict[str, dict[str, Any]]:
    """The trend lines of the health panels, one point per window (oldest first)."""
    x = [w.start for w in card.windows]
    incidents, bugs = card.incidents, card.bugs
    return {
        "incidents-trend": {
            "kind": "line",
            "title": "Incidents and time to restore per window",
            "x": x,
            "left": "incidents",
            "right": "hours",
            "series": [
                {"name": "incidents", "y": incidents.count.series, "colour": "#b2182b"},
                {
                    "name": "MTTR (median hours)",  # the tiles' 3.4 h, not 206.5 minutes
                    "y": [None if v is None else round(v / 60, 2) for v in incidents.mttr.series],
                    "axis": 2,
                    "colour": "#2166ac",
                },
            ],
        },  # fmt: skip
        "bugs-trend": {
            "kind": "line",
            "title": "Bugs opened, closed and open per window",
            "x": x,
            "left": "bugs per window",
            "right": "open bugs",
            "series": [
                {"name": "opened", "y": bugs.opened.series, "colour": "#d6604d"},
                {"name": "closed", "y": bugs.closed.series, "colour": "#1a7f37"},
                {
                    "name": "open backlog",
                    "y": bugs.open_backlog.series,
                    "axis": 2,
                    "colour": "#5b6575",
                },
            ],
        },  # fmt: skip
    }


def chart_id(kind: str, team: str | None) -> str:
    """A stable id for a team's chart, safe in HTML ids whatever the team is called."""
    if team is None:
        return f"{kind}-org"
    return f"{kind}-" + "".join(ch if ch.isalnum() else f"_{ord(ch):x}" for ch in team)


def balance_spec(bal: Balance, links: Links) -> dict[str, Any]:
    """Stacked shares of effort per period and kind, with the team's budget band."""
    periods = bal.periods
    series = []
    for kind in bal.subcategories:
        key = kind.key
        days = [p.by_subcategory.get(key, 0.0) for p in periods]
        series.append(
            {
                "name": key,
                "investment": kind.investment,
                "colour": COLOURS.get(key, FALLBACK.get(kind.investment, "#999999")),
                "y": [round(d / p.person_days, 4) if p.person_days else 0 for d, p in zip(days, periods, strict=True)],
                "days": days,
                "urls": [
                    links(team=bal.team, subcategory=key, **period_span(p.start, bal.period))
                    if links
                    else None
                    for p in periods
                ],
            }
        )  # fmt: skip
    return {
        "kind": "stack",
        "title": f"Investment balance — {bal.team or 'organisation'}",
        "x": [shown(p) for p in periods],
        "series": series,
        "share": [p.ktlo_share for p in periods],
        "share_low": [p.ktlo_share_low for p in periods],
        "share_high": [p.ktlo_share_high for p in periods],
        "band": [bal.low, bal.high],
    }


def trend_spec(card: TeamCard, balances: list[Balance], links: Links) -> dict[str, Any]:
    """A team's KTLO share per period against its band (the card's sparkline)."""
    bal = next((b for b in balances if b.team == card.team), None)
    periods = bal.periods if bal else []
    return {
        "kind": "spark",
        "title": f"KTLO share — {card.team}",
        "x": [shown(p) for p in periods],
        "y": [p.ktlo_share for p in periods],
        "band": [card.low, card.high],
        "urls": [
            links(team=card.team, investment="ktlo", **period_span(p.start, bal.period))
            if links and bal
            else None
            for p in periods
        ],
    }


def forecast_spec(outlook: TeamForecast) -> dict[str, Any]:
    """The KTLO share so far (a line), the periods ahead (dashed, from the last complete
    period) with their 80% band, the period in progress as an open point, and the team's
    budget band."""
    past, ahead = outlook.history, outlook.forecast
    last = past[-1]
    now = outlook.in_progress
    return {
        "kind": "forecast",
        "title": f"KTLO share {'naive ' if outlook.method == 'naive' else ''}forecast"
        f" — {outlook.team or 'organisation'}",
        "x": [p.period for p in past],
        "y": [p.share for p in past],
        "x_ahead": [last.period, *(f.period for f in ahead)],
        "y_ahead": [last.share, *(f.share for f in ahead)],
        "low": [last.share, *(f.low for f in ahead)],
        "high": [last.share, *(f.high for f in ahead)],
        "band": [outlook.low, outlook.high],
        # the period in progress (not fitted), as one open point at its forecast's place
        **({"x_now": [now.period], "y_now": [now.share]} if now else {}),
    }


def sprints_spec(team: SprintTeam) -> dict[str, Any]:
    """Planned and actual KTLO share per sprint (oldest first) over the team's budget band,
    and below them the items added mid-sprint, with how many of those were KTLO."""
    sprints = team.sprints
    names = [s.sprint for s in sprints]
    return {
        "kind": "sprints",
        "title": f"Planned and actual KTLO share per sprint — {team.team}",
        "x": [
            name if names.count(name) == 1 else f"{name} ({(s.starts_at or '')[:10]})"
            for name, s in zip(names, sprints, strict=True)
        ],
        "planned": [s.planned_ktlo_share for s in sprints],
        "actual": [s.actual_ktlo_share for s in sprints],
        "unplanned": [s.unplanned_items for s in sprints],
        "unplanned_ktlo": [s.unplanned_ktlo_items for s in sprints],
        "band": [team.low, team.high],
    }


def bars_spec(
    title: str, labels: list[str], values: list[float], urls: list[str | None]
) -> dict[str, Any]:
    """Horizontal bars, largest at the top."""
    return {"kind": "bars", "title": title, "labels": labels, "values": values, "urls": urls}


def period_span(start: str, period: str) -> dict[str, str]:
    """The [since, until) dates of the period starting on `start` (drill-down links)."""
    first = date.fromisoformat(start)
    if period == "week":
        end = date.fromordinal(first.toordinal() + 7)
    else:
        months = 3 if period == "quarter" else 1
        year, month = divmod(first.month - 1 + months, 12)
        end = date(first.year + year, month + 1, 1)
    return {"since": first.isoformat(), "until": end.isoformat()}
