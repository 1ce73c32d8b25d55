"""What every API connector does alike, against each one's fake API (tests/*_fake.py).

A rejected token stops the source with one line naming its variable; a missing one is named
before any request; the token never reaches an error, a log or the store; a rate limit is
waited out and the sync goes on; a sync interrupted at any request resumes to the store of
one clean run. What each connector does differently is tested in its own test_<tool>.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ktlo.ingest.load import KEYS
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests import github_fake, gitlab_fake, jira_fake, linear_fake, opsgenie_fake, pagerduty_fake
from tests.fake_api import JSON, Answer, FakeApi, FakeTime, snapshot


def _linear_error(status: int, message: str, **headers: str) -> Answer:
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return status, JSON | extra, {"errors": [{"message": message}]}


def _pagerduty_error(status: int, message: str, **headers: str) -> Answer:
    return pagerduty_fake.error(status, message, 2000, **headers)


@dataclass(frozen=True)
class Connector:
    """One connector as these tests drive it: its fake, its token and how its errors look."""

    name: str
    fake: Callable[[], FakeApi]
    env_var: str
    token: str
    first: str  # the path of a first sync's first request
    error: Callable[..., Answer]  # (status, message, **headers) in the vendor's error shape
    rejected: str  # the whole line a rejected token gives
    options: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None
    crash_every: int = 1  # resume after a crash at every n-th request
    echo: Callable[[str], Answer] | None = None  # an error quoting the text (default: a 400)
    detail: str | None = None  # the path of one record's detail request, if it makes any

    def sync(
        self,
        store: Store,
        fake: FakeApi,
        env: dict[str, str] | None = None,
        sleeps: list[float] | None = None,
    ) -> SourceResult:
        ctx = SourceContext(
            self.name,
            {self.env_var: self.token} if env is None else env,
            httpx2.MockTransport(fake.handle),
            **FakeTime(sleeps=sleeps).seams(),
            now=(lambda: self.now) if self.now else lambda: datetime.now(UTC),
        )
        return sync_source(store, make_source(ctx, self.options), NullReporter())


CONNECTORS = [
    Connector(
        "github", github_fake.FakeGitHub, "GITHUB_TOKEN", github_fake.TOKEN,
        "/repos/acme/shop/issues", github_fake.error,
        "github: the token in $GITHUB_TOKEN was rejected (401 Unauthorized) — set GITHUB_TOKEN to a valid, "
        "unexpired token with the repo scope (classic token), or read access to Issues, Pull requests, "
        "Actions, Deployments and Contents (fine-grained token)",
        {"repos": ["acme/shop"], "per_page": 2, "concurrency": 1}, crash_every=5,
        detail="/repos/acme/shop/issues/3/timeline",
    ),
    Connector(
        "gitlab", gitlab_fake.FakeGitLab, "GITLAB_TOKEN", gitlab_fake.TOKEN,
        "/api/v4/projects/acme/shop/issues", gitlab_fake.error,
        "gitlab: the token in $GITLAB_TOKEN was rejected (401 Unauthorized) — set GITLAB_TOKEN "
        "to a valid, unexpired token with the read_api scope (a personal, group or project access token)",
        {"projects": ["acme/shop"], "per_page": 2, "concurrency": 1,
         "include": ["issues", "pipelines"]}, crash_every=4,
        detail="/api/v4/projects/acme/shop/issues/1/notes",
    ),
    Connector(
        "jira", jira_fake.FakeJira, "JIRA_API_TOKEN", jira_fake.TOKEN,
        "/rest/api/3/search/jql", jira_fake.error,
        "jira: the token in $JIRA_API_TOKEN was rejected (401 Unauthorized) — set JIRA_API_TOKEN to a valid, "
        "unexpired token with access to browse the projects the JQL names (an API token of the account in `email`)",
        {"base_url": jira_fake.CLOUD, "email": jira_fake.EMAIL, "jql": "project = SHOP",
         "max_results": 2, "story_points_field": "customfield_10016"},
        detail="/rest/api/3/issue/10003/comment",
    ),
    Connector(
        "linear", linear_fake.FakeLinear, "LINEAR_API_KEY", linear_fake.API_KEY,
        "/graphql", _linear_error,
        "linear: the token in $LINEAR_API_KEY was rejected (401 Unauthorized) — set LINEAR_API_KEY to a "
        "valid, unexpired token with a Linear API key (Settings → Security & access) or an OAuth token "
        "with the read scope",
        {"page_size": 2},
        echo=lambda text: (200, JSON, {"errors": [{"message": text}]}),  # errors come in a 200
    ),
    Connector(
        "pagerduty", pagerduty_fake.FakePagerDuty, "PAGERDUTY_TOKEN", pagerduty_fake.TOKEN,
        "/incidents", _pagerduty_error,
        "pagerduty: the token in $PAGERDUTY_TOKEN was rejected (401 Unauthorized) — set PAGERDUTY_TOKEN "
        "to a valid, unexpired token with a REST API key (read-only is enough): a general access key "
        "or a user token",
        {"since": "2026-01-01", "window_days": 10, "limit": 2, "concurrency": 1},
        now=datetime(2026, 1, 20, tzinfo=UTC), crash_every=2,
        echo=lambda text: (400, JSON, {"message": text}),  # the message the HTTP layer quotes
        detail="/incidents/Q3PGDISK91C2D3/log_entries",
    ),
    Connector(
        "opsgenie", opsgenie_fake.FakeOpsgenie, "OPSGENIE_API_KEY", opsgenie_fake.API_KEY,
        "/v2/alerts", opsgenie_fake.error,
        "opsgenie: the token in $OPSGENIE_API_KEY was rejected (401 Unauthorized) — set OPSGENIE_API_KEY "
        "to a valid, unexpired token with an API key of an API integration with read access",
        {"limit": 2, "concurrency": 1},
        detail="/v2/incident-timelines/5a9a1b7c-b5d2-4ecb-b82c-e3b528682902/entries",
    ),
]  # fmt: skip

each = pytest.mark.parametrize("connector", CONNECTORS, ids=[c.name for c in CONNECTORS])


@each
def test_a_rejected_token_stops_the_source_with_one_line_naming_its_variable(
    store: Store, connector: Connector
) -> None:
    fake = connector.fake()
    result = connector.sync(store, fake, env={connector.env_var: "another-token"})
    assert result.errors == 1
    assert str(result.error) == connector.rejected
    assert len(fake.requests) == 1  # never retried
    assert all(not found for found in snapshot(store).values())


@each
def test_a_missing_token_is_named_and_nothing_is_requested(
    store: Store, connector: Connector
) -> None:
    fake = connector.fake()
    result = connector.sync(store, fake, env={})
    assert str(result.error).startswith(
        f"{connector.name}: the environment variable {connector.env_var} is not set"
    )
    assert fake.requests == []


@each
def test_the_token_never_reaches_errors_logs_or_the_store(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture, connector: Connector
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = connector.fake()
    message = f"token {connector.token} is malformed"
    echo = connector.echo or (lambda text: connector.error(400, text))
    fake.fail(connector.first, echo(message))
    result = connector.sync(store, fake)
    assert "token *** is malformed" in str(result.error)
    assert connector.token not in str(result.error) + caplog.text
    assert connector.sync(store, connector.fake()).errors == 0
    assert not any(connector.token in str(row) for row in snapshot(store).values())
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert connector.token.encode() not in path.read_bytes(), path


@each
def test_a_rate_limit_is_waited_out_and_the_sync_goes_on(
    store: Store, tmp_path: Path, connector: Connector
) -> None:
    fake = connector.fake()
    fake.fail(connector.first, connector.error(429, "Too many requests", Retry_After="7"))
    sleeps: list[float] = []
    result = connector.sync(store, fake, sleeps=sleeps)
    assert result.errors == 0, result.error
    assert sleeps == [7.0]
    with Store.open(tmp_path / "clean.duckdb") as clean:
        connector.sync(clean, connector.fake())
        assert snapshot(store) == snapshot(clean)


DETAILED = [c for c in CONNECTORS if c.detail]  # Linear's details come inside its list answer


@pytest.mark.parametrize("connector", DETAILED, ids=[c.name for c in DETAILED])
def test_a_detail_gone_between_the_list_and_its_request_is_read_at_the_next_sync(
    store: Store, tmp_path: Path, connector: Connector
) -> None:
    """An item deleted or moved while the sync reads it: its detail request answers 404.

    The item is stored without that detail, nothing else is lost, the source goes on, and
    the next sync asks again and ends with the store of one clean run.
    """
    assert connector.detail is not None
    fake = connector.fake()
    fake.fail(connector.detail, connector.error(404, "Not Found"))
    first = connector.sync(store, fake)
    assert first.errors == 0, first.error
    with Store.open(tmp_path / "clean.duckdb") as clean:
        connector.sync(clean, connector.fake())
        expected, expected_keys = snapshot(clean), keys(clean)
    assert keys(store) == expected_keys  # every record is there, one with less in it
    assert snapshot(store) != expected
    assert any('"missing"' in str(cursor) for *_, cursor in snapshot(store)["sync_state"])
    fake.requests.clear()
    second = connector.sync(store, fake)
    assert second.errors == 0, second.error
    assert any(r.split("?")[0].endswith(connector.detail) for r in fake.requests)
    assert snapshot(store) == expected


def keys(store: Store) -> dict[str, list[str]]:
    """The keys of every table of listed records, sorted (PagerDuty's alerts are a detail)."""
    return {
        table: sorted(r[0] for r in store.con.execute(f"SELECT {key} FROM {table}").fetchall())
        for table, key in KEYS.items()
        if table != "alerts"
    }


class Crash(BaseException):
    """Stands for the process dying: not an error ktlo handles."""


@pytest.mark.slow
@each
def test_a_sync_interrupted_at_any_request_resumes_to_the_same_store(
    tmp_path: Path, connector: Connector
) -> None:
    with Store.open(tmp_path / "clean.duckdb") as clean:
        fake = connector.fake()
        connector.sync(clean, fake)
        expected, requests = snapshot(clean), len(fake.requests)
    for crash_at in range(1, requests + 1, connector.crash_every):
        fake = connector.fake()
        fake.on_request = crashing(crash_at)
        path = tmp_path / f"crash-{crash_at}.duckdb"
        with Store.open(path) as store, pytest.raises(Crash):
            connector.sync(store, fake)
        fake.on_request = None
        with Store.open(path) as store:
            assert connector.sync(store, fake).errors == 0
            assert snapshot(store) == expected, f"crashed at request {crash_at}"


def crashing(at: int) -> Callable[[str], None]:
    """A request hook under which the `at`-th request crashes the process."""
    seen = [0]

    def count(path: str) -> None:
        seen[0] += 1
        if seen[0] == at:
            raise Crash

    return count
