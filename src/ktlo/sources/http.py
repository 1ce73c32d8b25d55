"""One HTTP layer for every API source: auth, pagination, retries, rate limits, errors.

- Retries (tenacity): timeouts, connection errors and 5xx are retried with exponential
  backoff and full jitter (a 5xx's `Retry-After` replaces the backoff).
- Rate limits (`rate_limits`): a 429, or a 403 that is a rate limit, closes the host's
  gate for as long as the answer asks (`Retry-After`, else the reset of a used-up window,
  else a minute, doubling); every worker of the client waits at the gate before its next
  request, and so does everyone after a success that used up the window. A wait longer
  than `max_wait` stops the source with the time to come back. Every wait is reported once
  through `on_wait`, so a progress bar can show it.
- Errors come out as ktlo's own: `TransientSourceError` once retries are exhausted,
  `FatalSourceError` at once for 401, 403, 404 and other client errors
  (`SourceNotFoundError` for 404 and 410, which a connector may survive), each naming the
  source, the environment variable that holds the token and, when the server says so,
  the scope or permission that is missing. The token itself is never part of a message,
  a repr or a log line, and it is only sent to the host of `base_url`.
- Pagination in each vendor style (`pagination.py`): `Link` headers, cursors, offsets, GraphQL
  relay cursors.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx2
import tenacity

from ktlo.errors import FatalSourceError, TransientSourceError
from ktlo.sources.http_responses import BASE_URL_FIX, client_error
from ktlo.sources.pagination import Paginated
from ktlo.sources.rate_limits import Gate, is_rate_limited, limit_of, retry_after, used_up

T = TypeVar("T")
R = TypeVar("R")
WaitCallback = Callable[[float, str], None]

DEFAULT_ATTEMPTS = 6
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_WAIT = 3600.0  # a longer wait (e.g. a rate limit resetting in 2 hours) stops the source
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

    def __init__(self, what: str, wait: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.wait = wait


class ApiClient(Paginated):
    """An HTTP client for one source: JSON over HTTPS, retried, rate-limited, paginated.

    Pass `client` (an `httpx2.Client`) or `transport` (e.g. `httpx2.MockTransport`) to
    control where requests go, and `sleep` and `clock` to control waiting, so tests never
    really sleep. Clients given one `gate` wait for each other's rate limits.
    `response_hooks` see every response first (Linear's turn GraphQL errors into statuses).
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
        response_hooks: Sequence[Callable[[httpx2.Response], None]] = (),
        gate: Gate | None = None,
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
        self.gate = gate or Gate()
        self._pool: ThreadPoolExecutor | None = None
        self._backoff = tenacity.wait_random_exponential(multiplier=0.5, max=30)
        # One Retrying for every request: tenacity keeps each call's state per thread.
        self._retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=self._wait_for,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=self._nap,
            before_sleep=self._report_retry,
            reraise=True,
        )
        self._owns_client = client is None
        self._client = client or httpx2.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            event_hooks={"response": list(response_hooks)},
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
                f"{self.source}: {url} is not an http(s) URL", BASE_URL_FIX
            ) from exc
        except httpx2.TransportError as exc:
            raise _Retryable(f"cannot reach {url.host} ({type(exc).__name__})") from exc
        status = response.status_code
        if status < 300:
            self._note_rate_limit(response)
            return response
        if is_rate_limited(response):
            raise self._rate_limit(response)
        if status >= 500:
            raise _Retryable(
                f"server error {status} from {url.host}", retry_after(response, self._clock())
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
                f"{self.source}: too many redirects from {url.host}", BASE_URL_FIX
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
                BASE_URL_FIX,
            ) from exc
        finally:
            self.stats.add(parse_seconds=time.perf_counter() - started)

    # -- rate limits and waits ---------------------------------------------------------------

    def _rate_limit(self, response: httpx2.Response) -> _Retryable:
        """Close the gate for as long as the answer asks; the retry waits at the gate."""
        now = self._clock()
        limit = limit_of(response, now, self.gate.strike(now))
        what = f"rate limit (HTTP {response.status_code} from {response.url.host}, {limit.why})"
        self.gate.close(now + limit.seconds, what)
        if limit.seconds > self._max_wait:
            raise self._too_long(limit.seconds, now)
        return _Retryable(what, 0.0)

    def _note_rate_limit(self, response: httpx2.Response) -> None:
        """After a success that used the last request of the window, pause until it resets."""
        self.gate.succeeded()
        now = self._clock()
        reset = used_up(response, now)
        if reset is not None:
            self.gate.close(reset + 1.0, "rate limit used up, waiting for the reset")

    def _honour_pause(self) -> None:
        """Wait while the host's gate is closed (by this worker, another, or another client)."""
        while True:
            now = self._clock()
            wait, why, first = self.gate.wait(now)
            if wait <= 0:
                return
            if wait > self._max_wait:
                raise self._too_long(wait, now)
            if first:
                self._waiting(wait, why)
            opens = self.gate.opens_at
            self._sleep(wait)
            if self.gate.opens_at == opens:
                return  # nobody extended the pause while we slept

    def _too_long(self, wait: float, now: float) -> TransientSourceError:
        back = datetime.fromtimestamp(now + wait, UTC)
        return TransientSourceError(
            f"{self.source}: {self.base_url.host} asks to wait {_duration(wait)} for its rate "
            f"limit (the token in ${self._env_var()}), longer than ktlo waits ({_duration(self._max_wait)})",
            f"run `ktlo sync` again after {back:%Y-%m-%d %H:%M} UTC; what is stored so far is "
            "kept and the next run resumes",
        )

    def _nap(self, seconds: float) -> None:
        """Tenacity's backoff sleep; a rate limit's retry waits at the gate instead (0 here)."""
        if seconds > 0:
            self._sleep(seconds)

    def _wait_for(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait is not None:
            return exc.wait
        return float(self._backoff(state))

    def _report_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        self.stats.add(retries=1)
        if seconds > 0:
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
        return client_error(response, self.source, self._env_var(), need or self.need, self._redact)

    def _env_var(self) -> str:
        return self.credentials.env_var if self.credentials else "(no token)"

    def _redact(self, text: str) -> str:
        if self.credentials and self.credentials.token:
            text = text.replace(self.credentials.token, "***")
        return text


def _duration(seconds: float) -> str:
    """`45 s`, `12 minutes`, `1 hour`, `2.5 hours`."""
    if seconds >= 3600:
        hours = round(seconds / 3600, 1)
        return f"{hours:g} hour" + ("" if hours == 1 else "s")
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} s"
