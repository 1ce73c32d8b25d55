"""One HTTP layer for every API source: auth, pagination, retries, rate limits, errors.

- Retries (tenacity): timeouts, connection errors, 5xx and 429 are retried with
  exponential backoff and full jitter. A `Retry-After` header, or a rate-limit reset
  time (`X-RateLimit-Remaining: 0` with `X-RateLimit-Reset`, as GitHub and GitLab send
  them), replaces the backoff; GitHub's secondary limits without either wait a minute.
  Every wait is reported through `on_wait`, so a progress bar can show it.
- Errors come out as ktlo's own: `TransientSourceError` once retries are exhausted,
  `FatalSourceError` at once for 401, 403, 404 and other client errors, each naming the
  source, the environment variable that holds the token and, when the server says so,
  the scope or permission that is missing. The token itself is never part of a message,
  a repr or a log line, and it is only sent to the host of `base_url`.
- Pagination in each vendor style: `Link` headers, cursors, offsets, GraphQL relay cursors.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx2
import tenacity

from ktlo.errors import FatalSourceError, TransientSourceError

T = TypeVar("T")
R = TypeVar("R")
WaitCallback = Callable[[float, str], None]

DEFAULT_ATTEMPTS = 6
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_WAIT = 3600.0  # a longer wait (e.g. a rate limit resetting in 2 hours) stops the source
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "otherwise, wait for at least one minute before retrying"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Credentials:
    """A token, the environment variable it came from, and how the API wants to see it."""

    env_var: str
    token: str = field(repr=False)
    header: str = "Authorization"
    template: str = "Bearer {token}"  # "token {token}", "GenieKey {token}", "{token}" ...
    username: str | None = None  # set for HTTP Basic (username:token), e.g. Jira Cloud

    @classmethod
    def bearer(cls, env_var: str, token: str) -> Credentials:
        return cls(env_var, token)

    @classmethod
    def basic(cls, env_var: str, username: str, token: str) -> Credentials:
        return cls(env_var, token, username=username)

    @classmethod
    def in_header(
        cls, env_var: str, token: str, header: str, template: str = "{token}"
    ) -> Credentials:
        """A token in a header of the vendor's choosing (GitLab `PRIVATE-TOKEN`, PagerDuty `Token token=`)."""
        return cls(env_var, token, header=header, template=template)

    def headers(self) -> dict[str, str]:
        if self.username is not None:
            pair = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
            return {self.header: f"Basic {pair}"}
        return {self.header: self.template.format(token=self.token)}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paginated answer: its items, the whole decoded body, its number."""

    items: list[Any]
    body: Any
    number: int


@dataclass
class HttpStats:
    """Where a client's time went (summed over threads) and how often it retried or waited."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    http_seconds: float = 0.0
    parse_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)


class _Retryable(Exception):
    """An attempt failed in a way worth retrying; `wait` is what the server asked for, if it did."""

    def __init__(
        self, what: str, wait: float | None = None, resets: datetime | None = None
    ) -> None:
        super().__init__(what)
        self.what = what
        self.wait = wait
        self.resets = resets


