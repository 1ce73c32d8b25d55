"""The shared HTTP layer: pagination styles, retries, rate limits and errors, over MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from ktlo.errors import FatalSourceError, TransientSourceError
from ktlo.sources.http import ApiClient, Credentials
from tests.fake_api import FakeTime

TOKEN = "s3cr3t-token-value"
NOW = 1_767_225_600.0  # the fake clock's start: 2026-01-01 00:00 UTC


def reply(status: int = 200, body: Any = None, **headers: str) -> httpx2.Response:
    content = (
        body if isinstance(body, bytes) else json.dumps(body if body is not None else []).encode()
    )
    return httpx2.Response(
        status, content=content, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


class Script:
    """Answers requests in order; records each request and every sleep (on a fake clock)."""

    def __init__(
        self, *answers: httpx2.Response | Exception | Callable[[httpx2.Request], httpx2.Response]
    ) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []
        self.sleeps: list[float] = []
        self.time = FakeTime(NOW, self.sleeps)
        self.waits: list[tuple[float, str]] = []

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def client(self, **kwargs: Any) -> ApiClient:
        return ApiClient(
            "github",
            "https://api.example.com/",
            Credentials.bearer("GITHUB_TOKEN", TOKEN),
            transport=httpx2.MockTransport(self.handle),
            **self.time.seams(),
            on_wait=lambda seconds, reason: self.waits.append((seconds, reason)),
            **kwargs,
        )


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Full jitter draws uniformly from [0, window]; pin it to the window's top."""
    monkeypatch.setattr("random.uniform", lambda low, high: high)
    yield


def test_link_pagination_follows_next_until_the_last_page() -> None:
    next_link = '<https://api.example.com/items?page=2&per_page=2>; rel="next"'
    script = Script(reply(body=[1, 2], link=next_link), reply(body=[3]))
    with script.client() as api:
        pages = list(api.pages_by_link("items", {"per_page": 2}))
    assert [p.items for p in pages] == [[1, 2], [3]]
    assert [p.number for p in pages] == [1, 2]
    assert str(script.requests[1].url) == "https://api.example.com/items?page=2&per_page=2"
    assert script.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_link_pagination_reads_items_under_a_key_and_an_empty_page() -> None:
    script = Script(reply(body={"total_count": 0, "workflow_runs": []}))
    with script.client() as api:
        pages = list(api.pages_by_link("runs", items_key="workflow_runs"))
    assert [p.items for p in pages] == [[]]


def test_cursor_pagination_passes_the_next_cursor() -> None:
    script = Script(
        reply(body={"values": [1], "nextPageToken": "abc"}),
        reply(body={"values": [2], "nextPageToken": None}),
    )
    with script.client() as api:
        pages = list(
            api.pages_by_cursor(
                "search", {"q": "x"}, items_key="values",
                next_cursor=lambda body: body.get("nextPageToken"), cursor_param="nextPageToken",
            )
        )  # fmt: skip
    assert [p.items for p in pages] == [[1], [2]]
    assert script.requests[1].url.params["nextPageToken"] == "abc"
    assert script.requests[1].url.params["q"] == "x"


def test_offset_pagination_stops_on_a_short_page_or_when_told() -> None:
    script = Script(reply(body={"incidents": [1, 2]}), reply(body={"incidents": [3]}))
    with script.client() as api:
        pages = list(api.pages_by_offset("incidents", items_key="incidents", limit=2))
    assert [p.items for p in pages] == [[1, 2], [3]]
    assert [r.url.params["offset"] for r in script.requests] == ["0", "2"]

    script = Script(
        reply(body={"data": [1], "more": True}), reply(body={"data": [2], "more": False})
    )
    with script.client() as api:
        pages = list(
            api.pages_by_offset("alerts", items_key="data", limit=1, has_more=lambda b: b["more"])
        )
    assert [p.items for p in pages] == [[1], [2]]


def test_graphql_relay_pagination_follows_end_cursor() -> None:
    def page(nodes: list[int], more: bool, cursor: str | None) -> httpx2.Response:
        conn = {"nodes": nodes, "pageInfo": {"hasNextPage": more, "endCursor": cursor}}
        return reply(body={"data": {"repository": {"issues": conn}}})

    script = Script(page([1, 2], True, "Y3Vyc29yOjI="), page([3], False, None))
    with script.client() as api:
        pages = list(
            api.pages_by_relay(
                "query($after: String) {...}", {"first": 2}, connection=("repository", "issues")
            )
        )
    assert [p.items for p in pages] == [[1, 2], [3]]
    sent = [json.loads(r.content) for r in script.requests]
    assert sent[0]["variables"] == {"first": 2}
    assert sent[1]["variables"] == {"first": 2, "after": "Y3Vyc29yOjI="}
    assert all(r.method == "POST" for r in script.requests)


