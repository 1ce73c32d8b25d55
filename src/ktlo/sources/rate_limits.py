"""Rate limits: how long an answer asks us to wait, and the gate every worker of a host waits at.

How long, by status and headers (GitHub documents it this way; GitLab, Jira, PagerDuty and
Linear answer alike):

1. `Retry-After` (seconds or an HTTP date): that long.
2. `X-RateLimit-Remaining: 0` (or `RateLimit-Remaining: 0`) with a reset time: until the
   reset (`X-RateLimit-Reset` in epoch seconds; small values are seconds from now, as the
   IETF `RateLimit-Reset` and PagerDuty send them), plus a second for clock skew.
3. Otherwise (GitHub's secondary limits, a bare 429): a minute, doubled at each further
   limit before a request succeeds again ("wait for at least one minute ... for an
   exponentially increasing amount of time").

A limit closes the host's `Gate` until then: every worker of the client (its thread pool,
and any other client given the same gate) waits at it before its next request, so nothing
more reaches the host inside the window. A successful answer with `Remaining: 0` closes it
until the reset as well, before the next request is sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2

from ktlo.sources.http_responses import message

SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "otherwise, wait for at least one minute before retrying"
_EPOCH_FROM = 1e9  # a reset below this is seconds from now (2001-09-09 as epoch seconds)


@dataclass(frozen=True, slots=True)
class Limit:
    """What a rate-limited answer asks: wait `seconds`; `resets` is the epoch it names, if any."""

    seconds: float
    why: str  # "Retry-After 60 s", "the window resets at 14:05:00 UTC", ...
    resets: float | None = None


def is_rate_limited(response: httpx2.Response) -> bool:
    """A 429, or a 403 that is a rate limit (primary or secondary), not a missing permission."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    if remaining(response) == 0 or "retry-after" in response.headers:
        return True
    # GitHub marks a secondary limit's 403 by no header of its own, only by its message.
    return "rate limit" in message(response).lower()


def limit_of(response: httpx2.Response, now: float, strikes: int = 0) -> Limit:
    """How long a rate-limited answer asks to wait (`strikes`: limits in a row before it)."""
    after = retry_after(response, now)
    if after is not None:
        return Limit(after, f"Retry-After {after:.0f} s")
    reset = reset_at(response, now)
    if remaining(response) == 0 and reset is not None:
        when = datetime.fromtimestamp(reset, UTC)
        return Limit(
            max(reset - now, 0.0) + 1.0, f"the window resets at {when:%H:%M:%S} UTC", reset
        )
    wait = SECONDARY_LIMIT_WAIT * 2 ** min(strikes, 6)
    return Limit(wait, f"no Retry-After: {wait:.0f} s, doubled at each further limit")


def used_up(response: httpx2.Response, now: float) -> float | None:
    """After a successful answer that used the window's last request: when it resets."""
    if remaining(response) != 0:
        return None
    return reset_at(response, now)


def remaining(response: httpx2.Response) -> float | None:
    """Requests left in the rate-limit window (GitHub `X-RateLimit-*`, GitLab `RateLimit-*`)."""
    return _header_number(response, "x-ratelimit-remaining", "ratelimit-remaining")


def reset_at(response: httpx2.Response, now: float) -> float | None:
    """The rate-limit reset as epoch seconds (epoch seconds as sent, or seconds from `now`)."""
    value = _header_number(response, "x-ratelimit-reset", "ratelimit-reset")
    if value is None:
        return None
    return value if value >= _EPOCH_FROM else now + value


def retry_after(response: httpx2.Response, now: float) -> float | None:
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


class Gate:
    """When a host may be asked again; shared by every worker that talks to it.

    `close(until, why)` keeps every worker out until `until` (never shortening an earlier
    pause); `wait(now)` is how long a worker must still wait, and whether it is the first
    to wait for this pause (that one tells the user). `strikes` counts limits met while the
    gate was open, since the last success: the doubling of rule 3.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.opens_at = 0.0
        self.why = ""
        self.strikes = 0
        self._told = 0.0  # the last opening time a worker reported

    def close(self, until: float, why: str) -> None:
        with self._lock:
            if until > self.opens_at:
                self.opens_at, self.why = until, why

    def strike(self, now: float) -> int:
        """Count a limit met while open; the strikes before it (limits met while closed came
        from requests already in flight, and do not count)."""
        with self._lock:
            before = self.strikes
            if now >= self.opens_at:
                self.strikes += 1
            return before

    def succeeded(self) -> None:
        if self.strikes:
            with self._lock:
                self.strikes = 0

    def wait(self, now: float) -> tuple[float, str, bool]:
        """Seconds still to wait, why, and whether this worker is the first to wait for it."""
        with self._lock:
            seconds = self.opens_at - now
            first = seconds > 0 and self._told != self.opens_at
            if first:
                self._told = self.opens_at
            return seconds, self.why, first


def _header_number(response: httpx2.Response, *names: str) -> float | None:
    for name in names:
        value = response.headers.get(name)
        if value is not None:
            try:
                return float(value)
            except ValueError:
                return None
    return None
