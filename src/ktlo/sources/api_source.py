"""What every API connector shares: options → token → credentials → ApiClient → scopes → batches.

A connector says only what differs:

    class MySource(ApiSource):
        kind = "mytool"
        Options = MyOptions

        def connection(self) -> Connection:   # check the options, read the token, say how to connect
        def sync(self, api, known):            # each scope from its stored cursor, batch by batch
        def load_file(self, path, known):      # a saved API answer (see `base.file_batches`)

`ApiSource.fetch` opens one `ApiClient` with the context's transport and sleep, reports its
waits to the progress bar, keeps its `HttpStats` in `self.stats` (read by `ktlo.ingest.sync` for the
timings) and closes it when the sync ends or stops.

`ScopeRun` is the base of each connector's `_Run` (one run over its scopes): the requests a
batch took, the time spent parsing, a window's `since` cursor and which records the store
already holds unchanged. Each connector's own windows, queries and records stay in its module.

Missing details: a record listed a moment ago whose detail request (an issue's timeline, a
pull request's reviews, a run's jobs) answers 404 or 410 was deleted or moved in between.
`ScopeRun.details` stores such a record without that detail and notes its key in the
scope's cursor (`"missing": {key: syncs missed}`), in the transaction that stores the
record; `retry_missing` asks again at each of the next `MISSING_RETRIES` syncs (rebuilding
the record from its stored `raw` JSON if the list does not show it again), then gives up.
The user is told how many, on the progress output. Any other error still stops the source.
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx2

from ktlo.errors import SourceNotFoundError
from ktlo.sources.base import (
    Batch,
    Cursor,
    Known,
    NullReporter,
    Reporter,
    Source,
    canonical_json,
    iso,
    parse_time,
)
from ktlo.sources.http import ApiClient, Credentials, HttpStats

Json = dict[str, Any]
SourceT = TypeVar("SourceT", bound="ApiSource")
T = TypeVar("T")
MISSING_RETRIES = 3  # later syncs that ask again for a detail that answered 404 or 410
RETRY_BATCH = 100  # records rebuilt from the store per batch when their details are retried


@dataclass(frozen=True)
class Connection:
    """How a connector reaches its API: where, with which token, and what to say when refused."""

    base_url: str
    credentials: Credentials
    need: str  # the scope or permission the token needs, named in errors
    headers: Mapping[str, str] = field(default_factory=dict)
    concurrency: int = 4
    response_hooks: tuple[Callable[[httpx2.Response], None], ...] = ()


@dataclass(frozen=True)
class Repository:
    """A repository (a GitHub repository, a GitLab project) a forge's source syncs."""

    path: str  # its path on the forge: owner/name, group/subgroup/project
    repo_id: str  # host/path, as the git source names it

    def scope(self, section: str) -> str:
        """The cursor's scope of one section (issues, pulls...) of this repository."""
        return f"{self.repo_id}:{section}"


class ApiSource(Source):
    """A source read over HTTP with a token: `connection()` and `sync()` are all that differ."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats = HttpStats()
        self.reporter: Reporter = NullReporter()

    def authorization(self, env: str, need: str, template: str) -> Credentials:
        """The token in the variable `env`, sent in the Authorization header as `template`
        writes it (`GenieKey {token}`); a FatalSourceError naming `need` when it is not set."""
        return Credentials.in_header(env, self.token(env, need), "Authorization", template)

    @abstractmethod
    def connection(self) -> Connection:
        """Check the options a sync needs and read the token (errors name what to set)."""

    @abstractmethod
    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        """Every scope's batches, each read from the cursor stored for it."""

    def fetch(self, known: Known, reporter: Reporter) -> Iterator[Batch]:
        self.reporter = reporter
        way = self.connection()
        with ApiClient(
            self.name,
            way.base_url,
            way.credentials,
            transport=self.ctx.transport,
            sleep=self.ctx.sleep,
            clock=self.ctx.clock,
            on_wait=reporter.waiting,
            headers=way.headers,
            need=way.need,
            concurrency=way.concurrency,
            response_hooks=way.response_hooks,
        ) as api:
            self.stats = api.stats
            yield from self.sync(api, known)


