"""Loading records into the store: keyed rows, children, verdicts and cursors. No network.

`load_batch` writes one `Batch` in one transaction: each record's row replaces any earlier
copy of its key; a work item's activities, links and state changes (an incident's events)
replace all of its earlier ones; verdicts are computed and stored with them; the batch's
cursor is stored last. `StoreView` is the read-only side a source may consult while it
fetches. New, updated and unchanged are counted against the stored rows.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from ktlo.classify import classify
from ktlo.ingest.history import save_verdicts
from ktlo.ingest.links import extract_refs
from ktlo.ingest.record_rules import first_problem
from ktlo.ingest.same_item import same_as_stored
from ktlo.records import (
    Alert,
    Build,
    CommitRef,
    Deployment,
    Incident,
    Push,
    Sprint,
    WorkItem,
    WorkText,
)
from ktlo.sources.base import Batch, Cursor
from ktlo.store import Store


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=_Keyed)

KEYS = {
    "work_items": "item_id",
    "incidents": "incident_id",
    "alerts": "alert_id",
    "deployments": "deployment_id",
    "builds": "build_id",
    "sprints": "sprint_id",
    "pushes": "push_id",
}


@dataclass
class Timings:
    """Where a sync's time went, in seconds. `http` and `parse` are summed over threads."""

    total: float = 0.0
    fetch: float = 0.0  # waiting for the source: requests, decoding, building records
    classify: float = 0.0
    store: float = 0.0  # reading and writing the store
    lookup: float = 0.0  # of which: the source asking what is stored (inside `fetch`)
    http: float = 0.0
    parse: float = 0.0


@dataclass
class Counts:
    """Records written by a load, against what the store held before."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: list[str] = field(default_factory=list)  # impossible values left out, and why
    same: list[str] = field(default_factory=list)  # items stored before by another route


def load_batch(
    store: Store, source_name: str, batch: Batch, timings: Timings | None = None
) -> Counts:
    """Write one batch's records, their verdicts and its cursor in one transaction."""
    timings = timings or Timings()
    batch, repaired = repair(batch)
    counts = Counts(unchanged=batch.unchanged, repaired=repaired)
    items, counts.same = same_as_stored(store, _last_of_each(batch.work_items))
    items = _last_of_each(items)
    started = time.perf_counter()
    verdicts = [classify(work_text(item)) for item in items]
    classified = time.perf_counter()
    tables: list[tuple[str, Sequence[Any], list[tuple[Any, ...]]]] = [
        ("work_items", [i.key for i in items], [_work_item_row(i) for i in items]),
        ("incidents", *_keyed(batch.incidents, _incident_row)),
        ("alerts", *_keyed(batch.alerts, _alert_row)),
        ("deployments", *_keyed(batch.deployments, _deployment_row)),
        ("builds", *_keyed(batch.builds, _build_row)),
        ("sprints", *_keyed(batch.sprints, _sprint_row)),
        ("pushes", *_keyed(batch.pushes, _push_row)),
    ]
    present: dict[str, list[str]] = {}
    with store.transaction():
        for table, keys, rows in tables:
            if keys:
                present[table] = stored_keys(store, table, keys)
                _count(store, table, present[table], rows, counts)
                # Only keys already stored have rows to delete: a first sync only inserts.
                store.replace(table, KEYS[table], present[table], COLUMNS[table], rows)
        if items:
            _save_children(store, items, present["work_items"])
            save_verdicts(store, [i.key for i in items], verdicts)
        if batch.incidents:
            _save_incident_events(store, _last_of_each(batch.incidents), present["incidents"])
        _save_change_commits(store, items, batch, present)
        if batch.cursor is not None:
            store.set_cursor(source_name, batch.scope, batch.cursor)
    timings.classify += classified - started
    timings.store += time.perf_counter() - classified
    return counts


def repair(batch: Batch) -> tuple[Batch, list[str]]:
    """The batch with each impossible value (ktlo.ingest.record_rules) left out, and what was left out.

    Imports refuse such rows before they get here; this keeps an API's odd record from
    entering a duration as a negative number, without stopping the sync on it.
    """
    notes: list[str] = []
    fixed: dict[str, Any] = {}
    for kind in KEYS:
        records = getattr(batch, kind)
        kept = tuple(_repaired(kind, record, notes) for record in records)
        if any(a is not b for a, b in zip(records, kept, strict=True)):
            fixed[kind] = kept
    return (dataclasses.replace(batch, **fixed) if fixed else batch), notes


def _repaired(kind: str, record: Any, notes: list[str]) -> Any:
    while (problem := first_problem(kind, record)) is not None:
        name, reason = problem
        notes.append(f"{record.key}: {name} {reason}; stored without it")
        record = dataclasses.replace(record, **{name: None})
    return record


def work_text(item: WorkItem) -> WorkText:
    """What the classifier reads of a tracker item."""
    return WorkText(
        title=item.title,
        body=item.body,
        labels=item.labels,
        issue_type=item.issue_type or "",
        author=item.author or "",
        kind="pull_request" if item.kind == "pull_request" else "issue",
    )


