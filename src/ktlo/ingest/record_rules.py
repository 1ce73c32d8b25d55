"""What a record's values must satisfy, whatever its source: times in order, counts not negative.

    incident     acknowledged_at, resolved_at ≥ created_at
    alert        acknowledged_at, closed_at ≥ created_at; count ≥ 0
    deployment   finished_at ≥ created_at
    build        started_at ≥ queued_at; finished_at ≥ started_at and ≥ queued_at; attempt ≥ 0
    sprint       ends_at ≥ starts_at
    work item    closed_at, merged_at ≥ created_at; estimate ≥ 0

An incident resolved before it was created would enter every median of `ktlo health` as a
negative duration. The imports (ktlo.sources.file_rows) refuse such a row with its file,
line and field: the user can fix an export. A record from an API (which the user cannot
fix) is stored without the impossible value by `ktlo.ingest.load`, and the sync says so. The
field names are the records' and the import columns' alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# (later, earlier): the first may be missing, but when both are known it is not before the second
ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "work_items": (("closed_at", "created_at"), ("merged_at", "created_at")),
    "incidents": (("acknowledged_at", "created_at"), ("resolved_at", "created_at")),
    "alerts": (("acknowledged_at", "created_at"), ("closed_at", "created_at")),
    "deployments": (("finished_at", "created_at"),),
    "builds": (
        ("started_at", "queued_at"),
        ("finished_at", "started_at"),
        ("finished_at", "queued_at"),
    ),
    "sprints": (("ends_at", "starts_at"),),
}
NOT_NEGATIVE: dict[str, tuple[str, ...]] = {
    "work_items": ("estimate",),
    "alerts": ("count",),
    "builds": ("attempt",),
}


def first_problem(kind: str, record: Any) -> tuple[str, str] | None:
    """The first field of `record` (a row model or a record) that breaks a rule, and why.

    The reason reads after the field's name: `acknowledged_at 2026-01-05T09:00:00Z is before
    created_at 2026-01-05T10:00:00Z`, `count is negative (-5)`.
    """
    for later, earlier in ORDER.get(kind, ()):
        after, before = _aware(getattr(record, later, None)), _aware(getattr(record, earlier, None))
        if after is not None and before is not None and after < before:
            return later, f"{_show(after)} is before {earlier} {_show(before)}"
    for name in NOT_NEGATIVE.get(kind, ()):
        value = getattr(record, name, None)
        if value is not None and value < 0:
            return name, f"is negative ({value:g})"
    return None


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is UTC, as the store keeps it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _show(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
