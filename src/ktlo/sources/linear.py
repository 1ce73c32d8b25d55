"""Linear (GraphQL at api.linear.app/graphql): issues with their history and comments, and cycles.

    issues   issues(filter: {updatedAt: {gte: …}, team: …}, orderBy: updatedAt) with labels,
             state, estimate, parent, project, cycle, assignee, creator, history, comments
             (+ issue(id) { history | comments | labels } when one issue has more than a page)
    cycles   cycles(filter: {updatedAt: {gte: …}, team: …}) -> the `sprints` table

Incremental like every ktlo source: a scope's window starts at the newest `updatedAt` the
previous run stored and its cursor is written only once the whole window is stored, so a run
killed half-way reads the window again; issues whose JSON is stored unchanged cost nothing more.

The queries, and the hook that gives Linear's HTTP-400 GraphQL errors the status they mean,
are in `linear_api`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx2
from pydantic import Field

from ktlo.errors import FatalSourceError, InputError
from ktlo.records import Sprint, WorkItem
from ktlo.sources import linear_records as lr
from ktlo.sources.base import (
    Batch,
    Known,
    Reporter,
    Source,
    SourceOptions,
    canonical_json,
    parse_time,
)
from ktlo.sources.http import DEFAULT_TIMEOUT, ApiClient, Credentials, HttpStats
from ktlo.sources.jsonfile import read_values
from ktlo.sources.linear_api import CYCLES_QUERY, ISSUES_QUERY, graphql_status, nested_query

NEED = "a Linear API key (Settings → Security & access) or an OAuth token with the read scope"
FILE_BATCH = 500
Section = Literal["issues", "cycles"]


class LinearOptions(SourceOptions):
    """[sources.linear] in ktlo.toml; see docs/sources.md."""

    token_env: str = Field("LINEAR_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    auth: Literal["api_key", "oauth"] = "api_key"  # oauth: the token is sent as `Bearer …`
    base_url: str = Field("https://api.linear.app", pattern=r"^https?://")
    teams: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9]+$")]] = []  # keys; default: every team
    include: list[Section] = ["issues", "cycles"]
    since: date | None = None  # how far back the first sync reaches (default: everything)
    page_size: int = Field(20, ge=1, le=50)  # issues per request; Linear caps a query's complexity
    types: dict[str, Literal["requirement", "bug", "incident", "task"]] = {}


class LinearSource(Source):
    """Issues (with history, comments, estimates, parents, projects, cycles) and cycles."""

    kind = "linear"
    Options = LinearOptions
    options: LinearOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats = HttpStats()

    def fetch(self, known: Known, reporter: Reporter) -> Iterator[Batch]:
        env = self.options.token_env
        token = self.token(env, NEED)
        template = "Bearer {token}" if self.options.auth == "oauth" else "{token}"
        credentials = Credentials.in_header(env, token, "Authorization", template)
        client = httpx2.Client(
            transport=self.ctx.transport,
            timeout=DEFAULT_TIMEOUT,
            follow_redirects=False,
            event_hooks={"response": [graphql_status]},
        )
        with (
            client,
            ApiClient(
                self.name,
                self.options.base_url,
                credentials,
                client=client,
                sleep=self.ctx.sleep,
                on_wait=reporter.waiting,
                need=NEED,
                concurrency=1,
            ) as api,
        ):
            self.stats = api.stats
            teams: list[str | None] = [*self.options.teams] or [None]
            for team in teams:
                run = _Run(self, api, known, team)
                for section in self.options.include:
                    yield from getattr(run, section)()

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """Saved answers of the two queries above (one per page, back to back), or their nodes."""
        records: list[WorkItem | Sprint] = []
        for line, value in read_values(path):
            for node in _saved_nodes(value):
                records.append(self._from_saved(path, line, node))
        for start in range(0, len(records), FILE_BATCH):
            chunk = records[start : start + FILE_BATCH]
            yield Batch(
                scope=f"file:{path.name}",
                work_items=tuple(r for r in chunk if isinstance(r, WorkItem)),
                sprints=tuple(r for r in chunk if isinstance(r, Sprint)),
            )

    def _from_saved(self, path: Path, line: int, node: Any) -> WorkItem | Sprint:
        try:
            if isinstance(node, dict) and "identifier" in node:
                return lr.issue_item(node, types=self.options.types)
            if isinstance(node, dict) and "startsAt" in node and "endsAt" in node:
                return lr.cycle_sprint(node)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path} line {line}: a Linear record without a usable {exc}", _SAVED_FIX
            ) from None
        raise InputError(f"{path} line {line}: not a Linear issue or cycle", _SAVED_FIX)


_SAVED_FIX = (
    "save the whole answer of Linear's issues or cycles query (docs/sources.md), "
    'e.g. {"data": {"issues": {"nodes": [...]}}}'
)


def _saved_nodes(value: Any) -> list[Any]:
    """The nodes of a saved GraphQL answer (`{"data": {"issues": {"nodes": …}}}`), or the value."""
    if isinstance(value, dict) and isinstance(value.get("data"), dict):
        found: list[Any] = []
        for connection in value["data"].values():
            if isinstance(connection, dict) and isinstance(connection.get("nodes"), list):
                found += connection["nodes"]
        return found
    return [value]


class _Run:
    """One team's (or every team's) sync: one generator per section, each yielding page batches."""

    def __init__(
        self, source: LinearSource, api: ApiClient, known: Known, team: str | None
    ) -> None:
        self.source = source
        self.options = source.options
        self.api = api
        self.known = known
        self.team = team
        self._requests = 0

    def scope(self, section: str) -> str:
        return f"team:{self.team}:{section}" if self.team else section

    def issues(self) -> Iterator[Batch]:
        scope = self.scope("issues")
        since = self._since(scope)
        newest = since
        for page in self._pages(ISSUES_QUERY, "issues", since):
            newest = _latest(newest, [i.get("updatedAt") for i in page])
            keys = [lr.issue_key(str(i["id"])) for i in page]
            stored = self.known.raw("work_items", keys)
            changed = [
                (i, raw)
                for i, key in zip(page, keys, strict=True)
                if stored.get(key) != (raw := canonical_json(i))
            ]
            items = tuple(self._issue(i, raw) for i, raw in changed)
            yield self._batch(scope, work_items=items, unchanged=len(page) - len(changed))
        yield from self._close_window(scope, newest, since)

    def cycles(self) -> Iterator[Batch]:
        scope = self.scope("cycles")
        since = self._since(scope)
        newest = since
        for page in self._pages(CYCLES_QUERY, "cycles", since):
            newest = _latest(newest, [c.get("updatedAt") for c in page])
            sprints = tuple(lr.cycle_sprint(c) for c in page)
            yield self._batch(scope, sprints=sprints)
        yield from self._close_window(scope, newest, since)

    def _issue(self, issue: dict[str, Any], raw: str) -> WorkItem:
        """The issue, with the rest of any nested connection that did not fit in one page."""
        rest = {
            name: self._rest(issue, name)
            for name in ("labels", "history", "comments")
            if ((issue.get(name) or {}).get("pageInfo") or {}).get("hasNextPage")
        }
        try:
            return lr.issue_item(
                issue,
                history=rest.get("history"),
                comments=rest.get("comments"),
                labels=rest.get("labels"),
                types=self.options.types,
                raw=raw,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FatalSourceError(
                f"{self.source.name}: an issue without a usable {exc} in Linear's answer",
                "check base_url in ktlo.toml (default https://api.linear.app)",
            ) from None

    def _rest(self, issue: dict[str, Any], connection: str) -> list[Any]:
        first = issue[connection]
        nodes = list(first.get("nodes") or [])
        variables = {"id": issue["id"], "first": 100, "after": first["pageInfo"]["endCursor"]}
        for page in self.api.pages_by_relay(
            nested_query(connection), variables, connection=("issue", connection)
        ):
            nodes += page.items
        return nodes

    def _pages(self, query: str, connection: str, since: datetime | None) -> Iterator[list[Any]]:
        self._requests = self.api.stats.requests
        conditions: dict[str, Any] = {}
        if since is not None:
            conditions["updatedAt"] = {"gte": _iso_ms(since)}
        if self.team:
            conditions["team"] = {"key": {"eq": self.team}}
        variables = {"first": self.options.page_size, "filter": conditions or None}
        for page in self.api.pages_by_relay(query, variables, connection=(connection,)):
            if any(not isinstance(node, dict) or "id" not in node for node in page.items):
                raise FatalSourceError(
                    f"{self.source.name}: Linear's {connection} answer holds something other than {connection}",
                    "check base_url in ktlo.toml (default https://api.linear.app)",
                )
            yield page.items

    def _since(self, scope: str) -> datetime | None:
        cursor = self.known.cursor(scope)
        if cursor and cursor.get("since"):
            return parse_time(cursor["since"])
        first = self.options.since
        return parse_time(first.isoformat()) if first else None

    def _close_window(
        self, scope: str, newest: datetime | None, since: datetime | None
    ) -> Iterator[Batch]:
        if newest is not None and newest != since:
            yield Batch(scope, {"since": _iso_ms(newest)})

    def _batch(self, scope: str, **records: Any) -> Batch:
        pages = self.api.stats.requests - self._requests
        self._requests = self.api.stats.requests
        return Batch(scope, None, pages=pages, **records)


def _latest(current: datetime | None, values: list[Any]) -> datetime | None:
    moments = [m for v in values if (m := parse_time(v)) is not None]
    if current is not None:
        moments.append(current)
    return max(moments, default=None)


def _iso_ms(moment: datetime) -> str:
    """Linear's own timestamp form, to the millisecond: `2026-01-05T10:00:00.123Z`."""
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
