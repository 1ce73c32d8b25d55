"""The records of the demo's year: tracker issues, the commits made on them, the sprints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ktlo.demo.organisation import START, DemoPerson, DemoTeam

SPRINT_DAYS = 14


@dataclass(eq=False)
class Issue:
    """A tracker issue, and the work done on it."""

    team: DemoTeam
    number: int  # the order issues are made in; `key` is numbered by creation time
    kind: str  # the tracker's type: Bug, Story, Task or Epic
    sub: str  # what the work is (the demo's truth): bug, feature, dependency, ...
    title: str
    comp: str
    thing: str
    repo: str
    reporter: DemoPerson
    created: datetime
    labels: tuple[str, ...]
    estimate: int | None
    parent: Issue | None = None
    key: str = ""
    tracked: bool = True  # False: a chore done without an issue (its commits name none)
    people: list[DemoPerson] = field(default_factory=list)  # the assignee first
    started: datetime | None = None
    done: datetime | None = None
    remaining: int = 0  # person-days of work left
    comments: list[tuple[DemoPerson, datetime, str]] = field(default_factory=list)
    sprints: list[tuple[int, datetime, bool]] = field(default_factory=list)  # (n, when, planned)
    blocked: tuple[datetime, datetime] | None = None  # (blocked, unblocked), while in progress
    changes: list[Change] = field(default_factory=list)


@dataclass(eq=False)
class Change:
    """A commit before its message is written (issue keys are numbered once all exist)."""

    author: tuple[str, str]  # name, email
    when: datetime
    sub: str
    comp: str
    thing: str
    repo: str
    issue: Issue | None


@dataclass
class TeamYear:
    """One team's year: its issues (epic first) and its commits in time order."""

    team: DemoTeam
    issues: list[Issue]
    changes: list[Change]


def sprint_of(day: date) -> int:
    """The number of the two-week sprint `day` falls in (1 for the first)."""
    return (day - START).days // SPRINT_DAYS + 1


def sprint_start(number: int) -> date:
    """The first day of sprint `number`."""
    return START + timedelta(days=(number - 1) * SPRINT_DAYS)
