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
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from ktlo.errors import FatalSourceError, InputError
from ktlo.records import Sprint, WorkItem
from ktlo.sources import linear_records as lr
from ktlo.sources.api_source import ApiSource, Connection, ScopeRun
from ktlo.sources.base import (
    Batch,
    Known,
    SourceOptions,
    canonical_json,
    file_batches,
    iso_ms,
    latest,
)
from ktlo.sources.http import ApiClient
from ktlo.sources.jsonfile import read_values
from ktlo.sources.linear_api import CYCLES_QUERY, ISSUES_QUERY, graphql_status, nested_query
from ktlo.sources.option_types import Since, StandardTypes, token_env

NEED = "a Linear API key (Settings → Security & access) or an OAuth token with the read scope"
Section = Literal["issues", "cycles"]


class LinearOptions(SourceOptions):
    """[sources.linear] in ktlo.toml; see docs/sources.md."""

    token_env: str = token_env("LINEAR_API_KEY")
    auth: Literal["api_key", "oauth"] = "api_key"  # oauth: the token is sent as `Bearer …`
    base_url: str = Field("https://api.linear.app", pattern=r"^https?://")
    teams: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9]+$")]] = []  # keys; default: every team
    include: list[Section] = ["issues", "cycles"]
    since: Since = None  # how far back the first sync reaches (default: everything)
    page_size: int = Field(20, ge=1, le=50)  # issues per request; Linear caps a query's complexity
    types: StandardTypes = {}


class LinearSource(ApiSource):
    """Issues (with history, comments, estimates, parents, projects, cycles) and cycles."""

    kind = "linear"
    Options = LinearOptions
    options: LinearOptions

    def connection(self) -> Connection:
        template = "Bearer {token}" if self.options.auth == "oauth" else "{token}"
        credentials = self.authorization(self.options.token_env, NEED, template)
        return Connection(
            self.options.base_url,
            credentials,
            NEED,
            concurrency=1,
            response_hooks=(graphql_status,),
        )

    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        teams: list[str | None] = [*self.options.teams] or [None]
        for team in teams:
            yield from _Run(self, api, known, team).sections(self.options.include)

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """Saved answers of the two queries above (one per page, back to back), or their nodes."""
        records: list[WorkItem | Sprint] = []
        for line, value in read_values(path):
            for node in _saved_nodes(value):
                records.append(self._from_saved(path, line, node))
        yield from file_batches(path, records)

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


class _Run(ScopeRun[LinearSource]):
    """One team's (or every team's) sync: one generator per section, each yielding page batches."""

    def __init__(
        self, source: LinearSource, api: ApiClient, known: Known, team: str | None
    ) -> None:
        super().__init__(source, api, known)
        self.options = source.options
        self.team = team

    def scope(self, section: str) -> str:
        return f"team:{self.team}:{section}" if self.team else section

    def issues(self) -> Iterator[Batch]:
        scope = self.scope("issues")
        since = self.since(scope, self.options.since)
        newest = since
        for page in self._pages(ISSUES_QUERY, "issues", since):
            newest = latest(newest, [i.get("updatedAt") for i in page])
            keys = [lr.issue_key(str(i["id"])) for i in page]
            stored = self.known.raw("work_items", keys)
            changed = [
                (i, raw)
                for i, key in zip(page, keys, strict=True)
                if stored.get(key) != (raw := canonical_json(i))
            ]
            items = tuple(self._issue(i, raw) for i, raw in changed)
            yield self.batch(scope, work_items=items, unchanged=len(page) - len(changed))
        yield from self.close_window(scope, newest, since, iso_ms)

    def cycles(self) -> Iterator[Batch]:
        scope = self.scope("cycles")
        since = self.since(scope, self.options.since)
        newest = since
        for page in self._pages(CYCLES_QUERY, "cycles", since):
            newest = latest(newest, [c.get("updatedAt") for c in page])
            sprints = tuple(lr.cycle_sprint(c) for c in page)
            yield self.batch(scope, sprints=sprints)
        yield from self.close_window(scope, newest, since, iso_ms)

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
        self.begin()
        conditions: dict[str, Any] = {}
        if since is not None:
            conditions["updatedAt"] = {"gte": iso_ms(since)}
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