class ApiClient:
    """An HTTP client for one source: JSON over HTTPS, retried, rate-limited, paginated.

    Pass `client` (an `httpx2.Client`) or `transport` (e.g. `httpx2.MockTransport`) to
    control where requests go, and `sleep` to control waiting, so tests never really sleep.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        client: httpx2.Client | None = None,
        transport: httpx2.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        on_wait: WaitCallback | None = None,
        headers: Mapping[str, str] | None = None,
        need: str | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
        max_wait: float = DEFAULT_MAX_WAIT,
        concurrency: int = 4,
    ) -> None:
        self.source = source
        self.base_url = httpx2.URL(base_url.rstrip("/") + "/")
        self.credentials = credentials
        self.on_wait = on_wait
        self.need = need
        self.stats = HttpStats()
        self._sleep = sleep
        self._clock = clock
        self._attempts = attempts
        self._max_wait = max_wait
        self._concurrency = max(1, concurrency)
        self._paused_until = 0.0
        self._pause_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._backoff = tenacity.wait_random_exponential(multiplier=0.5, max=30)
        # One Retrying for every request: tenacity keeps each call's state per thread.
        self._retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=self._wait_for,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=sleep,
            before_sleep=self._report_retry,
            reraise=True,
        )
        self._owns_client = client is None
        self._client = client or httpx2.Client(
            transport=transport, timeout=timeout, follow_redirects=False
        )
        self._headers = {"Accept": "application/json", "User-Agent": "ktlo", **(headers or {})}
        self._auth_headers = {**self._headers, **(credentials.headers() if credentials else {})}
        self._base = str(self.base_url)

    # -- plumbing -----------------------------------------------------------------------

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`fn` over `items` with at most `concurrency` requests in flight; results in order."""
        items = list(items)
        if self._concurrency == 1 or len(items) < 2:
            return [fn(item) for item in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix=self.source)
        return list(self._pool.map(fn, items))

    # -- requests -------------------------------------------------------------------------

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, need: str | None = None
    ) -> httpx2.Response:
        """GET `path` (relative to base_url, or a full URL on the same host): a 2xx response."""
        return self._send("GET", path, params=params, need=need)

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, need: str | None = None
    ) -> Any:
        """GET and decode JSON."""
        return self._decode(self.get(path, params, need=need))

    def post_json(self, path: str, body: Any, *, need: str | None = None) -> Any:
        """POST a JSON body and decode the JSON answer."""
        return self._decode(self._send("POST", path, body=body, need=need))

    # -- pagination -----------------------------------------------------------------------

    def pages_by_link(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str | None = None,
        need: str | None = None,
    ) -> Iterator[Page]:
        """Follow `Link: <...>; rel="next"` headers (GitHub, GitLab, Opsgenie's paging.next)."""
        url: str | None = path
        query = params
        number = 1
        while url is not None:
            response = self.get(url, query, need=need)
            body = self._decode(response)
            yield Page(_items(body, items_key, self.source), body, number)
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query
            number += 1

    def pages_by_cursor(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str,
        next_cursor: Callable[[Any], str | None],
        cursor_param: str = "cursor",
        need: str | None = None,
    ) -> Iterator[Page]:
        """Pass the cursor each body names to the next request (Jira's nextPageToken, PagerDuty v3)."""
        query = dict(params or {})
        number = 1
        while True:
            body = self.get_json(path, query, need=need)
            yield Page(_items(body, items_key, self.source), body, number)
            cursor = next_cursor(body)
            if not cursor:
                return
            query[cursor_param] = cursor
            number += 1

    def pages_by_offset(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str,
        limit: int = 100,
        offset_param: str = "offset",
        limit_param: str = "limit",
        has_more: Callable[[Any], bool] | None = None,
        need: str | None = None,
    ) -> Iterator[Page]:
        """Ask for `limit` items at growing offsets until a short page, or `has_more` says no."""
        offset = 0
        number = 1
        while True:
            query = {**(params or {}), offset_param: offset, limit_param: limit}
            body = self.get_json(path, query, need=need)
            items = _items(body, items_key, self.source)
            yield Page(items, body, number)
            more = has_more(body) if has_more else len(items) >= limit
            if not more or not items:
                return
            offset += len(items)
            number += 1

    def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        path: str = "graphql",
        need: str | None = None,
    ) -> Any:
        """Run a GraphQL query and return its `data`; errors in the answer are raised as ours."""
        body = self.post_json(path, {"query": query, "variables": dict(variables or {})}, need=need)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            message = self._redact(str(first.get("message", "unknown error")))[:300]
            raise FatalSourceError(
                f"{self.source}: the GraphQL API answered: {message}",
                self._fix_for(need, "check the query's fields and the token's scopes"),
            )
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise FatalSourceError(f"{self.source}: a GraphQL answer without data", _BASE_URL_FIX)
        return body["data"]

    def pages_by_relay(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: Sequence[str],
        path: str = "graphql",
        need: str | None = None,
    ) -> Iterator[Page]:
        """Follow a relay connection (`pageInfo { hasNextPage endCursor }`) through `$after`.

        `connection` is the path of field names from `data` to the connection, e.g.
        `("repository", "issues")`; its `nodes` (or `edges[].node`) are the page's items.
        """
        values = dict(variables or {})
        number = 1
        while True:
            data = self.graphql(query, values, path=path, need=need)
            conn: Any = data
            for name in connection:
                conn = conn.get(name) if isinstance(conn, dict) else None
            if not isinstance(conn, dict):
                return
            nodes = conn.get("nodes")
            if nodes is None:
                nodes = [edge.get("node") for edge in conn.get("edges") or []]
            yield Page(list(nodes), data, number)
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            values["after"] = info["endCursor"]
            number += 1

    # -- one request, retried ---------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        need: str | None,
    ) -> httpx2.Response:
        # One parse instead of URL.join's two: this runs for every request.
        url = httpx2.URL(path if "://" in path else self._base + path.lstrip("/"))
        try:
            return self._retrying(self._attempt, method, url, params, body, need)
        except _Retryable as exc:
            raise self._gave_up(exc) from exc

    def _attempt(
        self,
        method: str,
        url: httpx2.URL,
        params: Mapping[str, Any] | None,
        body: Any,
        need: str | None,
    ) -> httpx2.Response:
        self._honour_pause()
        try:
            response = self._request(method, url, params, body)
        except httpx2.TimeoutException as exc:
            raise _Retryable(f"timed out talking to {url.host}") from exc
        except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
            raise FatalSourceError(
                f"{self.source}: {url} is not an http(s) URL", _BASE_URL_FIX
            ) from exc
        except httpx2.TransportError as exc:
            raise _Retryable(f"cannot reach {url.host} ({type(exc).__name__})") from exc
        self._note_rate_limit(response)
        status = response.status_code
        if status < 300:
            return response
        if status == 429 or (status == 403 and self._rate_limited(response)):
            raise self._rate_limit(response)
        if status >= 500:
            raise _Retryable(
                f"server error {status} from {url.host}", _retry_after(response, self._clock())
            )
        raise self._client_error(response, need)

    def _request(
        self, method: str, url: httpx2.URL, params: Mapping[str, Any] | None, body: Any
    ) -> httpx2.Response:
        """Send one request, following redirects ourselves so the token only goes to our host."""
        started = time.perf_counter()
        try:
            for _ in range(MAX_REDIRECTS + 1):
                same_host = url.host == self.base_url.host
                headers = self._auth_headers if same_host else self._headers
                request = self._client.build_request(
                    method, url, params=params, json=body, headers=headers
                )
                response = self._client.send(request)
                if response.status_code not in _REDIRECTS or "location" not in response.headers:
                    return response
                url = url.join(response.headers["location"])
                params = None
                if response.status_code == 303:
                    method, body = "GET", None
            raise FatalSourceError(
                f"{self.source}: too many redirects from {url.host}", _BASE_URL_FIX
            )
        finally:
            self.stats.add(requests=1, http_seconds=time.perf_counter() - started)

    def _decode(self, response: httpx2.Response) -> Any:
        if not response.content:
            return None
        started = time.perf_counter()
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FatalSourceError(
                f"{self.source}: {response.request.url.copy_with(query=None)} answered with a body "
                f"that is not JSON ({response.headers.get('content-type', 'no content type')})",
                _BASE_URL_FIX,
            ) from exc
        finally:
            self.stats.add(parse_seconds=time.perf_counter() - started)

    # -- rate limits and waits ---------------------------------------------------------------

    def _rate_limited(self, response: httpx2.Response) -> bool:
        """A 403 that is a rate limit (primary or secondary), not a missing permission."""
        if _remaining(response) == 0 or "retry-after" in response.headers:
            return True
        # GitHub documents the secondary limit's 403 only by its error message.
        return "rate limit" in _message(response).lower()

    def _rate_limit(self, response: httpx2.Response) -> _Retryable:
        now = self._clock()
        wait = _retry_after(response, now)
        resets = None
        if wait is None and _remaining(response) == 0:
            reset = _reset_at(response)
            if reset is not None:
                wait = max(reset - now, 0.0) + 1.0
                resets = datetime.fromtimestamp(reset, UTC)
        if wait is None and response.status_code == 403:
            wait = SECONDARY_LIMIT_WAIT
        if wait is not None and wait > self._max_wait:
            when = f" at {resets:%H:%M} UTC" if resets else f" in {wait / 60:.0f} minutes"
            raise TransientSourceError(
                f"{self.source}: rate limit of the token in ${self._env_var()} is used up; it resets{when}",
                "run `ktlo sync` again after that; what is stored so far is kept",
            )
        what = f"rate limit (HTTP {response.status_code})"
        if resets is not None:
            what += f", resets at {resets:%H:%M:%S} UTC"
        return _Retryable(what, wait, resets)

    def _note_rate_limit(self, response: httpx2.Response) -> None:
        """After a success that used the last request of the window, pause until it resets."""
        if response.status_code < 300 and _remaining(response) == 0:
            reset = _reset_at(response)
            if reset is not None:
                with self._pause_lock:
                    self._paused_until = max(self._paused_until, reset + 1.0)

    def _honour_pause(self) -> None:
        with self._pause_lock:
            wait = self._paused_until - self._clock()
        if wait <= 0:
            return
        if wait > self._max_wait:
            raise TransientSourceError(
                f"{self.source}: rate limit of the token in ${self._env_var()} is used up for {wait / 60:.0f} minutes",
                "run `ktlo sync` again after that; what is stored so far is kept",
            )
        self._waiting(wait, "rate limit used up, waiting for the reset")
        self._sleep(wait)

    def _wait_for(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait is not None:
            return exc.wait
        return float(self._backoff(state))

    def _report_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        self.stats.add(retries=1)
        self._waiting(seconds, f"{exc}, retry {state.attempt_number} of {self._attempts - 1}")

    def _waiting(self, seconds: float, reason: str) -> None:
        self.stats.add(waited=seconds)
        if self.on_wait is not None:
            self.on_wait(seconds, reason)

    # -- errors -----------------------------------------------------------------------------

    def _gave_up(self, exc: _Retryable) -> TransientSourceError:
        return TransientSourceError(
            f"{self.source}: {exc.what}, {self._attempts} attempts",
            "try again later; what is stored so far is kept and the next run resumes",
        )

    def _client_error(self, response: httpx2.Response, need: str | None) -> FatalSourceError:
        status = response.status_code
        where = response.request.url.copy_with(query=None)
        env = self._env_var()
        if status == 401:
            return FatalSourceError(
                f"{self.source}: the token in ${env} was rejected (401 Unauthorized)",
                f"set {env} to a valid, unexpired token{self._with_need(need, ' with {}')}",
            )
        if status == 403:
            missing = _missing_scopes(response)
            lacks = f" lacks {missing}" if missing else " is not allowed to read it"
            return FatalSourceError(
                f"{self.source}: 403 Forbidden for {where}: the token in ${env}{lacks}",
                self._fix_for(need, f"give the token in {env} read access to it"),
            )
        if status == 404:
            return FatalSourceError(
                f"{self.source}: {where} was not found (404)",
                "check the name in ktlo.toml; a private one is also not found when the token "
                f"in {env} cannot see it{self._with_need(need, ' (it needs {})')}",
            )
        message = self._redact(_message(response))[:200]
        detail = f": {message}" if message else ""
        return FatalSourceError(
            f"{self.source}: HTTP {status} for {where}{detail}",
            "check the source's options in ktlo.toml",
        )

    def _fix_for(self, need: str | None, default: str) -> str:
        need = need or self.need
        return f"{self.source} needs {need}" if need else default

    def _with_need(self, need: str | None, template: str) -> str:
        need = need or self.need
        return template.format(need) if need else ""

    def _env_var(self) -> str:
        return self.credentials.env_var if self.credentials else "(no token)"

    def _redact(self, text: str) -> str:
        if self.credentials and self.credentials.token:
            text = text.replace(self.credentials.token, "***")
        return text


_BASE_URL_FIX = "check base_url in ktlo.toml (for GitHub Enterprise: https://HOST/api/v3)"


def _items(body: Any, key: str | None, source: str) -> list[Any]:
    items = body.get(key) if key is not None and isinstance(body, dict) else body
    if items is None:
        return []
    if not isinstance(items, list):
        raise FatalSourceError(
            f"{source}: expected a list{f' under {key!r}' if key else ''} in the answer",
            _BASE_URL_FIX,
        )
    return items


def _message(response: httpx2.Response) -> str:
    try:
        body = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message else ""


def _header_number(response: httpx2.Response, *names: str) -> float | None:
    for name in names:
        value = response.headers.get(name)
        if value is not None:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _remaining(response: httpx2.Response) -> float | None:
    return _header_number(response, "x-ratelimit-remaining", "ratelimit-remaining")


def _reset_at(response: httpx2.Response) -> float | None:
    """The rate-limit reset as epoch seconds (GitHub and GitLab send epoch seconds)."""
    return _header_number(response, "x-ratelimit-reset", "ratelimit-reset")


def _retry_after(response: httpx2.Response, now: float) -> float | None:
    """`Retry-After` in seconds: a number of seconds or an HTTP date."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _missing_scopes(response: httpx2.Response) -> str | None:
    """What GitHub says the token lacks: OAuth scopes, or fine-grained permissions."""
    accepted = _header_list(response, "x-accepted-oauth-scopes")
    granted = set(_header_list(response, "x-oauth-scopes"))
    missing = [scope for scope in accepted if scope not in granted]
    if missing:
        return f"the scope {' or '.join(missing)}"
    permissions = response.headers.get("x-accepted-github-permissions")
    if permissions:
        return f"the permission {permissions.replace(';', ' and ')}"
    return None


def _header_list(response: httpx2.Response, name: str) -> list[str]:
    value = response.headers.get(name, "")
    return [part.strip() for part in value.split(",") if part.strip()]
