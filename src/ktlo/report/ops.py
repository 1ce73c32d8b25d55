"""The operational sections: health (DORA, incidents, bugs, builds, alerts, SLOs), KTLO mode
and rotation load. The figures come from `ktlo.metrics` and `ktlo.planning`; this module
only says, per panel, whether its data has been synced at all, so that a panel with no
data says so ("no incidents synced yet — run `ktlo sync`") instead of showing zeros.
"""

from __future__ import annotations

from ktlo.store import Store

# panel -> (what its data is called, the SQL that counts it)
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
    """How many records each operational panel has to work with."""
    counts = {}
    for panel, (_, sql) in SYNCED.items():
        row = store.con.execute(sql).fetchone()
        counts[panel] = int(row[0]) if row else 0
    return counts


def missing_message(panel: str) -> str:
    """The explicit empty state of a panel whose data was never synced."""
    return f"no {SYNCED[panel][0]} synced yet — run `ktlo sync`"
