"""Jira's JSON (Cloud REST v3 and Data Center REST v2, as documented) as ktlo records. No network.

Keys: `jira:issue:<site>:<issue id>` (the id survives a move to another project; the key,
`SHOP-12`, is the record's `external_id`) and `jira:sprint:<site>:<sprint id>`, where `site`
is the host (and context path) of the Jira instance: `acme.atlassian.net`. A work item's
`sprint` and the `sprint` state changes name sprints by these keys.

Descriptions and comments on Cloud are Atlassian Document Format (ADF); they are stored as
plain text. Data Center sends wiki markup, stored as it comes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ktlo.classify.signals import is_bot
from ktlo.ingest.links import extract_refs
from ktlo.records import Activity, Link, Sprint, StateChange, WorkItem
from ktlo.sources import record_parts as rp
from ktlo.sources.base import canonical_json, parse_time
from ktlo.sources.standard_types import standard_type

SOURCE = "jira"
Json = Mapping[str, Any]

# Data Center may still send a sprint as the text of a Java object:
# com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=7,rapidViewId=3,state=CLOSED,name=...]
_SPRINT_KEYS = (
    "id rapidViewId state name startDate endDate completeDate activatedDate sequence goal "
    "autoStartStop synced incompleteIssuesDestinationId"
).split()
_SPRINT_PART = re.compile(r",(?=(?:" + "|".join(_SPRINT_KEYS) + r")=)")
_SITE = re.compile(r"^https?://(?P<site>[^?#]+?)/rest/(?:api|agile)/")
# Changelog fields (by fieldId, else by field name, lower-cased) -> state_changes.field
_CHANGED = {
    "status": "status", "assignee": "assignee", "summary": "title", "priority": "priority",
    "issuetype": "issue_type", "resolution": "resolution", "labels": "label",
    "components": "component", "component": "component", "parent": "parent",
    "issueparentassociation": "parent", "epic link": "parent", "parent link": "parent",
    "story points": "estimate", "story point estimate": "estimate", "sprint": "sprint",
}  # fmt: skip
_SETS = frozenset({"label", "component"})  # changes that add and remove members of a set


@dataclass(frozen=True)
class FieldIds:
    """Which custom fields hold sprints, story points and (Data Center) the epic link."""

    sprint: str | None = "customfield_10020"
    story_points: str | None = None
    epic_link: str | None = None

    def requested(self) -> list[str]:
        """The fields a search asks for: what the records below read, no more."""
        return [*_FIELDS, *(f for f in (self.sprint, self.story_points, self.epic_link) if f)]


_FIELDS = (
    "summary description issuetype status resolution resolutiondate priority labels "
    "components parent project reporter creator assignee created updated comment issuelinks"
).split()


def site_of(url: str) -> str:
    """`acme.atlassian.net` (or `jira.example.com/jira` with a context path) of a base URL."""
    host, _, prefix = re.sub(r"^https?://", "", url.rstrip("/")).partition("/")
    return "/".join(part for part in (host.lower(), prefix) if part)


def root_from_self(record: Json) -> str | None:
    """The web root of the instance a saved issue came from, from its `self` URL."""
    match = _SITE.match(str(record.get("self") or ""))
    if not match:
        return None
    scheme = str(record["self"]).split("://", 1)[0]
    return f"{scheme}://{match['site']}"


def issue_key(site: str, issue_id: str | int) -> str:
    return f"{SOURCE}:issue:{site}:{issue_id}"


def sprint_key(site: str, sprint_id: str | int) -> str:
    return f"{SOURCE}:sprint:{site}:{sprint_id}"


def issue_records(
    root: str,
    issue: Json,
    ids: FieldIds,
    histories: Iterable[Json] | None = None,
    comments: Iterable[Json] | None = None,
    types: Mapping[str, str] | None = None,
    team: str | None = None,
) -> tuple[WorkItem, list[Sprint]]:
    """An issue and the sprints it names. `histories` and `comments` replace embedded ones."""
    site = site_of(root)
    fields: Json = issue.get("fields") or {}
    created = _time(fields.get("created"))
    if histories is None:
        histories = (issue.get("changelog") or {}).get("histories") or ()
    if comments is None:
        comments = (fields.get("comment") or {}).get("comments") or ()
    history = sorted(histories, key=lambda h: (str(h.get("created")), _int(h.get("id"))))
    issue_type = _name(fields.get("issuetype"))
    labels = tuple(str(label) for label in fields.get("labels") or () if label)
    reporter = fields.get("reporter") or fields.get("creator")
    project = (fields.get("project") or {}).get("key")
    sprints = [
        _sprint(site, s, team or project)
        for s in parse_sprints(fields.get(ids.sprint) if ids.sprint else None)
    ]
    current = next((s for s in sprints if s.state == "active"), sprints[-1] if sprints else None)
    activities, changes = _history(site, history, fields, ids, created)
    activities += [
        Activity(who, "commented", when)
        for c in comments
        if (who := _person(c.get("author"))) and (when := parse_time(c.get("created")))
    ]
    body = adf_text(fields.get("description"))
    summary = str(fields.get("summary") or "")
    return (
        WorkItem(
            key=issue_key(site, issue["id"]),
            source=SOURCE,
            kind="epic" if _is_epic(fields.get("issuetype")) else "issue",
            external_id=str(issue["key"]),
            title=summary,
            body=body,
            project=project,
            author=_person(reporter) or None,
            author_email=(reporter or {}).get("emailAddress") or None,
            is_bot=_is_bot(reporter),
            state=_name(fields.get("status")),
            created_at=created,
            updated_at=parse_time(fields.get("updated")),
            closed_at=parse_time(fields.get("resolutiondate")),
            labels=labels,
            issue_type=issue_type,
            standard_type=standard_type(issue_type, labels, types),
            assignees=tuple(p for p in [_person(fields.get("assignee"))] if p),
            components=tuple(n for c in fields.get("components") or () if (n := _name(c))),
            parent_key=_parent(fields, ids),
            estimate=rp.number(fields.get(ids.story_points)) if ids.story_points else None,
            sprint=current.key if current else None,
            url=f"{root.rstrip('/')}/browse/{issue['key']}",
            activities=tuple(activities),
            links=tuple(_links(str(issue["key"]), fields, summary, body)),
            state_changes=rp.chronological(changes),
            raw=canonical_json(issue),
        ),
        sprints,
    )


# -- history -----------------------------------------------------------------------------------


def _history(
    site: str, history: list[Json], fields: Json, ids: FieldIds, created: datetime
) -> tuple[list[Activity], list[StateChange]]:
    """The changelog as state changes, and who transitioned, assigned or resolved the issue."""
    reporter = _person(fields.get("reporter") or fields.get("creator"))
    activities = [Activity(reporter, "opened", created)] if reporter else []
    changes: list[StateChange] = []
    assigned = False
    first_status: str | None = None
    for entry in history:
        when, who = parse_time(entry.get("created")), _person(entry.get("author")) or None
        if when is None:
            continue
        for item in entry.get("items") or ():
            field = _field(item, ids)
            if field is None:
                continue
            before, after = item.get("fromString"), item.get("toString")
            if field == "status":
                first_status = first_status or before
                if who:
                    activities.append(Activity(who, "transitioned", when, after))
            elif field == "assignee":
                assigned = True
                if after:
                    activities.append(Activity(str(after), "assigned", when))
            elif field == "resolution" and who:
                activities.append(Activity(who, "closed" if after else "reopened", when, after))
            if field == "sprint":
                changes += _sprint_changes(site, item, when, who)
            elif field in _SETS:
                changes += _set_changes(field, before, after, when, who)
            else:
                changes.append(StateChange(when, field, before, after, who))
    initial = first_status or _name(fields.get("status"))
    changes.append(StateChange(created, "status", None, initial, reporter or None))
    assignee = _person(fields.get("assignee"))
    if assignee and not assigned:
        activities.append(Activity(assignee, "assigned", created))
    return activities, changes


def _field(item: Json, ids: FieldIds) -> str | None:
    field_id, name = str(item.get("fieldId") or ""), str(item.get("field") or "").lower()
    if ids.sprint and field_id == ids.sprint:
        return "sprint"
    if ids.story_points and field_id == ids.story_points:
        return "estimate"
    if ids.epic_link and field_id == ids.epic_link:
        return "parent"
    return _CHANGED.get(field_id.lower()) or _CHANGED.get(name)


def _sprint_changes(site: str, item: Json, when: datetime, who: str | None) -> list[StateChange]:
    """`from: "37"`, `to: "37, 38"`: joined sprint 38 (from 37); ids that vanish were left."""
    before = [s.strip() for s in str(item.get("from") or "").split(",") if s.strip()]
    after = [s.strip() for s in str(item.get("to") or "").split(",") if s.strip()]
    last = sprint_key(site, before[-1]) if before else None
    found = [
        StateChange(when, "sprint", last, sprint_key(site, s), who)
        for s in after
        if s not in before
    ]
    if not found:
        found = [
            StateChange(when, "sprint", sprint_key(site, s), None, who)
            for s in before
            if s not in after
        ]
    return found


def _set_changes(
    field: str, before: Any, after: Any, when: datetime, who: str | None
) -> list[StateChange]:
    """Labels (space-separated) and components (one per item) added and removed."""
    split = str.split if field == "label" else (lambda text: [text] if text else [])
    old, new = split(str(before or "")), split(str(after or ""))
    return [StateChange(when, field, None, v, who) for v in new if v not in old] + [
        StateChange(when, field, v, None, who) for v in old if v not in new
    ]


# -- sprints -----------------------------------------------------------------------------------


def parse_sprints(value: Any) -> list[dict[str, Any]]:
    """The sprints of a sprint field: Cloud's objects, or Data Center's objects or strings."""
    found = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and entry.get("id") is not None:
            found.append({**entry, "_raw": entry})
        elif isinstance(entry, str) and "[" in entry and entry.endswith("]"):
            parts = _SPRINT_PART.split(entry[entry.index("[") + 1 : -1])
            pairs = dict(part.split("=", 1) for part in parts if "=" in part)
            clean = {k: (None if v == "<null>" else v) for k, v in pairs.items()}
            if clean.get("id"):
                found.append({**clean, "boardId": clean.get("rapidViewId"), "_raw": entry})
    return found


def _sprint(site: str, sprint: Json, team: str | None) -> Sprint:
    return Sprint(
        key=sprint_key(site, sprint["id"]),
        source=SOURCE,
        name=str(sprint.get("name") or sprint["id"]),
        team=team,
        state=str(sprint.get("state") or "").lower() or None,
        starts_at=parse_time(sprint.get("startDate")),
        ends_at=parse_time(sprint.get("completeDate")) or parse_time(sprint.get("endDate")),
        raw=canonical_json(sprint["_raw"]),
    )


# -- Atlassian Document Format -------------------------------------------------------------------

_BLOCKS = frozenset(
    "paragraph heading blockquote codeBlock listItem tableRow panel rule mediaSingle".split()
)


def adf_text(node: Any) -> str:
    """Plain text of an ADF document (Cloud), or the text itself (Data Center's wiki markup)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    return re.sub(r"\n{3,}", "\n\n", _adf(node)).strip()


def _adf(node: Any) -> str:
    if isinstance(node, list):
        return "".join(_adf(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date"):
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("timestamp") or "")
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url") or "")
    inner = _adf(node.get("content") or [])
    return inner.rstrip("\n") + "\n" if kind in _BLOCKS else inner


# -- small helpers -----------------------------------------------------------------------------


def _person(user: Any) -> str:
    """Display name, as people are named in git too (Cloud hides most emails)."""
    if not isinstance(user, dict):
        return ""
    return str(user.get("displayName") or user.get("name") or user.get("accountId") or "")


def _is_bot(user: Any) -> bool:
    if not isinstance(user, dict):
        return False
    return user.get("accountType") == "app" or is_bot(_person(user))


def _name(value: Any) -> str | None:
    return str(value["name"]) if isinstance(value, dict) and value.get("name") else None


def _is_epic(issue_type: Any) -> bool:
    if not isinstance(issue_type, dict):
        return False
    return issue_type.get("hierarchyLevel") == 1 or str(issue_type.get("name")).lower() == "epic"


def _parent(fields: Json, ids: FieldIds) -> str | None:
    parent = fields.get("parent")
    if isinstance(parent, dict) and parent.get("key"):
        return str(parent["key"])
    epic = fields.get(ids.epic_link) if ids.epic_link else None
    return str(epic) if isinstance(epic, str) and epic else None


def _links(own: str, fields: Json, summary: str, body: str) -> list[Link]:
    """Issue links (`blocks`, `is caused by`, ... as Jira words them) and references in text."""
    links = []
    for link in fields.get("issuelinks") or ():
        kind = link.get("type") or {}
        if (other := link.get("outwardIssue")) and other.get("key"):
            links.append(Link(str(other["key"]), str(kind.get("outward") or "relates to")))
        elif (other := link.get("inwardIssue")) and other.get("key"):
            links.append(Link(str(other["key"]), str(kind.get("inward") or "relates to")))
    named = {link.to_ref for link in links}
    links += [
        Link(ref, "mentions") for ref in extract_refs(summary, body) if ref not in (own, *named)
    ]
    return links


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _time(value: Any) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("a Jira issue without its created field")
    return moment