class StoreView:
    """The read-only view of the store a source gets (`sources.base.Known`)."""

    def __init__(self, store: Store, source_name: str, timings: Timings | None = None) -> None:
        self._store = store
        self._source = source_name
        self._timings = timings or Timings()

    def cursor(self, scope: str) -> Cursor | None:
        value = self._store.get_cursor(self._source, scope)
        return value if isinstance(value, dict) else None

    def has_any(self, table: str, key_prefix: str) -> bool:
        started = time.perf_counter()
        key = KEYS[table]
        row = self._store.con.execute(
            f"SELECT 1 FROM {table} WHERE starts_with({key}, $1) LIMIT 1", [key_prefix]
        ).fetchone()
        self._timings.store += time.perf_counter() - started
        return row is not None

    def raw(self, table: str, keys: Sequence[str]) -> dict[str, str]:
        started = time.perf_counter()
        present = stored_keys(self._store, table, keys)
        key = KEYS[table]
        rows = (
            self._store.con.execute(
                f"SELECT {key}, raw FROM {table} WHERE {key} IN (SELECT unnest($1))", [present]
            ).fetchall()
            if present
            else []
        )
        elapsed = time.perf_counter() - started
        self._timings.store += elapsed
        self._timings.lookup += elapsed
        return {row[0]: row[1] for row in rows}


def _last_of_each(records: Sequence[K]) -> list[K]:
    """One record per key, the last one seen (a list can show an item twice while it changes)."""
    return list({record.key: record for record in records}.values())


