"""PagerDuty REST v2 JSON (as its API reference documents it) turned into ktlo records. No network.

Keys: `pagerduty:incident:<id>` and `pagerduty:alert:<id>`. PagerDuty has no severity on
incidents: `severity` and `priority` both carry the priority's name (`P1`), `urgency` the
urgency (`high`, `low`). An incident's timeline comes from its log entries: who triggered,
acknowledged, escalated, was assigned, added a note, resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ktlo.records import Alert, Incident, IncidentEvent
from ktlo.sources.base import canonical_json, parse_time

SOURCE = "pagerduty"
Json = Mapping[str, Any]

# Log entry type -> incident event kind; other types keep their own name without `_log_entry`.
_KINDS = {
    "trigger_log_entry": "triggered",
    "acknowledge_log_entry": "acknowledged",
    "acknowledgement_log_entry": "acknowledged",
    "unacknowledge_log_entry": "unacknowledged",
    "escalate_log_entry": "escalated",
    "assign_log_entry": "assigned",
    "delegate_log_entry": "reassigned",
    "resolve_log_entry": "resolved",
    "annotate_log_entry": "note",
    "notify_log_entry": "notified",
    "snooze_log_entry": "snoozed",
    "urgency_change_log_entry": "urgency_changed",
}
# Kinds whose people are the users the entry names (`assignees`), not the agent that acted.
_TO_ASSIGNEES = frozenset({"escalated", "assigned", "reassigned"})


def incident_key(incident_id: str) -> str:
    return f"{SOURCE}:incident:{incident_id}"


def alert_key(alert_id: str) -> str:
    return f"{SOURCE}:alert:{alert_id}"


def incident_record(incident: Json, log_entries: Iterable[Json] | None = None) -> Incident:
    """An incident and, when its log entries are given, its timeline."""
    entries = sorted(log_entries or (), key=lambda e: str(e.get("created_at")))
    events = [event for entry in entries for event in log_events(entry)]
    priority = _summary(incident.get("priority"))
    return Incident(
        key=incident_key(str(incident["id"])),
        source=SOURCE,
        external_id=str(incident["id"]),
        title=str(incident.get("title") or incident.get("summary") or ""),
        created_at=_time(incident.get("created_at")),
        service=_summary(incident.get("service")),
        teams=tuple(name for team in incident.get("teams") or () if (name := _summary(team))),
        severity=priority,
        urgency=incident.get("urgency"),
        priority=priority,
        status=incident.get("status"),
        acknowledged_at=_first(events, "acknowledged") or _acknowledged(incident),
        resolved_at=parse_time(incident.get("resolved_at")) or _last(events, "resolved"),
        url=incident.get("html_url"),
        events=tuple(events),
        raw=canonical_json(incident),
    )


def log_events(entry: Json) -> list[IncidentEvent]:
    """One log entry as timeline events: one per person it assigns, else one."""
    when = parse_time(entry.get("created_at"))
    if when is None:
        return []
    kind_name = str(entry.get("type") or "")
    kind = _KINDS.get(kind_name, kind_name.removesuffix("_log_entry"))
    agent = entry.get("agent") or {}
    actor = _summary(agent) if agent.get("type") == "user_reference" else None
    if kind in _TO_ASSIGNEES and entry.get("assignees"):
        return [
            IncidentEvent(when, kind, _summary(user), entry.get("summary"))
            for user in entry["assignees"]
        ]
    if kind == "notified":
        # Being paged is not yet responding: the person is named in the detail only.
        user = _summary(entry.get("user")) or ""
        how = ((entry.get("channel") or {}).get("notification") or {}).get("type")
        return [IncidentEvent(when, kind, None, f"{user} ({how})" if how else user or None)]
    return [IncidentEvent(when, kind, actor, _detail(entry, kind))]


def alert_record(alert: Json, incident_id: str | None = None) -> Alert:
    """An alert of an incident (its `incident` reference names it when `incident_id` is not given)."""
    incident = incident_id or (alert.get("incident") or {}).get("id")
    return Alert(
        key=alert_key(str(alert["id"])),
        source=SOURCE,
        external_id=str(alert["id"]),
        title=str(alert.get("summary") or ""),
        created_at=_time(alert.get("created_at")),
        incident_key=incident_key(str(incident)) if incident else None,
        service=_summary(alert.get("service")),
        severity=alert.get("severity"),
        closed_at=parse_time(alert.get("resolved_at")),
        raw=canonical_json(alert),
    )


# -- helpers -----------------------------------------------------------------------------------


def _detail(entry: Json, kind: str) -> str | None:
    if kind == "note":
        channel = entry.get("channel") or {}
        return entry.get("note") or channel.get("summary") or entry.get("summary")
    if kind == "triggered":
        return (entry.get("channel") or {}).get("type") or entry.get("summary")
    return entry.get("summary")


def _acknowledged(incident: Json) -> datetime | None:
    moments = [
        moment
        for ack in incident.get("acknowledgements") or ()
        if (moment := parse_time(ack.get("at"))) is not None
    ]
    return min(moments, default=None)


def _first(events: list[IncidentEvent], kind: str) -> datetime | None:
    return next((e.occurred_at for e in events if e.kind == kind), None)


def _last(events: list[IncidentEvent], kind: str) -> datetime | None:
    return next((e.occurred_at for e in reversed(events) if e.kind == kind), None)


def _summary(reference: Any) -> str | None:
    if not isinstance(reference, dict):
        return None
    name = reference.get("summary") or reference.get("name")
    return str(name) if name else None


def _time(value: Any) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("created_at")
    return moment
