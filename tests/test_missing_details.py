"""A detail gone between the list and its request (GitHub, against its faithful fake).

An issue deleted or transferred after the list named it answers 404 on its timeline; a pull
request's reviews, a run's jobs, a deployment's statuses alike. The record is stored without
that detail, the rest of its page and of the source goes on, the user is told, and the next
sync asks again. (Each connector's case is in test_connectors.py.)
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx2
import pytest

from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.sources import make_source
from ktlo.sources.base import SourceContext
from ktlo.store import Store
from tests.fake_api import FakeTime, snapshot
from tests.github_fake import TOKEN, FakeGitHub, error

SHOP = "github.com/acme/shop"
ISSUE_3 = f"github:issue:{SHOP}:3"
TIMELINE_3 = "/repos/acme/shop/issues/3/timeline"


class Notes:
    """A reporter that keeps what the sync tells the user."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def advance(self, items: int = 0, pages: int = 0) -> None:
        return None

    def waiting(self, seconds: float, reason: str) -> None:
        return None

    def note(self, message: str) -> None:
        self.notes.append(message)


def sync(
    store: Store, fake: FakeGitHub, notes: Notes | None = None, **options: Any
) -> SourceResult:
    ctx = SourceContext(
        "github", {"GITHUB_TOKEN": TOKEN}, httpx2.MockTransport(fake.handle), **FakeTime().seams()
    )
    source = make_source(ctx, {"repos": ["acme/shop"], "per_page": 2, **options})
    return sync_source(store, source, notes or Notes())


def cursor(store: Store, section: str) -> dict[str, Any]:
    row = store.con.execute(
        "SELECT cursor FROM sync_state WHERE scope = ?", [f"{SHOP}:{section}"]
    ).fetchone()
    return dict(json.loads(row[0])) if row else {}


def changes(store: Store, item: str) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT occurred_at, field, from_value, to_value FROM state_changes WHERE item_id = ? "
        "ORDER BY occurred_at, field", [item],
    ).fetchall()  # fmt: skip


def test_an_issue_whose_timeline_is_gone_is_stored_from_its_own_dates_then_completed(
    store: Store,
) -> None:
    fake = FakeGitHub()
    fake.fail(TIMELINE_3, error(404, "Not Found"))
    told = Notes()
    first = sync(store, fake, told, include=["issues"])
    assert (first.new, first.errors) == (4, 0), first.error  # issue 3's page-mate 1 too
    assert changes(store, ISSUE_3) == [
        (datetime(2026, 1, 7, 2, 10), "status", None, "open"),
        (datetime(2026, 1, 7, 4, 40), "status", "open", "closed"),
    ]
    assert cursor(store, "issues") == {"since": "2026-01-09T11:00:00Z", "missing": {ISSUE_3: 1}}
    assert told.notes == [
        f"{SHOP}:issues: 1 record stored without a detail that answered 404 (deleted or "
        "moved while the sync read it); asked for again at the next sync"
    ]

    fake.requests.clear()
    told = Notes()
    second = sync(store, fake, told, include=["issues"])
    assert (second.new, second.errors) == (0, 0)
    assert [r for r in fake.requests if "/timeline" in r] == [f"{TIMELINE_3}?per_page=100"]
    assert len(changes(store, ISSUE_3)) == 8  # the whole timeline: labels, assignee, reopened
    assert cursor(store, "issues") == {"since": "2026-01-09T11:00:00Z"}
    assert told.notes == []


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/repos/acme/shop/pulls/7/reviews", "pull_requests"),
        ("/repos/acme/shop/actions/runs/30433642/jobs", "actions"),
        ("/repos/acme/shop/deployments/701/statuses", "deployments"),
    ],
)
def test_every_kind_of_detail_gone_is_completed_at_the_next_sync(
    store: Store, tmp_path: Any, path: str, section: str
) -> None:
    fake = FakeGitHub()
    fake.fail(path, error(404, "Not Found"))
    assert sync(store, fake, include=[section]).errors == 0
    assert "missing" in cursor(store, section)
    assert sync(store, fake, include=[section]).errors == 0
    with Store.open(tmp_path / "clean.duckdb") as clean:
        sync(clean, FakeGitHub(), include=[section])
        assert snapshot(store) == snapshot(clean)


def test_a_detail_gone_for_good_is_asked_for_at_three_more_syncs_then_left(store: Store) -> None:
    fake = FakeGitHub()
    fake.issues = [i for i in fake.issues if i["number"] != 3]  # deleted: no longer listed
    fake.fail(TIMELINE_3, *[error(404, "Not Found")] * 6)
    listed = FakeGitHub()
    listed.fail(TIMELINE_3, error(404, "Not Found"))
    assert sync(store, listed, include=["issues"]).errors == 0
    asked: list[int] = []
    notes: list[list[str]] = []
    for _ in range(4):
        fake.requests.clear()
        told = Notes()
        assert sync(store, fake, told, include=["issues"]).errors == 0
        asked.append(sum(r.startswith(TIMELINE_3) for r in fake.requests))
        notes.append(told.notes)
    assert asked == [1, 1, 1, 0]
    assert [len(n) for n in notes] == [1, 1, 1, 0]
    assert notes[2] == [
        f"{SHOP}:issues: 1 record still without a detail after 3 more syncs; kept as stored, "
        "no longer asked for"
    ]
    assert "missing" not in cursor(store, "issues")
    assert changes(store, ISSUE_3)[-1][1:] == ("status", "open", "closed")  # kept as stored


def test_a_sync_stopped_after_storing_a_page_without_a_detail_completes_it_next_time(
    store: Store, tmp_path: Any
) -> None:
    fake = FakeGitHub()
    fake.fail(TIMELINE_3, error(404, "Not Found"))
    fake.fail(
        "/repos/acme/shop/issues/4/timeline", error(403, "Must have admin rights to Repository.")
    )  # the last page stops the source before the window is closed
    stopped = sync(store, fake, include=["issues"])
    assert "403 Forbidden" in str(stopped.error)
    assert cursor(store, "issues") == {"missing": {ISSUE_3: 1}}  # stored with issue 3's page
    assert sync(store, fake, include=["issues"]).errors == 0
    with Store.open(tmp_path / "clean.duckdb") as clean:
        sync(clean, FakeGitHub(), include=["issues"])
        assert snapshot(store) == snapshot(clean)


def test_a_list_that_answers_404_still_stops_the_source(store: Store) -> None:
    fake = FakeGitHub()
    fake.fail("/repos/acme/shop/issues", error(404, "Not Found"))
    result = sync(store, fake, include=["issues"])
    assert "github: https://api.github.com/repos/acme/shop/issues was not found (404)" in str(
        result.error
    )
