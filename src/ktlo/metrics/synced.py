"""Whether each kind of operational record was ever synced, and what a figure with no input
shows: "no data" (None, with a note saying what to sync), never a zero.

A scope (a team, a service) with no incidents while the store holds other teams' incidents
had none: 0 is its answer. A store that never held an incident cannot tell: every incident
figure is unknown, and `ktlo health`, KTLO mode, the report and the dashboard say so.
"""

from __future__ import annotations

from typing import Any

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

# the records each section of `ktlo health` reads
SECTION_NEEDS: dict[str, tuple[str, ...]] = {
    "dora": ("deployments",),
    "incidents": ("incidents",),
    "bugs": ("bugs",),
    "builds": ("builds",),
    "alerts": ("alerts",),
    "slos": ("incidents",),
}
KEEP = {"unit", "name", "definition", "bucket", "window_days", "target", "service",
        "error_budget_minutes"}  # fmt: skip


def synced_counts(con: Any) -> dict[str, int]:
    """How many records of each operational kind the store holds (`con`: a DuckDB connection)."""
    counts = {}
    for name, (_, sql) in SYNCED.items():
        row = con.execute(sql).fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def missing(counts: dict[str, int], *needs: str) -> str | None:
    """The empty state of a panel when none of the records it `needs` was ever synced."""
    if any(counts.get(n) for n in needs):
        return None
    names = " or ".join(SYNCED[n][0] for n in needs)
    return f"no {names} synced yet — run `ktlo sync`"


def no_data(section: Any) -> Any:
    """A health section (a model of figures, or the list of SLOs) with every figure unknown:
    its numbers None, its trend unknown; names, units and targets kept."""
    if isinstance(section, list):
        return [_unknown(figure) for figure in section]
    fields = type(section).model_fields
    return section.model_copy(update={name: _unknown(getattr(section, name)) for name in fields})


def _unknown(figure: Any) -> Any:
    """A figure (or an SLO) with its numbers None; anything else as it is."""
    fields = getattr(type(figure), "model_fields", {})
    if "value" not in fields and "availability" not in fields:
        return figure
    update: dict[str, Any] = {}
    for key in fields:
        value = getattr(figure, key)
        if key in KEEP or isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            update[key] = None
        elif isinstance(value, list) and all(isinstance(v, int | float | None) for v in value):
            update[key] = [None] * len(value)
    update["trend"], update["improving"] = "unknown", None
    if "status" in fields:
        update["status"] = "no data"
    return figure.model_copy(update=update)
