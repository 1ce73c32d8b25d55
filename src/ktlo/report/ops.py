"""The operational sections: health (DORA, incidents, bugs, builds, alerts, SLOs), KTLO mode
and rotation load. The figures come from `ktlo.metrics` and `ktlo.planning`; this module
decides, per panel, whether its data has been synced at all, so that a panel with no data
says so ("no incidents synced yet — run `ktlo sync`") instead of showing zeros.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ktlo.config import Config
from ktlo.planning.review import rotation_review
from ktlo.report.model import ReportFilters
from ktlo.store import Store

ROTATION_DAYS = 91  # the rotation review covers the quarter up to the newest effort

# what each kind of record is called, and the SQL that counts it
SYNCED: dict[str, tuple[str, str]] = {
    "deployments": ("deployments", "SELECT count(*) FROM deployments"),
    "incidents": ("incidents", "SELECT count(*) FROM incidents"),
    "builds": ("builds", "SELECT count(*) FROM builds"),
    "alerts": ("alerts", "SELECT count(*) FROM alerts"),
    "bugs": (
        "bug reports",
        "SELECT count(*) FROM work_items WHERE kind <> 'commit' AND standard_type = 'bug'",
    ),
}


def synced_counts(store: Store) -> dict[str, int]:
    """How many records of each operational kind the store holds."""
    counts = {}
    for name, (_, sql) in SYNCED.items():
        row = store.con.execute(sql).fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def missing(counts: dict[str, int], *needs: str) -> str | None:
    """The empty state of a panel when none of the records it `needs` was ever synced."""
    if any(counts.get(n) for n in needs):
        return None
    names = " or ".join(SYNCED[n][0] for n in needs)
    return f"no {names} synced yet — run `ktlo sync`"


def rotation_section(
    store: Store, config: Config, filters: ReportFilters, as_of: str | None, counts: dict[str, int]
) -> dict[str, Any]:
    """Per team with members: on-call load per person over the last quarter, and fairness."""
    absent = missing(counts, "alerts", "incidents")
    if absent:
        return {"missing": absent, "teams": []}
    teams = [t for t in config.teams if t.members and (filters.team in (None, t.name))]
    if not teams:
        return {
            "missing": "no team with members in ktlo.toml — list them under [[teams]]",
            "teams": [],
        }
    end = date.fromisoformat(as_of) if as_of else date.today()
    since = filters.since or end - timedelta(days=ROTATION_DAYS)
    reviews = []
    for team in teams:
        review = rotation_review(store, config, team, since)
        reviews.append(
            {
                "team": team.name,
                "since": review["since"],
                "people": review["people"],
                "gini": review["gini"],
                "shifts": len(review["shifts"]),
                "on_call_from": review["on_call_from"],
            }
        )
    return {"missing": None, "teams": reviews}


# panel key -> (title, the records it needs)
HEALTH_PANELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dora", "DORA: delivery and stability", ("deployments",)),
    ("incidents", "Incidents and time to restore", ("incidents",)),
    ("repeats", "Repeat incidents", ("incidents",)),
    ("bugs", "Bug backlog", ("bugs",)),
    ("builds", "Build health", ("builds",)),
    ("alerts", "Alert noise", ("alerts",)),
)


def health_section(
    store: Store, config: Config, filters: ReportFilters, counts: dict[str, int]
) -> dict[str, Any]:
    """The health panels: each either says its data was never synced or carries its figures."""
    panels = [
        {"key": key, "title": title, "missing": missing(counts, *needs), "data": None}
        for key, title, needs in HEALTH_PANELS
    ]
    return {"panels": panels}
