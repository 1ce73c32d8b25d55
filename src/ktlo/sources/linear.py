"""Linear (GraphQL at api.linear.app/graphql): issues with their history and comments, and cycles.

    issues   issues(filter: {updatedAt: {gte: …}, team: …}, orderBy: updatedAt) with labels,
             state, estimate, parent, project, cycle, assignee, creator, history, comments
             (+ issue(id) { history | comments | labels } when one issue has more than a page)
    cycles   cycles(filter: {updatedAt: {gte: …}, team: …}) -> the `sprints` table

Incremental like every ktlo source: a scope's window starts at the newest `updatedAt` the
previous run stored and its cursor is written only once the whole window is stored, so a run
killed half-way reads the window again; issues whose JSON is stored unchanged cost nothing more.

Linear answers most errors as GraphQL errors with HTTP 400; `_GraphQLStatus` gives them the
HTTP status they mean (RATELIMITED -> 429 with the wait, authentication -> 401, forbidden ->
403), so the shared HTTP layer retries, waits and words them like any other source's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

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
    iso,
    parse_time,
)
from ktlo.sources.http import ApiClient, Credentials, HttpStats
from ktlo.sources.jsonfile import read_values

NEED = "a Linear API key (Settings → Security & access) or an OAuth token with the read scope"
FILE_BATCH = 500
NESTED = 10  # nodes of each nested connection (labels, history, comments) asked with the issue

_USER = "id name displayName email"
_ISSUE_FIELDS = f"""
      id identifier number title description priority priorityLabel estimate url branchName
      createdAt updatedAt startedAt completedAt canceledAt archivedAt
      state {{ id name type }}
      team {{ id key name }}
      project {{ id name }}
      cycle {{ id number name startsAt endsAt }}
      parent {{ id identifier }}
      assignee {{ {_USER} }}
      creator {{ {_USER} }}
      labels(first: {NESTED}) {{ nodes {{ id name }} pageInfo {{ hasNextPage endCursor }} }}
      history(first: {NESTED}) {{ nodes {{ HISTORY }} pageInfo {{ hasNextPage endCursor }} }}
      comments(first: {NESTED}) {{ nodes {{ COMMENT }} pageInfo {{ hasNextPage endCursor }} }}
"""
_HISTORY_FIELDS = f"""
      id createdAt
      actor {{ {_USER} }}
      fromState {{ id name type }} toState {{ id name type }}
      fromAssignee {{ {_USER} }} toAssignee {{ {_USER} }}
      fromCycle {{ id number name }} toCycle {{ id number name }}
      fromParent {{ id identifier }} toParent {{ id identifier }}
      fromProject {{ id name }} toProject {{ id name }}
      fromEstimate toEstimate fromPriority toPriority fromTitle toTitle
      addedLabels {{ id name }} removedLabels {{ id name }}
"""
_COMMENT_FIELDS = f"id createdAt user {{ {_USER} }}"
_NESTED_FIELDS = {"history": _HISTORY_FIELDS, "comments": _COMMENT_FIELDS, "labels": "id name"}

ISSUES_QUERY = f"""
query Issues($first: Int!, $after: String, $filter: IssueFilter) {{
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt, includeArchived: true) {{
    nodes {{ {_ISSUE_FIELDS.replace("HISTORY", _HISTORY_FIELDS).replace("COMMENT", _COMMENT_FIELDS)} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
CYCLES_QUERY = """
query Cycles($first: Int!, $after: String, $filter: CycleFilter) {
  cycles(first: $first, after: $after, filter: $filter, orderBy: updatedAt, includeArchived: true) {
    nodes {
      id number name startsAt endsAt completedAt createdAt updatedAt archivedAt
      isActive isFuture isPast
      team { id key name }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def nested_query(connection: str) -> str:
    """The rest of one issue's connection, after the page that came with the issue."""
    return f"""
query IssueConnection($id: String!, $first: Int!, $after: String) {{
  issue(id: $id) {{
    {connection}(first: $first, after: $after) {{
      nodes {{ {_NESTED_FIELDS[connection]} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""


Section = Literal["issues", "cycles"]


class LinearOptions(SourceOptions):
    """[sources.linear] in ktlo.toml; see docs/sources.md."""

    token_env: str = Field("LINEAR_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    auth: Literal["api_key", "oauth"] = "api_key"  # oauth: the token is sent as `Bearer …`
    base_url: str = Field("https://api.linear.app", pattern=r"^https?://")
    teams: list[str] = Field([], description="team keys, e.g. ENG; default: every team")
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
        inner = self.ctx.transport or httpx2.HTTPTransport()
        with ApiClient(
            self.name,
            self.options.base_url,
            credentials,
            transport=_GraphQLStatus(inner),
            sleep=self.ctx.sleep,
            on_wait=reporter.waiting,
            need=NEED,
            concurrency=1,
        ) as api:
            self.stats = api.stats
            for team in self.options.teams or [None]:
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

    def __init__(self, source: LinearSource, api: ApiClient, known: Known, team: str | None) -> None:
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
            conditions["updatedAt"] = {"gte": iso(since)}
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


class _GraphQLStatus(httpx2.BaseTransport):
    """Give Linear's HTTP-400 GraphQL errors the HTTP status they mean, for the shared layer."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        if response.status_code != 400:
            return response
        response.read()
        status = _meant_status(response.content)
        if status is None:
            return response
        headers = dict(response.headers)
        if status == 429 and "retry-after" not in {k.lower() for k in headers}:
            wait = _reset_wait(response)
            if wait is not None:
                headers["Retry-After"] = f"{wait:.0f}"
        return httpx2.Response(
            status, headers=headers, content=response.content, request=response.request
        )

    def close(self) -> None:
        self.inner.close()


_CODES = {"RATELIMITED": 429, "AUTHENTICATION_ERROR": 401, "FORBIDDEN": 403}
_TYPES = {"ratelimited": 429, "authentication error": 401, "forbidden": 403}


def _meant_status(content: bytes) -> int | None:
    """The HTTP status the first GraphQL error's `extensions` (code or type) stand for."""
    try:
        body = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    extensions = first.get("extensions") if isinstance(first, dict) else None
    if not isinstance(extensions, dict):
        return None
    code = _CODES.get(str(extensions.get("code") or "").upper())
    return code or _TYPES.get(str(extensions.get("type") or "").lower())


def _reset_wait(response: httpx2.Response) -> float | None:
    """Seconds until Linear's request or complexity budget resets (its reset headers are epoch ms)."""
    resets = []
    for name in ("x-ratelimit-requests-reset", "x-ratelimit-complexity-reset"):
        try:
            resets.append(float(response.headers[name]) / 1000.0)
        except (KeyError, ValueError):
            continue
    if not resets:
        return None
    date_header = response.headers.get("date")
    now = _http_date(date_header) if date_header else None
    if now is None:
        return None
    return max(max(resets) - now, 0.0) + 1.0


def _http_date(value: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
