"""The interface every sync source implements, and the batches of records it yields.

A source turns one tool's data into ktlo's records (`ktlo.records`) and nothing else:
it never writes to the store. `ktlo.ingest.sync` runs it and loads what it yields.

    class MySource(Source):
        kind = "mytool"                       # the `type` in ktlo.toml's [sources.NAME]
        Options = MyOptions                   # a SourceOptions model: the options it accepts

        def fetch(self, known, reporter):     # network: yield Batch(...) as pages arrive
        def load_file(self, path, known):     # a saved API response, no token needed

Each `Batch` names a `scope` (e.g. `github.com/acme/shop:issues`) and may carry that
scope's new cursor: the loader writes the batch's records and the cursor in one
transaction, so a cursor never claims more than the store holds. A source decides what
its cursor means and reads it back with `known.cursor(scope)`; `known.raw(table, keys)`
tells it which records are stored unchanged, so it can skip fetching their details, and
`known.has_any(table, prefix)` whether there can be any (not in a scope's first sync).

API connectors build on `api_source.ApiSource`; `file_batches` turns what `load_file`
read into batches.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from ktlo.config import locate
from ktlo.errors import ConfigError, FatalSourceError
from ktlo.records import Alert, Build, Deployment, Incident, Push, Sprint, WorkItem

Cursor = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Batch:
    """Records fetched together, and the cursor of `scope` once they are stored."""

    scope: str
    cursor: Cursor | None = None  # None: leave the stored cursor as it is
    work_items: tuple[WorkItem, ...] = ()
    incidents: tuple[Incident, ...] = ()
    alerts: tuple[Alert, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    builds: tuple[Build, ...] = ()
    sprints: tuple[Sprint, ...] = ()
    pushes: tuple[Push, ...] = ()
    unchanged: int = 0  # records seen and skipped because the store has them as they are
    pages: int = 0  # pages (requests for lists) this batch took
    notes: tuple[str, ...] = ()  # what the user should hear (a file with no rows)

    @property
    def records(self) -> int:
        return (
            len(self.work_items) + len(self.incidents) + len(self.alerts)
            + len(self.deployments) + len(self.builds) + len(self.sprints) + len(self.pushes)
        )  # fmt: skip


class Known(Protocol):
    """What a source may read of the store while it fetches."""

    def cursor(self, scope: str) -> Cursor | None:
        """The cursor last stored for `scope`, or None."""

    def raw(self, table: str, keys: Sequence[str]) -> dict[str, str]:
        """The stored `raw` JSON of those keys of `table` that are stored."""

    def has_any(self, table: str, key_prefix: str) -> bool:
        """Whether `table` holds any key starting with `key_prefix` (a scope seen before)."""


class Reporter(Protocol):
    """Where a source's progress goes (a progress bar, or nowhere)."""

    def advance(self, items: int = 0, pages: int = 0) -> None: ...

    def waiting(self, seconds: float, reason: str) -> None: ...

    def note(self, message: str) -> None:
        """Something the user should know about what was stored (e.g. details that are gone)."""


class NullReporter:
    """Progress that goes nowhere."""

    def advance(self, items: int = 0, pages: int = 0) -> None:
        return None

    def waiting(self, seconds: float, reason: str) -> None:
        return None

    def note(self, message: str) -> None:
        return None


@dataclass(frozen=True)
class SourceContext:
    """What a source gets besides its options: its name, the environment, test seams."""

    name: str
    env: Mapping[str, str] = field(default_factory=dict)
    transport: httpx2.BaseTransport | None = None  # tests: httpx2.MockTransport
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time  # tests: a clock their `sleep` moves
    config_path: Path | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # tests: a fixed time


class SourceOptions(BaseModel):
    """Options every source accepts; each source extends it with its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str | None = None  # the source type; defaults to the source's name


class Source(ABC):
    """One tool's data as ktlo records. Subclasses set `kind` and `Options`."""

    kind: ClassVar[str]  # the `type` that selects it in ktlo.toml
    Options: ClassVar[type[SourceOptions]] = SourceOptions

    def __init__(self, ctx: SourceContext, options: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.name = ctx.name
        self.options = parse_options(self.Options, ctx, options)

    @abstractmethod
    def fetch(self, known: Known, reporter: Reporter) -> Iterator[Batch]:
        """Read what changed since the stored cursors, batch by batch."""

    @abstractmethod
    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """Read a saved answer of the tool's API (or an export) instead of the network."""

    def token(self, env_var: str, need: str) -> str:
        """The token in `env_var`, or a FatalSourceError saying how to provide it."""
        value = self.ctx.env.get(env_var, "").strip()
        if not value:
            raise FatalSourceError(
                f"{self.name}: the environment variable {env_var} is not set",
                f"export {env_var}=<a token with {need}>, or use --from-file with a saved answer",
            )
        return value


def parse_options(model: type[SourceOptions], ctx: SourceContext, raw: Mapping[str, Any]) -> Any:
    """Validate a source's options; a ConfigError names the file, line and field."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        name = ".".join(str(part) for part in ("sources", ctx.name, *loc))
        message = "unknown option" if first["type"] == "extra_forbidden" else first["msg"]
        where = str(ctx.config_path) if ctx.config_path else "ktlo.toml"
        if ctx.config_path and ctx.config_path.exists():
            line = locate(ctx.config_path.read_text(encoding="utf-8"), ("sources", ctx.name, *loc))
            where += f" line {line}" if line else ""
        raise ConfigError(
            f"{where}, {name}: {message.removeprefix('Value error, ')}",
            "see docs/sources.md for the options of each source",
        ) from None


def canonical_json(value: Any) -> str:
    """The same JSON text for the same value, whatever the key order it arrived in."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (`2026-01-05T10:00:00Z`) as an aware datetime; None if empty.

    A timestamp without an offset is taken as UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """A datetime as GitHub-style UTC ISO 8601: `2026-01-05T10:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(moment: datetime) -> str:
    """A UTC datetime to the millisecond, as Linear and Opsgenie write them: `…T10:00:00.123Z`."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def latest(current: datetime | None, values: Iterable[Any]) -> datetime | None:
    """The newest of `current` and the timestamps among `values` (empty ones ignored)."""
    moments = [m for v in values if (m := parse_time(v)) is not None]
    if current is not None:
        moments.append(current)
    return max(moments, default=None)


FILE_BATCH = 500  # records per batch when loading a saved answer
Record = WorkItem | Incident | Alert | Deployment | Build | Sprint | Push
R = TypeVar("R", WorkItem, Incident, Alert, Deployment, Build, Sprint, Push)


def file_batches(path: Path, records: Sequence[Record], size: int = FILE_BATCH) -> Iterator[Batch]:
    """The records read from a saved answer at `path`, `size` at a time, sorted into their tables."""
    for start in range(0, len(records), size):
        chunk = records[start : start + size]

        def of(kind: type[R], chunk: Sequence[Record] = chunk) -> tuple[R, ...]:
            return tuple(r for r in chunk if isinstance(r, kind))

        yield Batch(
            scope=f"file:{path.name}",
            work_items=of(WorkItem), incidents=of(Incident), alerts=of(Alert),
            deployments=of(Deployment), builds=of(Build), sprints=of(Sprint), pushes=of(Push),
        )  # fmt: skip