def test_graphql_errors_are_fatal_and_name_the_source() -> None:
    script = Script(reply(body={"errors": [{"message": "Field 'nope' doesn't exist"}]}))
    with (
        script.client() as api,
        pytest.raises(FatalSourceError, match="github: the GraphQL API answered: Field 'nope'"),
    ):
        api.graphql("{ nope }")


def test_500_then_success_is_retried_with_backoff(no_jitter: None) -> None:
    script = Script(reply(500, {"message": "boom"}), reply(502), reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]
    assert script.sleeps == [0.5, 1.0]  # exponential: 0.5 * 2**n, jitter pinned to its top
    assert len(script.waits) == 2 and "server error 500" in script.waits[0][1]
    assert api.stats.retries == 2


def test_429_honours_retry_after_exactly() -> None:
    script = Script(reply(429, {"message": "slow down"}, retry_after="7"), reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]
    assert script.sleeps == [7.0]
    assert script.waits[0][0] == 7.0 and "rate limit" in script.waits[0][1]


def test_primary_rate_limit_403_waits_until_the_reset() -> None:
    limited = reply(
        403, {"message": "API rate limit exceeded for user ID 1."},
        x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 120),
    )  # fmt: skip
    script = Script(limited, reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]
    assert script.sleeps == [121.0]
    assert "resets at" in script.waits[0][1]


def test_secondary_rate_limit_without_headers_waits_a_minute() -> None:
    secondary = reply(403, {"message": "You have exceeded a secondary rate limit."})
    script = Script(secondary, reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]
    assert script.sleeps == [60.0]


def test_a_bare_429_waits_a_minute_then_doubles_never_a_backoff_of_seconds() -> None:
    """GitHub: without Retry-After and with requests left, wait at least a minute, then longer."""
    bare = reply(
        429, {"message": "Too many requests"},
        x_ratelimit_remaining="4000", x_ratelimit_reset=str(int(NOW) + 1800),
    )  # fmt: skip
    script = Script(bare, bare, reply(body=[1]), bare, reply(body=[2]))
    with script.client() as api:
        assert api.get_json("items") == [1]
        assert api.get_json("items") == [2]  # a success in between starts again at a minute
    assert script.sleeps == [60.0, 120.0, 60.0]
    assert "no Retry-After: 60 s" in script.waits[0][1]


def test_a_reset_given_as_seconds_from_now_is_read_as_such() -> None:
    """PagerDuty and the IETF `RateLimit-Reset` send seconds to wait, not an epoch."""
    limited = reply(429, {}, ratelimit_remaining="0", ratelimit_reset="30")
    script = Script(limited, reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]
    assert script.sleeps == [31.0]


def test_an_absurd_retry_after_stops_the_source_saying_when_to_come_back() -> None:
    script = Script(reply(429, {}, retry_after="86400"))
    with script.client() as api, pytest.raises(TransientSourceError) as raised:
        api.get_json("items")
    assert str(raised.value).startswith(
        "github: api.example.com asks to wait 24 hours for its rate limit"
    )
    assert "run `ktlo sync` again after 2026-01-02 00:00 UTC" in str(raised.value)
    assert script.sleeps == []


def test_a_rate_limit_resetting_too_late_stops_the_source_at_once() -> None:
    limited = reply(403, {}, x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 7200))
    script = Script(limited)
    with script.client() as api, pytest.raises(TransientSourceError) as raised:
        api.get_json("items")
    assert str(raised.value) == (
        "github: api.example.com asks to wait 2 hours for its rate limit (the token in "
        "$GITHUB_TOKEN), longer than ktlo waits (1 hour) — run `ktlo sync` again after "
        "2026-01-01 02:00 UTC; what is stored so far is kept and the next run resumes"
    )
    assert script.sleeps == []


def test_a_used_up_window_pauses_before_the_next_request() -> None:
    last = reply(body=[1], x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 30))
    script = Script(last, reply(body=[2]))
    with script.client() as api:
        assert api.get_json("a") == [1]
        assert api.get_json("b") == [2]
    assert script.sleeps == [31.0]
    assert script.waits == [(31.0, "rate limit used up, waiting for the reset")]


