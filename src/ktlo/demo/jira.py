"""The demo's tracker as Jira Cloud's search answer, saved: `ktlo sync --from-file` reads it.

Each issue comes as `GET /rest/api/3/search/jql?...&expand=changelog` returns it: summary,
type, status, resolution, labels, component, reporter, assignee, story points, the sprints
it was in, the epic it belongs to, its comments and its changelog (sprint moves,
assignment, To Do → In Progress → In Review → Done). That history is the effort the issue
carries (docs/effort.md), and the issue is what the commits naming it inherit from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from ktlo.demo.items import SPRINT_DAYS, Issue, TeamYear, sprint_start
from ktlo.demo.organisation import AUTOMATION, END, TEAMS, DemoPerson, DemoTeam

SITE = "https://acme-demo.atlassian.net"
SPRINT_FIELD = "customfield_10020"  # Jira Cloud's usual ids
POINTS_FIELD = "customfield_10016"
STATUS_IDS = {"To Do": "10000", "In Progress": "3", "Blocked": "10003", "In Review": "10001",
              "Done": "10002"}  # fmt: skip


def write_tracker(path: Path, years: list[TeamYear]) -> None:
    """One saved search answer per project, back to back in one file."""
    ids = count(10000)
    pages = []
    for year in years:
        numbers = {issue.key: str(next(ids)) for issue in year.issues}
        issues = [_issue(issue, numbers) for issue in year.issues]
        pages.append({"issues": issues, "isLast": True})
    path.write_text("\n".join(json.dumps(page, ensure_ascii=False) for page in pages) + "\n")


def _ts(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _user(person: DemoPerson) -> dict[str, Any]:
    kind = "app" if person is AUTOMATION else "atlassian"
    return {"accountId": f"acme-{person.key}", "displayName": person.name,
            "emailAddress": person.email, "timeZone": person.timezone,
            "active": True, "accountType": kind}  # fmt: skip


def _doc(text: str) -> dict[str, Any]:
    """Atlassian Document Format, as Cloud sends descriptions and comments."""
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


def _status(issue: Issue) -> str:
    if issue.done is not None:
        return "Done"
    return "In Progress" if issue.started is not None else "To Do"


def _issue(issue: Issue, numbers: dict[str, str]) -> dict[str, Any]:
    """One issue as the search answer holds it, with its changelog and comments."""
    ident = numbers[issue.key]
    histories = list(_histories(issue))
    for n, history in enumerate(histories):
        history["id"] = f"{ident}{n:03d}"
    comments = [
        {"id": f"{ident}{n:03d}", "author": _user(who), "body": _doc(body), "created": _ts(when),
         "updated": _ts(when)}
        for n, (who, when, body) in enumerate(sorted(issue.comments, key=lambda c: c[1]))
    ]  # fmt: skip
    moments = [issue.created, *(c[1] for c in issue.comments)]
    moments += [datetime.fromisoformat(h["created"][:19]) for h in histories]
    fields = _fields(issue)
    fields["updated"] = _ts(max(moments))
    fields["comment"] = {"comments": comments, "startAt": 0, "maxResults": len(comments),
                         "total": len(comments)}  # fmt: skip
    if issue.parent is not None:
        fields["parent"] = {"id": numbers[issue.parent.key], "key": issue.parent.key,
                            "fields": {"summary": issue.parent.title}}  # fmt: skip
    changelog = {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                 "histories": histories}  # fmt: skip
    return {"id": ident, "key": issue.key, "self": f"{SITE}/rest/api/3/issue/{ident}",
            "changelog": changelog, "fields": fields}  # fmt: skip


def _fields(issue: Issue) -> dict[str, Any]:
    """The issue's fields as they stand on the demo's last day."""
    kind, status = issue.kind, _status(issue)
    urgent = kind == "Bug" and bool(issue.sprints) and not issue.sprints[0][2]  # added mid-sprint
    return {
        "summary": issue.title,
        "description": _doc(_description(issue)),
        "issuetype": {"name": kind, "subtask": False, "hierarchyLevel": 1 if kind == "Epic" else 0},
        "status": {"name": status, "id": STATUS_IDS[status]},
        "resolution": {"name": "Done"} if issue.done else None,
        "resolutiondate": _ts(issue.done) if issue.done else None,
        "priority": {"name": "High" if urgent else "Medium"},
        "labels": list(issue.labels),
        "components": [{"name": _service(issue)}] if kind != "Epic" else [],
        "project": {"key": issue.team.ticket, "name": issue.team.name.title()},
        "reporter": _user(issue.reporter),
        "creator": _user(issue.reporter),
        "assignee": _user(issue.people[0]) if issue.people else None,
        "created": _ts(issue.created),
        "issuelinks": [],
        SPRINT_FIELD: [_sprint(issue.team, n) for n, _, _ in issue.sprints] or None,
        POINTS_FIELD: float(issue.estimate) if issue.estimate is not None else None,
    }


def _service(issue: Issue) -> str:
    """Components name the service the issue is about (the repository it lives in)."""
    team = issue.team
    return dict(zip(team.repos, team.services, strict=False)).get(issue.repo, team.services[0])


def _description(issue: Issue) -> str:
    if issue.kind == "Bug":
        return f"Seen in {issue.comp}. Expected the {issue.thing} to be right; it was not."
    if issue.kind == "Story":
        return f"Product ask for {issue.comp}; details in the spec."
    if issue.kind == "Epic":
        return "The team's project for this year; milestones are its stories."
    return f"Work on {issue.comp}."


def _histories(issue: Issue) -> Iterator[dict[str, Any]]:
    """The changelog: sprint moves, the pick-up, review and done, oldest first."""
    lead, owner = issue.team.people[0], (issue.people[0] if issue.people else None)
    events: list[tuple[datetime, DemoPerson, list[dict[str, Any]]]] = []
    before: list[int] = []
    for n, when, planned in issue.sprints:
        after = [*before, n]
        item = {"field": "Sprint", "fieldtype": "custom", "fieldId": SPRINT_FIELD,
                "from": _ids(issue.team, before), "fromString": _names(issue.team, before),
                "to": _ids(issue.team, after), "toString": _names(issue.team, after)}  # fmt: skip
        events.append((when, lead if planned or owner is None else owner, [item]))
        before = after
    if issue.started is not None and owner is not None:
        picked = [_status_item("To Do", "In Progress")]
        if issue.kind != "Epic":
            picked.insert(0, {"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                              "from": None, "fromString": None,
                              "to": f"acme-{owner.key}", "toString": owner.name})  # fmt: skip
        events.append((max(issue.started, issue.created + timedelta(minutes=5)), owner, picked))
    if issue.blocked is not None and owner is not None:
        stopped, resumed = issue.blocked  # waiting on another team: still started
        events.append((stopped, owner, [_status_item("In Progress", "Blocked")]))
        events.append((resumed, owner, [_status_item("Blocked", "In Progress")]))
    if issue.done is not None and owner is not None and issue.started is not None:
        review = max(issue.started + timedelta(minutes=10), issue.done - timedelta(hours=3))
        events.append((review, owner, [_status_item("In Progress", "In Review")]))
        resolved = {"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                    "from": None, "fromString": None, "to": "10000", "toString": "Done"}  # fmt: skip
        events.append((issue.done, owner, [_status_item("In Review", "Done"), resolved]))
    for when, who, items in sorted(events, key=lambda e: e[0]):
        yield {"author": _user(who), "created": _ts(when), "items": items}


def _status_item(before: str, after: str) -> dict[str, Any]:
    return {"field": "status", "fieldtype": "jira", "fieldId": "status",
            "from": STATUS_IDS[before], "fromString": before,
            "to": STATUS_IDS[after], "toString": after}  # fmt: skip


def _sprint_id(team: DemoTeam, n: int) -> int:
    return (TEAMS.index(team) + 1) * 100 + n


def _ids(team: DemoTeam, numbers: list[int]) -> str | None:
    return ", ".join(str(_sprint_id(team, n)) for n in numbers) or None


def _names(team: DemoTeam, numbers: list[int]) -> str | None:
    return ", ".join(f"{team.ticket} Sprint {n}" for n in numbers) or None


def _sprint(team: DemoTeam, n: int) -> dict[str, Any]:
    """A sprint as the sprint field holds it: closed, active or future on the demo's last day."""
    first = sprint_start(n)
    last = first + timedelta(days=SPRINT_DAYS - 1)
    state = "closed" if last < END else ("active" if first <= END else "future")
    found = {"id": _sprint_id(team, n), "name": f"{team.ticket} Sprint {n}", "state": state,
             "boardId": TEAMS.index(team) + 1, "goal": "",
             "startDate": _ts(datetime.combine(first, time(9, 0))),
             "endDate": _ts(datetime.combine(last, time(17, 0)))}  # fmt: skip
    if state == "closed":
        found["completeDate"] = _ts(datetime.combine(last, time(17, 0)))
    return found
