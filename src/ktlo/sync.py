"""Run sync sources and load what they yield: classified, counted, crash-safe.

Fetch apart from load: a source yields `Batch`es of records and never touches the
store; `load_batch` writes one batch (rows keyed by the records' keys, replacing any
earlier copy, with their verdicts and the batch's cursor) in one transaction and does no
network. A sync killed at any moment leaves whole batches and cursors that describe
exactly them, so running it again ends with the store an uninterrupted sync would leave.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ktlo.classify import classify
from ktlo.config import Config
from ktlo.errors import ConfigError, KtloError
from ktlo.ingest import save_verdicts
from ktlo.links import extract_refs
from ktlo.records import Alert, Build, Deployment, Incident, Sprint, WorkItem, WorkText
from ktlo.sources import SOURCE_TYPES, make_source
from ktlo.sources.base import Batch, Cursor, Reporter, Source, SourceContext
from ktlo.store import Store


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=_Keyed)
BATCH_RECORDS = 1000  # consecutive batches of a scope are written together up to this size

KEYS = {
    "work_items": "item_id",
    "incidents": "incident_id",
    "alerts": "alert_id",
    "deployments": "deployment_id",
    "builds": "build_id",
    "sprints": "sprint_id",
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
class SourceResult:
    """What syncing one source did: the summary table's row."""

    name: str
    kind: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    error: KtloError | None = None
    pages: int = 0
    timings: Timings = field(default_factory=Timings)

    @property
    def items(self) -> int:
        return self.new + self.updated + self.unchanged


def plan_sync(
    config: Config,
    names: Sequence[str] = (),
    *,
    from_file: Path | None = None,
    source_name: str | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Source]:
    """The sources a `ktlo sync` will run, built and validated from ktlo.toml's [sources]."""
    env = os.environ if env is None else env
    configured = config.sources
    if from_file is not None:
        if not source_name:
            raise ConfigError(
                "--from-file needs --source",
                "say which source the file belongs to, e.g. --source github",
            )
        if names:
            raise ConfigError(
                "give either SOURCE names or --from-file, not both", "run them one after the other"
            )
        if source_name not in configured and source_name not in SOURCE_TYPES:
            raise ConfigError(
                f"no source named {source_name!r} in the configuration",
                f"add [sources.{source_name}] to ktlo.toml, or use a type: {', '.join(sorted(SOURCE_TYPES))}",
            )
        names = [source_name]
    elif not names:
        names = list(configured)
        if not names:
            raise ConfigError(
                "no sources to sync",
                "add a [sources.NAME] table to ktlo.toml (see docs/sources.md)",
            )
    unknown = [n for n in names if n not in configured and from_file is None]
    if unknown:
        raise ConfigError(
            f"no source named {unknown[0]!r} in ktlo.toml",
            f"configured: {', '.join(configured) or 'none'}; see docs/sources.md",
        )
    return [
        make_source(SourceContext(name, env, config_path=config.path), configured.get(name, {}))
        for name in names
    ]


def sync_sources(
    store: Store,
    sources: Sequence[Source],
    reporter: Callable[[Source], Reporter],
    from_file: Path | None = None,
) -> list[SourceResult]:
    """Sync each source in turn; one source's error stops that source only."""
    return [sync_source(store, source, reporter(source), from_file) for source in sources]


def sync_source(
    store: Store,
    source: Source,
    reporter: Reporter,
    from_file: Path | None = None,
    batch_records: int = BATCH_RECORDS,
) -> SourceResult:
    """Fetch (or read `from_file`) and load one source, batch by batch."""
    result = SourceResult(source.name, source.kind)
    known = StoreView(store, source.name, result.timings)
    started = time.perf_counter()
    batches = source.load_file(from_file, known) if from_file else source.fetch(known, reporter)
    try:
        for batch in _coalesce(_timed(batches, result, reporter), batch_records):
            load_batch(store, source.name, batch, result)
    except KtloError as exc:
        result.errors += 1
        result.error = exc
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    result.timings.total = time.perf_counter() - started
    stats = getattr(source, "stats", None)
    if stats is not None:
        result.timings.http = stats.http_seconds
        result.timings.parse = stats.parse_seconds
    return result