def test_timeout_then_success_and_timeouts_exhausted(no_jitter: None) -> None:
    timeout = httpx2.ReadTimeout("timed out")
    script = Script(timeout, reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]
    script = Script(*[httpx2.ConnectTimeout("timed out") for _ in range(3)])
    with script.client(attempts=3) as api, pytest.raises(TransientSourceError) as raised:
        api.get_json("items")
    assert str(raised.value).startswith("github: timed out talking to api.example.com, 3 attempts")
    assert len(script.sleeps) == 2


def test_connection_errors_are_retried() -> None:
    script = Script(httpx2.ConnectError("refused"), reply(body=[1]))
    with script.client() as api:
        assert api.get_json("items") == [1]


def test_401_is_fatal_and_names_the_variable() -> None:
    script = Script(reply(401, {"message": "Bad credentials"}))
    with script.client(need="the repo scope") as api, pytest.raises(FatalSourceError) as raised:
        api.get_json("items")
    message = str(raised.value)
    assert message == (
        "github: the token in $GITHUB_TOKEN was rejected (401 Unauthorized) — "
        "set GITHUB_TOKEN to a valid, unexpired token with the repo scope"
    )
    assert len(script.requests) == 1  # never retried


def test_403_names_the_missing_scope() -> None:
    forbidden = reply(
        403, {"message": "Resource not accessible by personal access token"},
        x_accepted_oauth_scopes="repo", x_oauth_scopes="read:user, gist",
    )  # fmt: skip
    script = Script(forbidden)
    with script.client() as api, pytest.raises(FatalSourceError) as raised:
        api.get_json("repos/acme/shop/issues")
    assert "the token in $GITHUB_TOKEN lacks the scope repo" in str(raised.value)
    assert "https://api.example.com/repos/acme/shop/issues" in str(raised.value)

    fine_grained = reply(
        403, {"message": "Forbidden"}, x_accepted_github_permissions="actions=read"
    )
    script = Script(fine_grained)
    with (
        script.client() as api,
        pytest.raises(FatalSourceError, match="lacks the permission actions=read"),
    ):
        api.get_json("repos/acme/shop/actions/runs")


def test_404_is_fatal_and_says_what_to_check() -> None:
    script = Script(reply(404, {"message": "Not Found"}))
    with script.client() as api, pytest.raises(FatalSourceError) as raised:
        api.get_json("repos/acme/nope/issues", {"page": 2})
    assert "github: https://api.example.com/repos/acme/nope/issues was not found (404)" in str(
        raised.value
    )
    assert "check the name in ktlo.toml" in str(raised.value)


def test_a_malformed_json_body_is_fatal() -> None:
    script = Script(reply(200, b"<html>Sign in</html>", content_type="text/html"))
    with script.client() as api, pytest.raises(FatalSourceError) as raised:
        api.get_json("items")
    assert "not JSON (text/html)" in str(raised.value) and "base_url" in str(raised.value)


def test_the_token_goes_only_to_the_api_host_and_never_into_messages() -> None:
    moved = httpx2.Response(301, headers={"location": "https://elsewhere.example.net/items"})
    script = Script(moved, reply(404, {"message": f"echo {TOKEN}"}))
    with script.client() as api, pytest.raises(FatalSourceError) as raised:
        api.get_json("items")
    assert "authorization" not in script.requests[1].headers
    assert TOKEN not in str(raised.value)
    assert TOKEN not in repr(api.credentials)

    script = Script(reply(422, {"message": f"bad token {TOKEN}"}))
    with script.client() as api, pytest.raises(FatalSourceError) as raised:
        api.get_json("items")
    assert TOKEN not in str(raised.value) and "***" in str(raised.value)


def test_other_auth_styles() -> None:
    assert Credentials.basic("JIRA_TOKEN", "me@example.com", "t").headers() == {
        "Authorization": "Basic bWVAZXhhbXBsZS5jb206dA=="
    }
    assert Credentials.in_header("GITLAB_TOKEN", "t", "PRIVATE-TOKEN").headers() == {
        "PRIVATE-TOKEN": "t"
    }
    assert Credentials.in_header("PD", "t", "Authorization", "Token token={token}").headers() == {
        "Authorization": "Token token=t"
    }


def test_map_keeps_order_with_bounded_concurrency() -> None:
    script = Script(*[lambda r: reply(body=[r.url.params["n"]]) for _ in range(8)])
    with script.client(concurrency=3) as api:
        results = api.map(lambda n: api.get_json("x", {"n": n}), range(8))
    assert results == [[str(n)] for n in range(8)]
