"""What every fake vendor API in these tests shares: a request log, auth, scripted failures.

A subclass answers `route(method, path, query, body)` and `unauthorized()`; `fail(path, answer,
...)` queues answers (a `(status, headers, body)` tuple or an exception to raise) that the next
requests to `path` get before the real one, and `on_request(path)`, when set, sees every request
first (a test can crash the sync there). Serve a fake through `httpx2.MockTransport(fake.handle)`,
or from a real server on 127.0.0.1 with `fake.werkzeug_handler` (pytest-httpserver).

`FakeRest` is the base of the REST fakes whose routes read the query as a dict and whose log
reads `path?query` (GitHub, GitLab, Jira); `snapshot` is every row a sync wrote, and
`fixture_reader` reads a fake's recorded answers.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode

import httpx2

Answer = tuple[int, dict[str, str], Any] | BaseException
JSON = {"Content-Type": "application/json; charset=utf-8"}


class FakeApi:
    """Records requests, checks the auth header, replays queued failures, then routes."""

    def __init__(self, header: str, expected: str) -> None:
        self.auth_header = header.lower()
        self.expected = expected
        self.requests: list[str] = []  # "METHOD path?query" of every request, in order
        self.bodies: list[Any] = []  # the decoded JSON body of every request (None without one)
        self.headers_seen: list[dict[str, str]] = []  # their headers, names in lower case
        self.on_request: Callable[[str], None] | None = None
        self._failures: dict[str, deque[Answer]] = defaultdict(deque)

    def fail(self, path: str, *answers: Answer) -> None:
        """The next requests to `path` (no query) get these answers, in order."""
        self._failures[path].extend(answers)

    def copy(self) -> Self:
        return copy.deepcopy(self)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """An httpx2.MockTransport handler."""
        query = [(k, v) for k, v in request.url.params.multi_items()]
        body = json.loads(request.content) if request.content else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = request.url.path
        self.requests.append(self.logged(request.method, path, query, request.url.query.decode()))
        self.bodies.append(body)
        self.headers_seen.append(headers)
        if self.on_request is not None:
            self.on_request(path)
        if self._failures.get(path):
            answer: Answer = self._failures[path].popleft()
        elif not self.authorized(headers):
            answer = self.unauthorized()
        else:
            answer = self.route(request.method, path, query, body)
        if isinstance(answer, BaseException):
            raise answer
        status, extra, payload = answer
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return httpx2.Response(status, headers=extra, content=content, request=request)

    def werkzeug_handler(self, request: Any) -> Any:
        """A pytest-httpserver handler: the same answers from a real server on 127.0.0.1."""
        from werkzeug import Response

        forwarded = httpx2.Request(
            request.method, request.url, headers=dict(request.headers), content=request.get_data()
        )
        try:
            answer = self.handle(forwarded)
        except httpx2.TransportError:
            return Response(b"", status=502)
        return Response(answer.content, status=answer.status_code, headers=dict(answer.headers))

    def logged(self, method: str, path: str, query: list[tuple[str, str]], raw: str) -> str:
        """How a request reads in `requests`."""
        return f"{method} {path}" + (f"?{raw}" if query else "")

    def authorized(self, headers: Mapping[str, str]) -> bool:
        return headers.get(self.auth_header) == self.expected

    def unauthorized(self) -> Answer:
        raise NotImplementedError

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        raise NotImplementedError


class FakeRest(FakeApi):
    """A fake REST API of GET requests: `requests` reads `path?query`, routes get a dict query."""

    def logged(self, method: str, path: str, query: list[tuple[str, str]], raw: str) -> str:
        return f"{path}?{urlencode(dict(query))}" if query else path

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        return self.get(path, dict(query))

    def get(self, path: str, query: dict[str, str]) -> Answer:
        raise NotImplementedError


def fixture_reader(folder: Path) -> Callable[[str], Any]:
    """`fixture(name)`: the JSON in `folder`/name (a fake's recorded answers)."""

    def fixture(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    return fixture


def params(query: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Query parameters by name, every value kept (`statuses[]` may repeat)."""
    found: dict[str, list[str]] = defaultdict(list)
    for key, value in query:
        found[key].append(value)
    return found


TABLES = {
    "work_items": "*", "activities": "*", "links": "*", "state_changes": "*", "sprints": "*",
    "builds": "*", "deployments": "*", "incidents": "*", "incident_events": "*", "alerts": "*",
    "verdicts": "item_id, investment, subcategory, confidence, reasons, classifier",
    "sync_state": "source, scope, cursor",
}  # fmt: skip


def snapshot(store: Any, tables: Mapping[str, str] = TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a sync wrote, sorted; wall-clock columns (classified_at, updated_at) left out."""
    return {
        table: sorted(store.con.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
        for table, columns in tables.items()
    }
