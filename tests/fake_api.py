"""What every fake vendor API in these tests shares: a request log, auth, scripted failures.

A subclass answers `route(method, path, query, body)` and `unauthorized()`; `fail(path, answer,
...)` queues answers (a `(status, headers, body)` tuple or an exception to raise) that the next
requests to `path` get before the real one, and `on_request(path)`, when set, sees every request
first (a test can crash the sync there). Serve a fake through `httpx2.MockTransport(fake.handle)`,
or from a real server on 127.0.0.1 with `fake.werkzeug_handler` (pytest-httpserver).

`FakeTime` is the clock and sleep a sync gets instead of the real ones: it moves only when
someone sleeps, so no test waits and every wait is exact.

`FakeRest` is the base of the REST fakes whose routes read the query as a dict and whose log
reads `path?query` (GitHub, GitLab, Jira); `snapshot` is every row a sync wrote, and
`fixture_reader` reads a fake's recorded answers.
"""

from __future__ import annotations

import copy
import json
import threading
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


class FakeTime:
    """A clock that moves only when someone sleeps; `sleeps` lists every wait, in order.

    Shared by every thread: concurrent waits for the same moment move the clock once. With
    `per_worker`, each thread keeps its own time instead, moved only by its own waits (a new
    thread starts at the latest time any thread reached): a request can then be dated by the
    waits its worker made before sending it, whatever the threads' real interleaving.
    """

    def __init__(
        self, start: float = 1_767_225_600.0, sleeps: list[float] | None = None,
        *, per_worker: bool = False,
    ) -> None:  # fmt: skip
        self.sleeps = sleeps if sleeps is not None else []
        self.per_worker = per_worker
        self._now = start
        self._lock = threading.Lock()
        self._workers = threading.local()

    def time(self) -> float:
        """Now, as the calling thread sees it."""
        with self._lock:
            if not self.per_worker:
                return self._now
            if not hasattr(self._workers, "now"):
                self._workers.now = self._now
            return float(self._workers.now)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` without waiting: the clock moves instead."""
        started = self.time()
        with self._lock:
            self.sleeps.append(seconds)
            if self.per_worker:
                self._workers.now = started + seconds
            self._now = max(self._now, started + seconds)

    def seams(self) -> dict[str, Any]:
        """`sleep` and `clock` for a SourceContext or an ApiClient."""
        return {"sleep": self.sleep, "clock": self.time}


class Throttle:
    """A fake API behind a rate limit that one of several workers meets, as GitHub's would.

    The first `workers` requests whose path contains `detail` wait until all of them are in
    (every worker has a request in flight); the first to arrive is answered `limit`, the
    others their real answers once the client has said it waits (`waiting`, called by the
    sync's reporter), so whatever a worker sends afterwards it sends knowing of the limit.
    The limited worker's own next request is held until each other worker has sent one
    more, so the others cannot hide behind it. `log` holds every request as (path, the
    sending worker's time on `time`), in order of arrival; `after_limit()` is what arrived
    once the limit was answered.
    """

    def __init__(
        self, fake: FakeApi, time: FakeTime, detail: str, limit: Answer, workers: int = 4
    ) -> None:
        self.fake, self.time, self.detail, self.limit = fake, time, detail, limit
        self.log: list[tuple[str, float]] = []
        self.limited_at: float | None = None
        self.told = threading.Event()
        self._barrier = threading.Barrier(workers, timeout=10)
        self._wave = workers  # first-wave requests still to come
        self._limited: int | None = None  # the thread that met the limit
        self._limited_index = 0
        self._others_after = 0
        self._moved = threading.Condition()

    def waiting(self, seconds: float, reason: str) -> None:
        self.told.set()

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        path, me = request.url.path, threading.get_ident()
        with self._moved:
            self.log.append((path, self.time.time()))
            wave = self.detail in path and self._wave > 0
            first = wave and self._wave == self._barrier.parties
            self._wave -= wave
            if self._limited is not None and me != self._limited:
                self._others_after += 1
                self._moved.notify_all()
        if wave:
            return self._first_wave(request, first)
        if me == self._limited:
            with self._moved:
                self._moved.wait_for(lambda: self._others_after >= self._barrier.parties - 1, 10)
        return self.fake.handle(request)

    def _first_wave(self, request: httpx2.Request, first: bool) -> httpx2.Response:
        self._barrier.wait()
        if not first:
            self.told.wait(timeout=10)
            return self.fake.handle(request)
        with self._moved:
            self.limited_at = self.time.time()
            self._limited, self._limited_index = threading.get_ident(), len(self.log)
        if isinstance(self.limit, BaseException):
            raise self.limit
        status, headers, body = self.limit
        return httpx2.Response(status, headers=headers, json=body, request=request)

    def after_limit(self) -> list[tuple[str, float]]:
        with self._moved:
            return self.log[self._limited_index :]


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
