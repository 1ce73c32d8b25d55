"""What every API connector shares: options → token → credentials → ApiClient → scopes → batches.

A connector says only what differs:

    class MySource(ApiSource):
        kind = "mytool"
        Options = MyOptions

        def connection(self) -> Connection:   # check the options, read the token, say how to connect
        def sync(self, api, known):            # each scope from its stored cursor, batch by batch
        def load_file(self, path, known):      # a saved API answer (see `base.file_batches`)

`ApiSource.fetch` opens one `ApiClient` with the context's transport and sleep, reports its
waits to the progress bar, keeps its `HttpStats` in `self.stats` (read by `ktlo.sync` for the
timings) and closes it when the sync ends or stops.

`ScopeRun` is the base of each connector's `_Run` (one run over its scopes): the requests a
batch took, the time spent parsing, a window's `since` cursor and which records the store
already holds unchanged. Each connector's own windows, queries and records stay in its module.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx2

from ktlo.sources.base import Batch, Known, Reporter, Source, canonical_json, iso, parse_time
from ktlo.sources.http import ApiClient, Credentials, HttpStats

Json = dict[str, Any]
SourceT = TypeVar("SourceT", bound="ApiSource")


@dataclass(frozen=True)
class Connection:
    """How a connector reaches its API: where, with which token, and what to say when refused."""

    base_url: str
    credentials: Credentials
    need: str  # the scope or permission the token needs, named in errors
    headers: Mapping[str, str] = field(default_factory=dict)
    concurrency: int = 4
    response_hooks: tuple[Callable[[httpx2.Response], None], ...] = ()


class ApiSource(Source):
    """A source read over HTTP with a token: `connection()` and `sync()` are all that differ."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats = HttpStats()

    @abstractmethod
    def connection(self) -> Connection:
        """Check the options a sync needs and read the token (errors name what to set)."""

    @abstractmethod
    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        """Every scope's batches, each read from the cursor stored for it."""

    def fetch(self, known: Known, reporter: Reporter) -> Iterator[Batch]:
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

    def sections(self, names: Iterable[str]) -> Iterator[Batch]:
        """The batches of each named section (a method of the run), in order."""
        for name in names:
            yield from getattr(self, name)()

    def begin(self) -> None:
        """Count the requests of the next batch from here."""
        self._requests = self.api.stats.requests

    def batch(self, scope: str, **records: Any) -> Batch:
        """A batch of `scope` (no cursor), with the requests it took since the last one."""
        pages = self.api.stats.requests - self._requests
        self._requests = self.api.stats.requests
        return Batch(scope, None, pages=pages, **records)

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
            yield Batch(scope, {"since": form(newest)})

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

    @contextmanager
    def parsing(self) -> Iterator[None]:
        """Count the time inside as parsing (JSON and records) in the client's stats."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.api.stats.add(parse_seconds=time.perf_counter() - started)


def window_start(newest: datetime, unfinished: list[datetime], stuck_after: timedelta) -> datetime:
    """The oldest record still unfinished (unless stuck for longer than `stuck_after`), else `newest`."""
    recent = [moment for moment in unfinished if newest - moment <= stuck_after]
    return min(recent, default=newest)
