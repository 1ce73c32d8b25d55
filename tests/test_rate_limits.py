"""Rate limits against the GitHub-faithful fake: one worker's limit pauses every worker.

GitHub asks clients to stop at a rate limit and may block integrations that keep sending. A
sync reads details with several workers at once, so a limit met by one of them must keep all
of them (and the sync's own next page) away until the window is over. Time is a fake clock
on which each worker keeps its own time, moved only by its own waits: a request dated
inside the window was sent by a worker that did not wait.
"""

from __future__ import annotations

import httpx2
import pytest

from ktlo.ingest.sync import sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests.fake_api import Answer, FakeTime, Throttle
from tests.github_fake import TOKEN, FakeGitHub, error, with_many_issues

START = 1_767_225_600.0  # the fake clock's start (and the fake's X-RateLimit-Reset)
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


class Told:
    """A reporter that keeps the waits it was told of and lets the throttled fake go on."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle
        self.waits: list[tuple[float, str]] = []

    def advance(self, items: int = 0, pages: int = 0) -> None:
        return None

    def waiting(self, seconds: float, reason: str) -> None:
        self.waits.append((seconds, reason))
        self.throttle.waiting(seconds, reason)

    def note(self, message: str) -> None:
        return None


@pytest.mark.parametrize(
    ("limit", "window", "why"),
    [
        (error(429, "Too many requests", Retry_After="60"), 60.0, "HTTP 429"),
        (error(429, "Too many requests"), 60.0, "HTTP 429"),  # no Retry-After, 4999 left
        (error(403, SECONDARY), 60.0, "HTTP 403"),  # secondary: known only by its message
        (error(403, SECONDARY, Retry_After="45"), 45.0, "Retry-After 45 s"),
        (
            error(403, "API rate limit exceeded for user ID 1.", X_RateLimit_Remaining="0",
                  X_RateLimit_Reset=str(int(START) + 90)),
            91.0, "the window resets at 00:01:30 UTC",
        ),
    ],
    ids=["429-retry-after", "429-bare", "secondary-403", "secondary-retry-after", "primary-403"],
)  # fmt: skip
def test_a_limit_met_by_one_worker_pauses_every_worker_of_the_host(
    store: Store, limit: Answer, window: float, why: str
) -> None:
    fake = with_many_issues(FakeGitHub(), 12)
    time = FakeTime(START, per_worker=True)
    throttle = Throttle(fake, time, "/timeline", limit, workers=4)
    told = Told(throttle)
    ctx = SourceContext(
        "github", {"GITHUB_TOKEN": TOKEN}, httpx2.MockTransport(throttle.handle), **time.seams()
    )
    source = make_source(ctx, {"repos": ["acme/shop"], "include": ["issues"], "concurrency": 4})
    result = sync_source(store, source, told)

    assert (result.new, result.errors) == (16, 0), result.error
    assert throttle.limited_at == START
    after = throttle.after_limit()
    assert len(after) == 13  # the limited request again, and the 12 timelines not yet read
    assert [(path, t) for path, t in after if t < START + window] == []
    assert len(told.waits) == 1  # told once, not once per worker
    assert told.waits[0][0] == window and why in told.waits[0][1]


def test_a_used_up_window_stops_every_worker_before_its_next_request(store: Store) -> None:
    """A success with X-RateLimit-Remaining: 0 pauses everyone until X-RateLimit-Reset (+1 s)."""
    fake = with_many_issues(FakeGitHub(), 12)
    time = FakeTime(START, per_worker=True)
    fake.extra_headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(START) + 300)}
    log: list[tuple[str, float]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        log.append((request.url.path, time.time()))
        return fake.handle(request)

    ctx = SourceContext(
        "github", {"GITHUB_TOKEN": TOKEN}, httpx2.MockTransport(handle), **time.seams()
    )
    source = make_source(ctx, {"repos": ["acme/shop"], "include": ["issues"], "concurrency": 4})
    assert sync_source(store, source, NullReporter()).errors == 0
    assert log[0] == ("/repos/acme/shop/issues", START)
    assert [t for _, t in log[1:]] == [START + 301] * 16