class ScopeRun(Generic[SourceT]):
    """One run of a connector over its scopes; subclasses add one generator per section."""

    def __init__(self, source: SourceT, api: ApiClient, known: Known) -> None:
        self.source = source
        self.api = api
        self.known = known
        self._requests = 0
        self._seen: dict[str, bool] = {}  # key prefix -> the store held such keys when we began
        self._missing: dict[str, dict[str, int]] = {}  # scope -> key -> syncs its detail was gone
        self._handled: dict[str, set[str]] = {}  # scope -> keys whose details this run asked for
        self._cursors: dict[str, Cursor] = {}  # scope -> its cursor as last stored
        self._dirty: set[str] = set()  # scopes whose missing keys changed since then

    def sections(self, names: Iterable[str]) -> Iterator[Batch]:
        """The batches of each named section (a method of the run), in order."""
        for name in names:
            yield from getattr(self, name)()

    def begin(self) -> None:
        """Count the requests of the next batch from here."""
        self._requests = self.api.stats.requests

    def batch(self, scope: str, **records: Any) -> Batch:
        """A batch of `scope`, with the requests it took since the last one.

        It carries the scope's cursor only when the missing details changed: the cursor as
        stored before, with the new `missing` keys (so it never claims more than is stored).
        """
        pages = self.api.stats.requests - self._requests
        self._requests = self.api.stats.requests
        cursor = self.cursor_for(scope, self._cursors[scope]) if scope in self._dirty else None
        return Batch(scope, cursor, pages=pages, **records)

    def since(self, scope: str, first: date | None) -> datetime | None:
        """Where `scope`'s window starts: its stored `since`, else the `since` option, else None."""
        cursor = self.known.cursor(scope)
        if cursor and cursor.get("since"):
            return parse_time(cursor["since"])
        return parse_time(first.isoformat()) if first else None

    def close_window(
        self,
        scope: str,
        newest: datetime | None,
        since: datetime | None,
        form: Callable[[datetime], str] = iso,
    ) -> Iterator[Batch]:
        """The window is stored whole: the next run starts at the newest record this one saw."""
        if newest is not None and newest != since:
            yield Batch(scope, self.cursor_for(scope, {"since": form(newest)}))
        elif scope in self._dirty:
            yield Batch(scope, self.cursor_for(scope, self._cursors[scope]))

    def changed(
        self, table: str, records: list[Json], key: Callable[[Json], str], prefix: str | None = None
    ) -> tuple[list[Json], int]:
        """The records whose stored raw JSON differs (or that are not stored), and how many are the same.

        With `prefix` (what every key of the scope starts with), a scope the store held nothing
        of when the run began is a first sync: nothing can be unchanged, so nothing is read.
        """
        if not records:
            return [], 0
        if prefix is not None:
            if prefix not in self._seen:
                self._seen[prefix] = self.known.has_any(table, prefix)
            if not self._seen[prefix]:
                return records, 0
        stored = self.known.raw(table, [key(r) for r in records])
        with self.parsing():
            changed = [r for r in records if stored.get(key(r)) != canonical_json(r)]
        return changed, len(records) - len(changed)

    # -- details that are gone -------------------------------------------------------------------

    def details(
        self,
        scope: str,
        records: Sequence[Json],
        fetch: Callable[[Json], T],
        key: Callable[[Json], str],
    ) -> list[T | None]:
        """`fetch` of each record (concurrently); None where the detail answered 404 or 410."""

        def one(record: Json) -> T | None:
            try:
                return fetch(record)
            except SourceNotFoundError:
                return None

        found = self.api.map(one, records)
        missing, handled = self.missing(scope), self._handled[scope]
        for record, detail in zip(records, found, strict=True):
            name = key(record)
            handled.add(name)
            if detail is None:
                missing[name] = missing.get(name, 0) + 1
                self._dirty.add(scope)
            elif missing.pop(name, None) is not None:
                self._dirty.add(scope)
        return found

    def missing(self, scope: str) -> dict[str, int]:
        """The keys of `scope` whose details are gone, and in how many syncs (from its cursor)."""
        if scope not in self._missing:
            cursor = dict(self.known.cursor(scope) or {})
            noted = cursor.get("missing")
            self._cursors[scope] = cursor
            self._missing[scope] = (
                {str(k): int(v) for k, v in noted.items()} if isinstance(noted, dict) else {}
            )
            self._handled[scope] = set()
        return self._missing[scope]

    def retry_missing(
        self, scope: str, table: str, build: Callable[[list[Json]], dict[str, tuple[Any, ...]]]
    ) -> Iterator[Batch]:
        """Ask again for the details still missing that this run did not list again.

        `build` turns records (as stored in `table`'s raw JSON) into a batch's records, asking
        for their details through `details`. Then the user is told what is still missing.
        """
        missing = self.missing(scope)
        pending = [name for name in missing if name not in self._handled[scope]]
        stored = self.known.raw(table, pending) if pending else {}
        for name in pending:
            if name not in stored:  # no longer stored: nothing to complete
                del missing[name]
                self._dirty.add(scope)
        again = [json.loads(stored[name]) for name in pending if name in stored]
        self.begin()
        for start in range(0, len(again), RETRY_BATCH):
            yield self.batch(scope, **build(again[start : start + RETRY_BATCH]))
        self._give_up(scope)

    def unsaved(self, scope: str) -> bool:
        """Whether the scope's missing details changed since its cursor was last stored."""
        return scope in self._dirty

    def cursor_for(self, scope: str, cursor: Cursor) -> Cursor:
        """`cursor` with the scope's missing keys, remembered as the scope's stored cursor."""
        missing = self.missing(scope)
        whole = {k: v for k, v in cursor.items() if k != "missing"}
        if missing:
            whole["missing"] = dict(sorted(missing.items()))
        self._cursors[scope] = whole
        self._dirty.discard(scope)
        return whole

    def _give_up(self, scope: str) -> None:
        missing = self.missing(scope)
        given_up = [name for name, syncs in missing.items() if syncs > MISSING_RETRIES]
        for name in given_up:
            del missing[name]
            self._dirty.add(scope)
        if missing:
            self.source.reporter.note(
                f"{scope}: {_records(len(missing))} stored without a detail that answered 404 "
                "(deleted or moved while the sync read it); asked for again at the next sync"
            )
        if given_up:
            self.source.reporter.note(
                f"{scope}: {_records(len(given_up))} still without a detail after "
                f"{MISSING_RETRIES} more syncs; kept as stored, no longer asked for"
            )

    @contextmanager
    def parsing(self) -> Iterator[None]:
        """Count the time inside as parsing (JSON and records) in the client's stats."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.api.stats.add(parse_seconds=time.perf_counter() - started)


def _records(count: int) -> str:
    return f"{count} record" + ("" if count == 1 else "s")


def window_start(newest: datetime, unfinished: list[datetime], stuck_after: timedelta) -> datetime:
    """The oldest record still unfinished (unless stuck for longer than `stuck_after`), else `newest`."""
    recent = [moment for moment in unfinished if newest - moment <= stuck_after]
    return min(recent, default=newest)
