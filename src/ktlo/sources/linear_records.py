"""Linear's GraphQL answers (as its schema documents them) turned into ktlo records. No network.

Keys: `linear:issue:<uuid>` and `linear:sprint:<cycle uuid>`. An issue's `external_id` is its
identifier (`ENG-123`), so references in commits and other trackers find it, and its
`parent_key` is its parent's identifier. `project` is the team's key; the Linear project an
issue belongs to is kept in `components` and is its `initiative`. A work item's `sprint` is its cycle's key, as the
`sprints` table names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ktlo.ingest.links import extract_refs
from ktlo.records import Activity, Link, Sprint, StateChange, WorkItem
from ktlo.sources.base import canonical_json, parse_time
from ktlo.sources.standard_types import standard_type

SOURCE = "linear"
Json = Mapping[str, Any]
# Workflow state types that end an issue (Linear: triage, backlog, unstarted, started, completed, canceled).
_CLOSED_TYPES = frozenset({"completed", "canceled"})
# History fields that are one value changing into another: (ktlo field, from, to, how to name a value).
_VALUE_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("assignee", "fromAssignee", "toAssignee", "name"),
    ("priority", "fromPriority", "toPriority", ""),
    ("estimate", "fromEstimate", "toEstimate", ""),
    ("parent", "fromParent", "toParent", "identifier"),
    ("project", "fromProject", "toProject", "name"),
    ("title", "fromTitle", "toTitle", ""),
)


def issue_key(issue_id: str) -> str:
    return f"{SOURCE}:issue:{issue_id}"


def sprint_key(cycle_id: str) -> str:
    return f"{SOURCE}:sprint:{cycle_id}"


def issue_item(
    issue: Json,
    history: Iterable[Json] | None = None,
    comments: Iterable[Json] | None = None,
    labels: Iterable[Json] | None = None,
    types: Mapping[str, str] | None = None,
    raw: str | None = None,
) -> WorkItem:
    """An issue with its state history, assignments and comments.

    `history`, `comments` and `labels` are the issue's whole connections when they took more
    than the first page; by default the nodes inside `issue` are used. `raw` is the issue as
    the list answered it (the store compares it to skip unchanged issues).
    """
    names = tuple(
        str(n["name"]) for n in (labels if labels is not None else _nodes(issue, "labels"))
    )
    events = sorted(
        history if history is not None else _nodes(issue, "history"),
        key=lambda h: str(h.get("createdAt")),
    )
    created = _time(issue.get("createdAt"))
    creator = _name(issue.get("creator"))
    state = issue.get("state") or {}
    activities = [Activity(creator, "opened", created)] if creator else []
    changes = _state_changes(issue, events, created, creator)
    activities += _history_activities(issue, events, created)
    for comment in comments if comments is not None else _nodes(issue, "comments"):
        who, when = _name(comment.get("user")), parse_time(comment.get("createdAt"))
        if who and when:
            activities.append(Activity(who, "commented", when))
    cycle = issue.get("cycle")
    project = issue.get("project")
    parent = issue.get("parent")
    identifier = str(issue["identifier"])
    return WorkItem(
        key=issue_key(str(issue["id"])),
        source=SOURCE,
        kind="issue",
        external_id=identifier,
        title=str(issue.get("title") or ""),
        body=str(issue.get("description") or ""),
        project=(issue.get("team") or {}).get("key"),
        author=creator or None,
        author_email=(issue.get("creator") or {}).get("email") or None,
        state=state.get("name"),
        created_at=created,
        updated_at=parse_time(issue.get("updatedAt")),
        closed_at=parse_time(issue.get("completedAt")) or parse_time(issue.get("canceledAt")),
        labels=names,
        standard_type=standard_type(None, names, types),
        assignees=(name,) if (name := _name(issue.get("assignee"))) else (),
        components=(str(project["name"]),) if project else (),
        initiative=str(project["name"]) if project else None,
        parent_key=str(parent["identifier"]) if parent else None,
        estimate=float(issue["estimate"]) if issue.get("estimate") is not None else None,
        sprint=sprint_key(str(cycle["id"])) if cycle else None,
        branch=issue.get("branchName") or None,
        url=issue.get("url"),
        activities=tuple(sorted(activities, key=lambda a: (a.occurred_at, a.kind))),
        links=tuple(_links(issue, identifier)),
        state_changes=tuple(sorted(changes, key=lambda c: (c.occurred_at, c.field))),
        raw=raw if raw is not None else canonical_json(issue),
    )


def cycle_sprint(cycle: Json) -> Sprint:
    """A cycle as a sprint of its team: `active`, `future` or `closed`."""
    number = cycle.get("number")
    number_text = f"{number:g}" if isinstance(number, float | int) else str(number)
    if cycle.get("isActive"):
        state = "active"
    elif cycle.get("isFuture"):
        state = "future"
    else:
        state = "closed"
    return Sprint(
        key=sprint_key(str(cycle["id"])),
        source=SOURCE,
        name=str(cycle.get("name") or f"Cycle {number_text}"),
        team=(cycle.get("team") or {}).get("key"),
        state=state,
        starts_at=parse_time(cycle.get("startsAt")),
        ends_at=parse_time(cycle.get("endsAt")),
        raw=canonical_json(cycle),
    )


# -- history -----------------------------------------------------------------------------------


def _state_changes(
    issue: Json, events: list[Json], created: datetime, creator: str
) -> list[StateChange]:
    """State, assignee, cycle, label, estimate ... changes; the state at creation first."""
    changes: list[StateChange] = []
    first_state = next((h for h in events if h.get("toState")), None)
    if first_state is None or first_state.get("fromState"):
        # No history names the state the issue was created in: the oldest one known is it.
        initial = (first_state or {}).get("fromState") or issue.get("state") or {}
        if initial.get("name"):
            changes.append(StateChange(created, "status", None, initial["name"], creator or None))
    for event in events:
        when = parse_time(event.get("createdAt"))
        if when is None:
            continue
        actor = _name(event.get("actor")) or None
        if event.get("fromState") or event.get("toState"):
            before, after = (
                _value(event.get("fromState"), "name"),
                _value(event.get("toState"), "name"),
            )
            changes.append(StateChange(when, "status", before, after, actor))
        if event.get("fromCycle") or event.get("toCycle"):
            before, after = _cycle_value(event.get("fromCycle")), _cycle_value(event.get("toCycle"))
            changes.append(StateChange(when, "sprint", before, after, actor))
        for label in event.get("addedLabels") or ():
            changes.append(StateChange(when, "label", None, str(label.get("name")), actor))
        for label in event.get("removedLabels") or ():
            changes.append(StateChange(when, "label", str(label.get("name")), None, actor))
        for field, old, new, name in _VALUE_FIELDS:
            before, after = _value(event.get(old), name), _value(event.get(new), name)
            if before != after:
                changes.append(StateChange(when, field, before, after, actor))
    return changes


def _history_activities(issue: Json, events: list[Json], created: datetime) -> list[Activity]:
    """Who moved the issue (`transitioned`, `closed`) and who it was assigned to (`assigned`)."""
    activities: list[Activity] = []
    assigned = False
    for event in events:
        when = parse_time(event.get("createdAt"))
        if when is None:
            continue
        actor = _name(event.get("actor"))
        to_state = event.get("toState") or {}
        if actor and to_state:
            kind = "closed" if to_state.get("type") in _CLOSED_TYPES else "transitioned"
            activities.append(Activity(actor, kind, when, to_state.get("name")))
        if assignee := _name(event.get("toAssignee")):
            activities.append(Activity(assignee, "assigned", when))
            assigned = True
    current = _name(issue.get("assignee"))
    if current and not assigned:
        activities.append(Activity(current, "assigned", created))
    return activities


def _links(issue: Json, identifier: str) -> list[Link]:
    refs = extract_refs(str(issue.get("title") or ""), str(issue.get("description") or ""))
    return [Link(ref, "mentions") for ref in refs if ref != identifier]


# -- small helpers -----------------------------------------------------------------------------


def _nodes(record: Json, connection: str) -> list[Json]:
    value = record.get(connection)
    nodes = value.get("nodes") if isinstance(value, dict) else None
    return [n for n in nodes or () if isinstance(n, dict)]


def _name(user: Any) -> str:
    """A user as ktlo names people: their full name (Linear's `name`), else the display name."""
    if not isinstance(user, dict):
        return ""
    return str(user.get("name") or user.get("displayName") or "")


def _value(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        found = value.get(name)
        return str(found) if found is not None else None
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cycle_value(cycle: Any) -> str | None:
    return sprint_key(str(cycle["id"])) if isinstance(cycle, dict) and cycle.get("id") else None


def _time(value: Any) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("createdAt")
    return moment