def _keyed(
    records: Sequence[K], row: Callable[[K], tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    unique = _last_of_each(records)
    return [r.key for r in unique], [row(r) for r in unique]


def stored_keys(store: Store, table: str, keys: Sequence[str]) -> list[str]:
    """Which of `keys` the table holds.

    Reading the key column alone is cheap; whole rows (the raw JSON) are read only for the
    keys found, which during a first sync is none.
    """
    if not keys:
        return []
    key = KEYS[table]
    rows = store.con.execute(
        f"SELECT DISTINCT {key} FROM {table} WHERE {key} IN (SELECT unnest($1))", [list(keys)]
    ).fetchall()
    return [row[0] for row in rows]


def _count(
    store: Store,
    table: str,
    present: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    counts: Counts,
) -> None:
    """New, updated or unchanged: each row against the stored row of its key."""
    columns = COLUMNS[table]
    stored = (
        {
            row[0]: tuple(row)
            for row in store.con.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {KEYS[table]} IN (SELECT unnest($1))",
                [list(present)],
            ).fetchall()
        }
        if present
        else {}
    )
    for row in rows:
        before = stored.get(row[0])
        if before is None:
            counts.new += 1
        elif before == row:
            counts.unchanged += 1
        else:
            counts.updated += 1


# -- rows --------------------------------------------------------------------------------------


def _save_children(store: Store, items: Sequence[WorkItem], keys: Sequence[str]) -> None:
    """Replace the items' children; `keys` are those of the items already stored.

    Children are only ever written with their item, so an item not stored has none to delete.
    """
    store.replace(
        "activities", "item_id", keys, ACTIVITY_COLUMNS,
        [(i.key, a.person, a.kind, _utc(a.occurred_at), i.source, a.detail) for i in items for a in i.activities],
    )  # fmt: skip
    store.replace(
        "links", "from_id", keys, LINK_COLUMNS,
        [(i.key, link.to_ref, link.kind) for i in items for link in i.links],
    )  # fmt: skip
    store.replace(
        "state_changes", "item_id", keys, STATE_CHANGE_COLUMNS,
        [
            (i.key, _utc(c.occurred_at), c.field, c.from_value, c.to_value, c.changed_by)
            for i in items for c in i.state_changes
        ],
    )  # fmt: skip


def _save_change_commits(
    store: Store, items: Sequence[WorkItem], batch: Batch, present: dict[str, list[str]]
) -> None:
    """The commits pull requests, deployments and pushes list, replaced with their owners."""
    owners: list[tuple[str, tuple[CommitRef, ...]]] = [(i.key, i.commits) for i in items]
    owners += [(d.key, d.commits) for d in _last_of_each(batch.deployments)]
    owners += [(p.key, p.commits) for p in _last_of_each(batch.pushes)]
    stored = [k for t in ("work_items", "deployments", "pushes") for k in present.get(t, [])]
    store.replace(
        "change_commits", "owner_id", stored, CHANGE_COMMIT_COLUMNS,
        [
            (key, c.sha, _utc(c.authored_at), _utc(c.committed_at), c.author, c.is_bot)
            for key, commits in owners for c in commits
        ],
    )  # fmt: skip


def _save_incident_events(store: Store, incidents: Sequence[Incident], keys: Sequence[str]) -> None:
    store.replace(
        "incident_events", "incident_id", keys, INCIDENT_EVENT_COLUMNS,
        [(i.key, _utc(e.occurred_at), e.kind, e.person, e.detail) for i in incidents for e in i.events],
    )  # fmt: skip


def _work_item_row(i: WorkItem) -> tuple[Any, ...]:
    return (
        i.key, i.source, i.kind, i.repo_id, i.external_id, i.title, i.body, i.author,
        i.author_email, i.is_bot, _utc(i.created_at), list(i.labels), i.issue_type, _refs(i),
        _utc(i.updated_at), _utc(i.closed_at), _utc(i.merged_at), i.state, i.url, i.project,
        i.parent_key, list(i.components), i.standard_type, i.estimate, i.sprint, i.branch,
        list(i.assignees), i.raw, i.base_branch, i.initiative,
    )  # fmt: skip


def _refs(item: WorkItem) -> list[str]:
    return list(item.refs) if item.refs is not None else extract_refs(item.title, item.body)


def _incident_row(i: Incident) -> tuple[Any, ...]:
    return (
        i.key, i.source, i.external_id, i.title, i.service, list(i.teams), i.severity, i.urgency,
        i.priority, i.status, _utc(i.created_at), _utc(i.acknowledged_at), _utc(i.resolved_at),
        i.url, i.raw,
    )  # fmt: skip


def _alert_row(a: Alert) -> tuple[Any, ...]:
    return (
        a.key, a.source, a.external_id, a.incident_key, a.service, a.title, a.severity,
        _utc(a.created_at), _utc(a.acknowledged_at), _utc(a.closed_at), a.count, list(a.tags),
        list(a.responders), a.raw,
    )  # fmt: skip


def _deployment_row(d: Deployment) -> tuple[Any, ...]:
    return (
        d.key, d.source, d.external_id, d.repo_id, d.service, d.environment, d.sha, d.ref,
        d.status, _utc(d.created_at), _utc(d.finished_at), d.url, d.raw, d.previous_key,
    )  # fmt: skip


def _build_row(b: Build) -> tuple[Any, ...]:
    return (
        b.key, b.source, b.external_id, b.repo_id, b.workflow, b.job, b.sha, b.branch, b.event,
        b.status, b.conclusion, b.attempt, _utc(b.queued_at), _utc(b.started_at),
        _utc(b.finished_at), b.url, b.raw,
    )  # fmt: skip


def _push_row(p: Push) -> tuple[Any, ...]:
    return (p.key, p.source, p.repo_id, p.ref, p.before, p.after, _utc(p.pushed_at), p.raw)


def _sprint_row(s: Sprint) -> tuple[Any, ...]:
    return (s.key, s.source, s.name, s.team, s.state, _utc(s.starts_at), _utc(s.ends_at), s.raw)


def _utc(moment: datetime | None) -> datetime | None:
    """Aware datetimes as naive UTC, as the store keeps them."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


COLUMNS: dict[str, list[str]] = {
    "work_items": [
        "item_id", "source", "kind", "repo_id", "external_id", "title", "body", "author_name",
        "author_email", "is_bot", "created_at", "labels", "issue_type", "refs", "updated_at",
        "closed_at", "merged_at", "state", "url", "project", "parent_key", "components",
        "standard_type", "estimate", "sprint", "branch", "assignees", "raw", "base_branch",
        "initiative",
    ],
    "incidents": [
        "incident_id", "source", "external_id", "title", "service", "teams", "severity",
        "urgency", "priority", "status", "created_at", "acknowledged_at", "resolved_at", "url",
        "raw",
    ],
    "alerts": [
        "alert_id", "source", "external_id", "incident_id", "service", "title", "severity",
        "created_at", "acknowledged_at", "closed_at", "count", "tags", "responders", "raw",
    ],
    "deployments": [
        "deployment_id", "source", "external_id", "repo_id", "service", "environment", "sha",
        "ref", "status", "created_at", "finished_at", "url", "raw", "previous_id",
    ],
    "builds": [
        "build_id", "source", "external_id", "repo_id", "workflow", "job", "sha", "branch",
        "event", "status", "conclusion", "attempt", "queued_at", "started_at", "finished_at",
        "url", "raw",
    ],
    "sprints": ["sprint_id", "source", "name", "team", "state", "starts_at", "ends_at", "raw"],
    "pushes": [
        "push_id", "source", "repo_id", "ref", "before_sha", "after_sha", "pushed_at", "raw",
    ],
}  # fmt: skip
CHANGE_COMMIT_COLUMNS = ["owner_id", "sha", "authored_at", "committed_at", "author", "is_bot"]
ACTIVITY_COLUMNS = ["item_id", "person", "kind", "occurred_at", "source", "detail"]
LINK_COLUMNS = ["from_id", "to_ref", "kind"]
STATE_CHANGE_COLUMNS = ["item_id", "occurred_at", "field", "from_value", "to_value", "changed_by"]
INCIDENT_EVENT_COLUMNS = ["incident_id", "occurred_at", "kind", "person", "detail"]
