"""`ktlo sync`: run the configured sources and load what they yield, batch by batch.

Fetch apart from load: a source yields `Batch`es of records and never touches the
store; `ktlo.ingest.load.load_batch` writes one batch (its records, verdicts and cursor) in one
transaction and does no network. A sync killed at any moment leaves whole batches and
cursors that describe exactly them, so running it again ends with the store an
uninterrupted sync would leave. One source's error stops that source only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ktlo.config import Config
from ktlo.errors import ConfigError, KtloError
from ktlo.ingest.load import StoreView, Timings, load_batch
from ktlo.sources import SOURCE_TYPES, make_source
from ktlo.sources.base import Batch, Reporter, Source, SourceContext
from ktlo.store import Store

BATCH_RECORDS = 2000  # consecutive batches of a scope are written together up to this size


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
    notes: list[str] = field(default_factory=list)  # warnings for the user (a file with no rows)
    repaired: list[str] = field(default_factory=list)  # impossible values stored as unknown
    same: list[str] = field(default_factory=list)  # items another route had stored (same_item)

    @property
    def warnings(self) -> list[str]:
        """What the user should hear about this source besides its counts."""
        notes = list(self.notes)
        if self.same:
            n = len(self.same)
            notes.append(
                f"{n:,} {'item was' if n == 1 else 'items were'} stored already through another "
                f"route, and updated rather than counted twice (e.g. {self.same[0]})"
            )
        if not self.repaired:
            return notes
        first = self.repaired[0]
        more = f" (and {len(self.repaired) - 1:,} more)" if len(self.repaired) > 1 else ""
        values = (
            "1 impossible value"
            if len(self.repaired) == 1
            else f"{len(self.repaired):,} impossible values"
        )
        return [*notes, f"{values} left out: {first}{more}"]

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
                "no sources to sync" + ("" if config.path else " (no ktlo.toml here)"),
                "list [git] repositories or add a [sources.NAME] table to ktlo.toml "
                "(`ktlo init` writes both, commented; docs/sources.md)",
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
            counts = load_batch(store, source.name, batch, result.timings)
            result.notes += batch.notes
            result.repaired += counts.repaired
            result.same += counts.same
            result.new += counts.new
            result.updated += counts.updated
            result.unchanged += counts.unchanged
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
    """Join consecutive batches of one scope into transactions of about `limit` records.

    When the source fails, what it fetched before is still stored (without a cursor, which
    is always safe) before the error goes on.
    """
    pending: Batch | None = None
    try:
        for batch in batches:
            if pending is not None and (pending.scope != batch.scope or pending.records >= limit):
                yield pending
                pending = None
            pending = batch if pending is None else _join(pending, batch)
            if pending.cursor is not None:
                yield pending  # a cursor is worth storing as soon as it is known
                pending = None
    except KtloError:
        if pending is not None:
            yield pending
        raise
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
        pushes=a.pushes + b.pushes,
        unchanged=a.unchanged + b.unchanged,
        pages=a.pages + b.pages,
        notes=a.notes + b.notes,
    )
