"""Opsgenie's REST JSON (as its Alert, Incident and Incident Timeline APIs document it) as records.

Keys: `opsgenie:alert:<id>` and `opsgenie:incident:<id>`. Opsgenie names responders, teams
and services by id; `Names` turns them into names (from the Team, User and Service APIs)
when it knows them, and keeps `<type>:<id>` otherwise. An alert's `report.ackTime` and
`report.closeTime` are milliseconds after its creation. Severity and priority both carry the
priority (`P1` … `P5`); Opsgenie has no other severity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ktlo.records import Alert, Incident, IncidentEvent
from ktlo.sources.base import canonical_json, parse_time

SOURCE = "opsgenie"
Json = Mapping[str, Any]

# Timeline entry types are named by what happened (`IncidentResolved`, `ResponderAlertAcked` ...):
# the first pattern found in the type (or the group) gives the event kind.
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"reopen", "reopened"),
        (r"resolve", "resolved"),
        (r"close", "closed"),
        (r"unack", "unacknowledged"),
        (r"ack", "acknowledged"),
        (r"escalat", "escalated"),
        (r"responder|assign|owner", "assigned"),
        (r"open|creat", "triggered"),
        (r"custom|note", "note"),
        (r"priority", "priority_changed"),
    )
)


@dataclass(frozen=True)
class Names:
    """Names of teams, users and services by id, as the account's APIs list them."""

    teams: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)

    def responder(self, responder: Json) -> str:
        kind, ident = str(responder.get("type") or ""), str(responder.get("id") or "")
        known = {"team": self.teams, "user": self.users}.get(kind, {}).get(ident)
        return known or str(responder.get("name") or responder.get("username") or f"{kind}:{ident}")


def alert_key(alert_id: str) -> str:
    return f"{SOURCE}:alert:{alert_id}"


def incident_key(incident_id: str) -> str:
    return f"{SOURCE}:incident:{incident_id}"


def alert_record(alert: Json, names: Names | None = None) -> Alert:
    """An alert: when it was created, acknowledged and closed, how often it fired, who got it."""
    names = names or Names()
    created = _time(alert.get("createdAt"))
    report = alert.get("report") or {}
    return Alert(
        key=alert_key(str(alert["id"])),
        source=SOURCE,
        external_id=str(alert["id"]),
        title=str(alert.get("message") or ""),
        created_at=created,
        severity=alert.get("priority"),
        acknowledged_at=_after(created, report.get("ackTime")),
        closed_at=_after(created, report.get("closeTime")),
        count=int(alert["count"]) if alert.get("count") is not None else None,
        tags=tuple(str(tag) for tag in alert.get("tags") or ()),
        responders=tuple(names.responder(r) for r in alert.get("responders") or ()),
        raw=canonical_json(alert),
    )


def incident_record(
    incident: Json, timeline: Iterable[Json] | None = None, names: Names | None = None
) -> Incident:
    """An incident and, when its timeline entries are given, its events."""
    names = names or Names()
    events = sorted(
        (e for entry in timeline or () if (e := timeline_event(entry)) is not None),
        key=lambda e: e.occurred_at,
    )
    services = [str(s) for s in incident.get("impactedServices") or ()]
    team_ids = [incident.get("ownerTeam")]
    team_ids += [r.get("id") for r in incident.get("responders") or () if r.get("type") == "team"]
    teams = [names.teams.get(str(t), str(t)) for t in team_ids if t]
    status = incident.get("status")
    ended = status in ("resolved", "closed")
    return Incident(
        key=incident_key(str(incident["id"])),
        source=SOURCE,
        external_id=str(incident["id"]),
        title=str(incident.get("message") or ""),
        created_at=_time(incident.get("createdAt")),
        service=names.services.get(services[0], services[0]) if services else None,
        teams=tuple(dict.fromkeys(teams)),
        severity=incident.get("priority"),
        priority=incident.get("priority"),
        status=status,
        acknowledged_at=_first(events, "acknowledged"),
        resolved_at=(_last(events, "resolved") or _last(events, "closed")) if ended else None,
        url=(incident.get("links") or {}).get("web"),
        events=tuple(events),
        raw=canonical_json(incident),
    )


def timeline_event(entry: Json) -> IncidentEvent | None:
    """One timeline entry as an event; hidden entries and entries without a time are left out."""
    when = parse_time(entry.get("eventTime"))
    if when is None or entry.get("hidden"):
        return None
    kind_name, group = str(entry.get("type") or ""), str(entry.get("group") or "")
    kind = next((k for pattern, k in _KINDS if pattern.search(kind_name)), None)
    kind = kind or next((k for pattern, k in _KINDS if pattern.search(group)), None)
    actor = entry.get("actor") or {}
    person = str(actor["name"]) if actor.get("type") == "user" and actor.get("name") else None
    text = (entry.get("description") or {}).get("content") or (entry.get("title") or {}).get(
        "content"
    )
    return IncidentEvent(when, kind or _snake(kind_name) or "event", person, text or None)


# -- helpers -----------------------------------------------------------------------------------


def _after(created: datetime, milliseconds: Any) -> datetime | None:
    if milliseconds is None:
        return None
    return created + timedelta(milliseconds=float(milliseconds))


def _first(events: list[IncidentEvent], kind: str) -> datetime | None:
    return next((e.occurred_at for e in events if e.kind == kind), None)


def _last(events: list[IncidentEvent], kind: str) -> datetime | None:
    return next((e.occurred_at for e in reversed(events) if e.kind == kind), None)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _time(value: Any) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("createdAt")
    return moment