def load_batch(
    store: Store, source_name: str, batch: Batch, result: SourceResult | None = None
) -> None:
    """Write one batch's records, their verdicts and its cursor in one transaction."""
    result = result or SourceResult(source_name, "")
    items = _last_of_each(batch.work_items)
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
    ]
    with store.transaction():
        for table, keys, rows in tables:
            if keys:
                _count(store, table, keys, rows, result)
                store.replace(table, KEYS[table], keys, COLUMNS[table], rows)
        if items:
            _save_children(store, items)
            save_verdicts(store, [i.key for i in items], verdicts)
        if batch.incidents:
            _save_incident_events(store, _last_of_each(batch.incidents))
        if batch.cursor is not None:
            store.set_cursor(source_name, batch.scope, batch.cursor)
    result.unchanged += batch.unchanged
    result.timings.classify += classified - started
    result.timings.store += time.perf_counter() - classified


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

    def raw(self, table: str, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        started = time.perf_counter()
        key = KEYS[table]
        rows = self._store.con.execute(
            f"SELECT {key}, raw FROM {table} WHERE {key} IN (SELECT unnest($1))", [list(keys)]
        ).fetchall()
        elapsed = time.perf_counter() - started
        self._timings.store += elapsed
        self._timings.lookup += elapsed
        return {row[0]: row[1] for row in rows}


# -- batching ------------------------------------------------------------------------------------


def _timed(batches: Iterable[Batch], result: SourceResult, reporter: Reporter) -> Iterator[Batch]:
    """The source's batches, timing the source and reporting progress as they arrive."""
    iterator = iter(batches)
    while True:
        started = time.perf_counter()
        try:
            batch = next(iterator)
        except StopIteration:
            return
        finally:
            result.timings.fetch += time.perf_counter() - started
        result.pages += batch.pages
        reporter.advance(batch.records + batch.unchanged, batch.pages)
        yield batch


def _coalesce(batches: Iterable[Batch], limit: int) -> Iterator[Batch]:
    """Join consecutive batches of one scope into transactions of about `limit` records."""
    pending: Batch | None = None
    for batch in batches:
        if pending is not None and (pending.scope != batch.scope or pending.records >= limit):
            yield pending
            pending = None
        pending = batch if pending is None else _join(pending, batch)
        if pending.cursor is not None:
            yield pending  # a cursor is worth storing as soon as it is known
            pending = None
    if pending is not None:
        yield pending


def _join(a: Batch, b: Batch) -> Batch:
    return Batch(
        scope=a.scope,
        cursor=b.cursor if b.cursor is not None else a.cursor,
        work_items=a.work_items + b.work_items,
        incidents=a.incidents + b.incidents,
        alerts=a.alerts + b.alerts,
        deployments=a.deployments + b.deployments,
        builds=a.builds + b.builds,
        sprints=a.sprints + b.sprints,
        unchanged=a.unchanged + b.unchanged,
        pages=a.pages + b.pages,
    )


def _last_of_each(records: Sequence[K]) -> list[K]:
    """One record per key, the last one seen (a list can show an item twice while it changes)."""
    return list({record.key: record for record in records}.values())


def _keyed(
    records: Sequence[K], row: Callable[[K], tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    unique = _last_of_each(records)
    return [r.key for r in unique], [row(r) for r in unique]


def _count(
    store: Store,
    table: str,
    keys: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    result: SourceResult,
) -> None:
    """New, updated or unchanged: each row against the stored row of its key."""
    columns = COLUMNS[table]
    stored = {
        row[0]: tuple(row)
        for row in store.con.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {KEYS[table]} IN (SELECT unnest($1))",
            [list(keys)],
        ).fetchall()
    }
    for row in rows:
        before = stored.get(row[0])
        if before is None:
            result.new += 1
        elif before == row:
            result.unchanged += 1
        else:
            result.updated += 1


# -- rows --------------------------------------------------------------------------------------


def _save_children(store: Store, items: Sequence[WorkItem]) -> None:
    keys = [i.key for i in items]
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


def _save_incident_events(store: Store, incidents: Sequence[Incident]) -> None:
    store.replace(
        "incident_events", "incident_id", [i.key for i in incidents], INCIDENT_EVENT_COLUMNS,
        [(i.key, _utc(e.occurred_at), e.kind, e.person, e.detail) for i in incidents for e in i.events],
    )  # fmt: skip


def _work_item_row(i: WorkItem) -> tuple[Any, ...]:
    return (
        i.key, i.source, i.kind, i.repo_id, i.external_id, i.title, i.body, i.author,
        i.author_email, i.is_bot, _utc(i.created_at), list(i.labels), i.issue_type,
        extract_refs(i.title, i.body), _utc(i.updated_at), _utc(i.closed_at), _utc(i.merged_at),
        i.state, i.url, i.project, i.parent_key, list(i.components), i.standard_type, i.estimate,
        i.sprint, i.branch, list(i.assignees), i.raw,
    )  # fmt: skip


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
        d.status, _utc(d.created_at), _utc(d.finished_at), d.url, d.raw,
    )  # fmt: skip


def _build_row(b: Build) -> tuple[Any, ...]:
    return (
        b.key, b.source, b.external_id, b.repo_id, b.workflow, b.job, b.sha, b.branch, b.event,
        b.status, b.conclusion, b.attempt, _utc(b.queued_at), _utc(b.started_at),
        _utc(b.finished_at), b.url, b.raw,
    )  # fmt: skip


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
        "standard_type", "estimate", "sprint", "branch", "assignees", "raw",
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
        "ref", "status", "created_at", "finished_at", "url", "raw",
    ],
    "builds": [
        "build_id", "source", "external_id", "repo_id", "workflow", "job", "sha", "branch",
        "event", "status", "conclusion", "attempt", "queued_at", "started_at", "finished_at",
        "url", "raw",
    ],
    "sprints": ["sprint_id", "source", "name", "team", "state", "starts_at", "ends_at", "raw"],
}  # fmt: skip
ACTIVITY_COLUMNS = ["item_id", "person", "kind", "occurred_at", "source", "detail"]
LINK_COLUMNS = ["from_id", "to_ref", "kind"]
STATE_CHANGE_COLUMNS = ["item_id", "occurred_at", "field", "from_value", "to_value", "changed_by"]
INCIDENT_EVENT_COLUMNS = ["incident_id", "occurred_at", "kind", "person", "detail"]
