"""Small pieces the `*_records` modules share: labels, assignees, references, numbers, order,
and the work item every forge (GitHub, GitLab) builds alike from an issue or a pull request.

Only what means the same in each tool's JSON lives here; how a tool names its users, its
closing keywords and its fields stays in its own module (a `Forge` says it). No network here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ktlo.ingest.links import extract_refs
from ktlo.records import Activity, CommitRef, Link, Push, StateChange, WorkItem
from ktlo.sources.base import canonical_json, parse_time

Json = Mapping[str, Any]


def labels(record: Json) -> tuple[str, ...]:
    """The names in `labels`, whether it lists label objects (`{"name": …}`) or names."""
    names = (
        label.get("name") if isinstance(label, dict) else label
        for label in record.get("labels") or ()
    )
    return tuple(str(name) for name in names if name)


def assignees(record: Json, name: Callable[[Any], str]) -> tuple[str, ...]:
    """The people in `assignees` (or the one `assignee`), by `name`; nameless ones left out."""
    people = record.get("assignees") or ([record["assignee"]] if record.get("assignee") else [])
    return tuple(found for person in people if (found := name(person)))


def body_links(record: Json, body_field: str, closing: re.Pattern[str]) -> list[Link]:
    """References in the title and body: `fixes` after a `closing` keyword, else `mentions`."""
    title, body = str(record.get("title") or ""), str(record.get(body_field) or "")
    fixes = {match[1] for match in closing.finditer(body)}
    return [Link(ref, "fixes" if ref in fixes else "mentions") for ref in extract_refs(title, body)]


def number(value: Any) -> float | None:
    """A JSON number as a float (an estimate, a weight); None for anything else, booleans too."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def chronological(changes: Iterable[StateChange]) -> tuple[StateChange, ...]:
    """State changes in the order they happened (a stable sort: ties keep their order)."""
    return tuple(sorted(changes, key=lambda c: c.occurred_at))


@dataclass(frozen=True, slots=True)
class Forge:
    """What a forge's JSON calls the parts every issue and pull (merge) request has."""

    source: str  # github, gitlab: the first part of every key
    title: str  # GitHub, GitLab: how errors name it
    body: str  # the description's field
    user: str  # the author's field
    url: str  # the web address's field
    open_state: str  # what the forge calls an open record: open, opened
    person: Callable[[Any], str]  # a user object's name, "" without one
    bot: Callable[[Any], bool]  # a user object is a bot


@dataclass(frozen=True, slots=True)
class Opened:
    """A forge record as it was opened: by whom, when, and the history that starts there
    (each builder adds its own activities and state changes to the two lists)."""

    author: str
    created: datetime
    closed: datetime | None  # closed_at
    merged: datetime | None  # merged_at (a pull or merge request's)
    open_state: str
    activities: list[Activity]
    changes: list[StateChange]

    def end(self, state: str, when: datetime, who: str | None = None) -> None:
        """The record left its open state for `state` (closed, merged) at `when`."""
        self.changes.append(StateChange(when, "status", self.open_state, state, who))


def opened(forge: Forge, record: Json, *, pull: bool) -> Opened:
    """The author and creation of an issue or (with `pull`) a pull request: an `opened`
    activity, the first status, and its ends; a record without its `created_at` is a
    ValueError."""
    author = forge.person(record.get(forge.user))
    created = parse_time(record.get("created_at"))
    if created is None:
        raise ValueError(f"a {forge.title} record without its created_at")
    activities = [Activity(author, "opened", created)] if author else []
    changes = [StateChange(created, "status", None, forge.open_state, author or None)]
    merged = parse_time(record.get("merged_at")) if pull else None  # an issue has none
    closed = parse_time(record.get("closed_at"))
    return Opened(author, created, closed, merged, forge.open_state, activities, changes)


def forge_item(
    forge: Forge, repo_id: str, record: Json, start: Opened, links: list[Link], **fields: Any
) -> WorkItem:
    """An issue or pull request as a work item: what every forge fills alike from `record`
    and `start`; `fields` the rest (key, kind, external id, state, closing, types...)."""
    return WorkItem(
        source=forge.source,
        title=str(record.get("title") or ""),
        body=str(record.get(forge.body) or ""),
        repo_id=repo_id,
        project=repo_id.split("/", 1)[1],
        author=start.author or None,
        is_bot=forge.bot(record.get(forge.user)),
        created_at=start.created,
        updated_at=parse_time(record.get("updated_at")),
        labels=labels(record),
        assignees=assignees(record, forge.person),
        url=record.get(forge.url),
        activities=tuple(start.activities),
        links=tuple(links),
        state_changes=chronological(start.changes),
        raw=canonical_json(record),
        initiative=initiative(record),
        **fields,
    )


def initiative(record: Json) -> str | None:
    """The initiative a forge files an issue or pull (merge) request under: its GitLab epic
    (`epic.title`), else its milestone (`milestone.title`, GitHub and GitLab alike)."""
    for field in ("epic", "milestone"):
        found = record.get(field)
        if isinstance(found, Mapping) and found.get("title"):
            return str(found["title"])
    return None


def push(
    source: str, repo_id: str, payload: Json, after: str, commits: list[CommitRef],
    pushed_at: datetime | None,
) -> Push:  # fmt: skip
    """A push webhook's payload as a record, once its forge has read the head (`after`), the
    pushed commits and the time of the push."""
    return Push(
        key=f"{source}:push:{repo_id}:{payload.get('ref')}:{after}",
        source=source,
        after=after,
        repo_id=repo_id,
        ref=payload.get("ref"),
        before=str(payload.get("before") or "").lower() or None,
        pushed_at=pushed_at,
        commits=tuple(commits),
        raw=canonical_json(payload),
    )
