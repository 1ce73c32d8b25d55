"""The Jira source against a fake Jira (tests/jira_fake.py), Cloud and Data Center."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from ktlo.cli import main
from ktlo.errors import ConfigError
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests.fake_api import FakeTime, snapshot
from tests.jira_fake import (
    CLOUD,
    DATA_CENTER,
    EMAIL,
    FIXTURES,
    PAT,
    TOKEN,
    FakeJira,
    error,
)

SITE = "acme.atlassian.net"
SEARCH = "/rest/api/3/search/jql"
CLOUD_OPTIONS = {
    "base_url": CLOUD,
    "email": EMAIL,
    "jql": "project = SHOP",
    "max_results": 2,
    "story_points_field": "customfield_10016",
}
DC_OPTIONS = {
    "base_url": DATA_CENTER,
    "jql": "project = OPS",
    "max_results": 2,
    "sprint_field": "customfield_10104",
    "story_points_field": "customfield_10106",
    "epic_link_field": "customfield_10101",
}


def sync(
    store: Store,
    fake: FakeJira,
    sleeps: list[float] | None = None,
    env: dict[str, str] | None = None,
    **options: Any,
) -> SourceResult:
    defaults = CLOUD_OPTIONS if fake.cloud else DC_OPTIONS
    token = TOKEN if fake.cloud else PAT
    ctx = SourceContext(
        "jira",
        {"JIRA_API_TOKEN": token} if env is None else env,
        httpx2.MockTransport(fake.handle),
        **FakeTime(sleeps=sleeps).seams(),
    )
    return sync_source(store, make_source(ctx, {**defaults, **options}), NullReporter())


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def key(issue_id: int) -> str:
    return f"jira:issue:{SITE}:{issue_id}"


def test_first_cloud_sync_stores_issues_and_sprints(store: Store) -> None:
    result = sync(store, FakeJira())
    assert (result.new, result.updated, result.unchanged, result.errors) == (7, 0, 0, 0)
    assert rows(store, "SELECT item_id, external_id, kind, state, author_name, is_bot, standard_type, issue_type, labels, components, parent_key, estimate, sprint, assignees FROM work_items ORDER BY item_id") == [
        (key(10001), "SHOP-1", "epic", "In Progress", "Alice Martin", False, "requirement", "Epic", [], [], None, None, None, []),
        (key(10002), "SHOP-2", "issue", "In Progress", "Carol Diaz", False, "requirement", "Story", [], [], "SHOP-1", 5.0, f"jira:sprint:{SITE}:38", ["Bob Chen"]),
        (key(10003), "SHOP-3", "issue", "Done", "Alice Martin", False, "bug", "Bug", ["regression"], ["Payments"], None, None, f"jira:sprint:{SITE}:37", ["Bob Chen"]),
        (key(10004), "SHOP-4", "issue", "To Do", "Automation for Jira", True, "task", "Task", ["incident", "on-call"], [], None, None, None, []),
        (key(10005), "SHOP-5", "issue", "Done", "Bob Chen", False, "task", "Sub-task", [], [], "SHOP-2", None, f"jira:sprint:{SITE}:37", ["Carol Diaz"]),
    ]  # fmt: skip
    assert rows(store, f"SELECT project, author_email, created_at, closed_at, url FROM work_items WHERE item_id = '{key(10003)}'") == [
        ("SHOP", "alice@example.com", datetime(2026, 1, 7, 8, 45), datetime(2026, 1, 8, 16, 30), "https://acme.atlassian.net/browse/SHOP-3")
    ]  # fmt: skip
    assert rows(store, "SELECT sprint_id, source, name, team, state, starts_at, ends_at FROM sprints ORDER BY sprint_id") == [
        (f"jira:sprint:{SITE}:37", "jira", "SHOP Sprint 1", "SHOP", "closed", datetime(2026, 1, 5, 8, 0), datetime(2026, 1, 16, 15, 30)),
        (f"jira:sprint:{SITE}:38", "jira", "SHOP Sprint 2 🚀", "SHOP", "active", datetime(2026, 1, 19, 8, 0), datetime(2026, 1, 30, 16, 0)),
    ]  # fmt: skip


def test_jira_issue_types_and_labels_are_strong_signals(store: Store) -> None:
    sync(store, FakeJira())
    assert rows(store, "SELECT item_id, investment, subcategory, reasons, confidence >= 0.85 FROM verdicts WHERE item_id IN ('" + key(10002) + "', '" + key(10003) + "', '" + key(10004) + "') ORDER BY item_id") == [
        (key(10002), "new_work", "feature", ['issue_type: "Story" → feature'], True),
        (key(10003), "ktlo", "bug", ['issue_type: "Bug" → bug'], True),
        (key(10004), "ktlo", "incident", ['label: "incident" → incident'], True),
    ]  # fmt: skip


def test_the_changelog_becomes_state_changes_and_activities(store: Store) -> None:
    fake = FakeJira()
    sync(store, fake)
    # SHOP-3's search answer held 2 of 5 histories and 1 of 2 comments: the rest was read.
    assert "/rest/api/3/issue/10003/changelog?startAt=0&maxResults=100" in fake.requests
    assert "/rest/api/3/issue/10003/comment?startAt=0&maxResults=100" in fake.requests
    assert rows(store, f"SELECT occurred_at, field, from_value, to_value, changed_by FROM state_changes WHERE item_id = '{key(10003)}' ORDER BY occurred_at, field") == [
        (datetime(2026, 1, 7, 8, 45), "status", None, "To Do", "Alice Martin"),
        (datetime(2026, 1, 7, 8, 50), "label", None, "regression", "Alice Martin"),
        (datetime(2026, 1, 7, 8, 52), "component", None, "Payments", "Alice Martin"),
        (datetime(2026, 1, 7, 8, 55), "assignee", None, "Bob Chen", "Alice Martin"),
        (datetime(2026, 1, 7, 9, 0), "status", "To Do", "In Progress", "Bob Chen"),
        (datetime(2026, 1, 8, 16, 30), "resolution", None, "Done", "Bob Chen"),
        (datetime(2026, 1, 8, 16, 30), "status", "In Progress", "Done", "Bob Chen"),
    ]  # fmt: skip
    assert rows(store, f"SELECT person, kind, occurred_at, detail FROM activities WHERE item_id = '{key(10003)}' ORDER BY occurred_at, kind") == [
        ("Alice Martin", "opened", datetime(2026, 1, 7, 8, 45), None),
        ("Bob Chen", "assigned", datetime(2026, 1, 7, 8, 55), None),
        ("Bob Chen", "transitioned", datetime(2026, 1, 7, 9, 0), "In Progress"),
        ("Bob Chen", "commented", datetime(2026, 1, 7, 9, 30), None),
        ("Bob Chen", "closed", datetime(2026, 1, 8, 16, 30), "Done"),
        ("Bob Chen", "transitioned", datetime(2026, 1, 8, 16, 30), "Done"),
        ("Alice Martin", "commented", datetime(2026, 1, 8, 16, 40), None),
    ]  # fmt: skip
    assert rows(store, f"SELECT to_ref, kind FROM links WHERE from_id = '{key(10003)}'") == [
        ("SHOP-2", "blocks")
    ]


def test_sprint_changes_name_sprints_so_planning_can_tell_planned_from_added(store: Store) -> None:
    sync(store, FakeJira())
    assert rows(store, f"SELECT occurred_at, field, from_value, to_value, changed_by FROM state_changes WHERE item_id = '{key(10002)}' AND field IN ('sprint', 'estimate') ORDER BY occurred_at, field") == [
        (datetime(2026, 1, 5, 8, 31), "estimate", None, "5", "Carol Diaz"),
        (datetime(2026, 1, 5, 8, 31), "sprint", None, f"jira:sprint:{SITE}:37", "Carol Diaz"),
        (datetime(2026, 1, 19, 8, 5), "sprint", f"jira:sprint:{SITE}:37", f"jira:sprint:{SITE}:38", "Carol Diaz"),
    ]  # fmt: skip
    # The sprint report joins work_items.sprint and these changes to the sprints table.
    assert rows(store, "SELECT s.name, count(*) FROM sprints s JOIN work_items w ON w.sprint = s.sprint_id GROUP BY 1 ORDER BY 1") == [
        ("SHOP Sprint 1", 2), ("SHOP Sprint 2 🚀", 1),
    ]  # fmt: skip


def test_descriptions_are_plain_text_and_the_json_is_kept_whole(store: Store) -> None:
    sync(store, FakeJira())
    assert rows(store, "SELECT title, body FROM work_items WHERE external_id IN ('SHOP-2', 'SHOP-4') ORDER BY external_id") == [
        ("Pay with saved cards 💳", "As a returning customer I pay with a saved card.\ntokenise cards\nsee SHOP-3 first"),
        ("🔥 Payments API 502s — 日本語テスト", "Alert @Bob Chen p99 > 2s🔥\nRunbook: https://runbooks.example.com/payments"),
    ]  # fmt: skip
    raw = json.loads(
        rows(store, f"SELECT raw FROM work_items WHERE item_id = '{key(10004)}'")[0][0]
    )
    assert (
        raw["key"] == "SHOP-4" and raw["fields"]["summary"] == "🔥 Payments API 502s — 日本語テスト"
    )
    assert raw["changelog"] == {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}


def test_cloud_search_pages_by_next_page_token(store: Store) -> None:
    fake = FakeJira()
    sync(store, fake)
    searches = [r for r in fake.requests if r.startswith(SEARCH)]
    assert len(searches) == 3
    assert "nextPageToken" not in searches[0] and "nextPageToken=Mg%3D%3D" in searches[1]
    assert (
        "expand=changelog" in searches[0] and "customfield_10020%2Ccustomfield_10016" in searches[0]
    )
    assert fake.jql[0] == "(project = SHOP) ORDER BY updated DESC"
    assert not any(r.startswith("/rest/api/3/search?") for r in fake.requests)  # 410 Gone on Cloud
    assert fake.headers_seen[0]["authorization"].startswith("Basic ")


def test_second_run_asks_from_the_cursor_in_the_accounts_time_zone(store: Store) -> None:
    fake = FakeJira()
    sync(store, fake)
    assert rows(store, "SELECT cursor FROM sync_state") == [('{"since": "2026-01-19T08:05:00Z"}',)]
    shop4 = fake.issue("SHOP-4")
    shop4["fields"].update(
        summary="🔥 Payments API 502s (resolved)", updated="2026-01-20T10:00:00.000+0000"
    )
    fake.requests.clear()

    result = sync(store, fake)
    assert (result.new, result.updated, result.unchanged, result.errors) == (0, 1, 1, 0)
    # 08:05 UTC is 09:05 in Berlin, the account's zone; JQL reads minutes.
    assert (
        fake.jql[-1] == '(project = SHOP) AND updated >= "2026-01-19 09:05" ORDER BY updated DESC'
    )
    assert fake.requests[0] == "/rest/api/3/myself"
    assert rows(store, "SELECT cursor FROM sync_state") == [('{"since": "2026-01-20T10:00:00Z"}',)]
    assert sync(store, fake).updated == 0


def test_a_cursor_in_an_hour_the_clocks_repeat_is_read_from_the_earlier_hour(store: Store) -> None:
    fake = FakeJira()
    # Berlin, 2026-10-25: 02:00-03:00 happens twice; 00:30 UTC is the first 02:30.
    fake.issue("SHOP-4")["fields"]["updated"] = "2026-10-25T00:30:00.000+0000"
    sync(store, fake)
    result = sync(store, fake)
    assert (
        fake.jql[-1] == '(project = SHOP) AND updated >= "2026-10-25 01:30" ORDER BY updated DESC'
    )
    assert (result.unchanged, result.updated) == (1, 0)


def test_data_center_pages_by_start_at_with_a_personal_access_token(store: Store) -> None:
    fake = FakeJira(cloud=False)
    result = sync(store, fake)
    assert (result.new, result.errors) == (4, 0)
    assert fake.headers_seen[0]["authorization"] == f"Bearer {PAT}"
    searches = [r for r in fake.requests if r.startswith("/jira/rest/api/2/search?")]
    assert [re.search(r"startAt=\d+", r)[0] for r in searches] == ["startAt=0", "startAt=2"]  # type: ignore[index]
    site = "jira.example.com/jira"
    assert rows(store, "SELECT item_id, kind, standard_type, parent_key, estimate, sprint, body FROM work_items WHERE external_id = 'OPS-7'") == [
        (f"jira:issue:{site}:20007", "issue", "bug", "OPS-1", 3.0, f"jira:sprint:{site}:12", "h3. Steps\n* run the export\n* see OPS-1"),
    ]  # fmt: skip
    assert rows(store, "SELECT sprint_id, name, state, starts_at, ends_at FROM sprints") == [
        (f"jira:sprint:{site}:12", "OPS Sprint 12, the big one", "active", datetime(2026, 1, 12, 8, 0), datetime(2026, 1, 23, 16, 0)),
    ]  # fmt: skip
    assert rows(store, "SELECT title FROM work_items WHERE external_id = 'OPS-7'") == [
        ("Nightly export job crashes on Ünïcödé names ✅",)
    ]
    sync(store, fake)
    assert fake.jql[-1] == '(project = OPS) AND updated >= "2026-01-13 09:30" ORDER BY updated DESC'


def test_an_empty_search_syncs_to_nothing(store: Store) -> None:
    fake = FakeJira()
    fake.issues = []
    result = sync(store, fake)
    assert (result.new, result.errors) == (0, 0)
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]


def test_retries_inside_pagination_lose_nothing(store: Store) -> None:
    fake = FakeJira()
    fake.fail(SEARCH, error(500, "Internal server error"), httpx2.ConnectTimeout("timed out"))
    fake.fail(
        "/rest/api/3/issue/10003/changelog",
        error(429, "Rate limit exceeded.", Retry_After="11", X_RateLimit_Reset="2026-01-09T12:00Z"),
    )
    sleeps: list[float] = []
    result = sync(store, fake, sleeps)
    assert result.errors == 0, result.error
    assert 11.0 in sleeps and len(sleeps) == 3
    with Store.open(store.path.parent / "clean.duckdb") as clean:
        sync(clean, FakeJira())
        assert snapshot(store) == snapshot(clean)


def test_403_and_404_stop_the_source_with_one_line(store: Store) -> None:
    fake = FakeJira()
    fake.fail(SEARCH, error(403, "You do not have permission to browse issues in this project."))
    assert (
        "403 Forbidden for https://acme.atlassian.net/rest/api/3/search/jql: the token in $JIRA_API_TOKEN"
        in str(sync(store, fake).error)
    )
    fake = FakeJira()
    fake.fail(SEARCH, error(404, "Not Found"))
    assert str(sync(store, fake).error).startswith(
        "jira: https://acme.atlassian.net/rest/api/3/search/jql was not found (404)"
    )  # (a 404 on one issue's comments does not stop it: test_connectors.py)


def test_a_bad_jql_shows_what_jira_says(store: Store) -> None:
    result = sync(store, FakeJira(), jql="projct = SHOP")
    assert str(result.error).startswith(
        "jira: HTTP 400 for https://acme.atlassian.net/rest/api/3/search/jql: Error in the JQL Query"
    )


def test_a_malformed_page_stops_the_source_and_stores_no_cursor(store: Store) -> None:
    fake = FakeJira()
    fake.fail(SEARCH, (200, {"Content-Type": "application/json"}, b'{"issues": [{"id": "1'))
    result = sync(store, fake)
    assert "answered with a body that is not JSON" in str(result.error)
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]


def test_cloud_needs_an_email_and_every_source_a_base_url_and_jql(store: Store) -> None:
    fake = FakeJira()
    result = sync(store, fake, email=None)
    assert str(result.error).startswith(
        "jira: Jira Cloud needs the email of the account the API token belongs to"
    )
    assert str(sync(store, fake, base_url=None).error).startswith("jira: no base_url")
    assert str(sync(store, fake, jql="").error).startswith("jira: no jql")
    assert fake.requests == []


def test_options_are_validated_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[sources.jira]\nbase_url = "https://acme.atlassian.net"\njql = "project = SHOP ORDER BY created"\n'
    )
    with pytest.raises(ConfigError) as raised:
        make_source(
            SourceContext("jira", {}, config_path=config),
            {"base_url": CLOUD, "jql": "project = SHOP ORDER BY created"},
        )
    assert str(raised.value).startswith(
        f"{config} line 3, sources.jira.jql: leave ORDER BY out of jql: ktlo orders by updated itself"
    )
    assert make_source(SourceContext("jira", {}), {"jql": 'summary ~ "order by"'})
    with pytest.raises(ConfigError, match="sources.jira.story_points_field: String should match"):
        make_source(SourceContext("jira", {}), {"story_points_field": "Story Points"})
    with pytest.raises(ConfigError, match="sources.jira.edition: Input should be"):
        make_source(SourceContext("jira", {}), {"edition": "server"})


def test_saved_search_answers_load_without_a_token(store: Store, tmp_path: Path) -> None:
    fake = FakeJira()
    pages = []
    auth = httpx2.BasicAuth(EMAIL, TOKEN)
    params: dict[str, Any] = {"jql": "(project = SHOP) ORDER BY updated DESC", "maxResults": 2,
                              "fields": "*all", "expand": "changelog"}  # fmt: skip
    while True:
        with httpx2.Client(transport=httpx2.MockTransport(fake.handle)) as client:
            body = client.get(f"{CLOUD}{SEARCH}", params=params, auth=auth).json()
        pages.append(body)
        if body.get("isLast"):
            break
        params["nextPageToken"] = body["nextPageToken"]
    saved = tmp_path / "search.json"  # pages back to back, as a paging script saves them
    saved.write_text("".join(json.dumps(p) for p in pages))
    source = make_source(SourceContext("jira", {}), {"story_points_field": "customfield_10016"})
    result = sync_source(store, source, NullReporter(), saved)
    assert (result.new, result.errors) == (7, 0)
    assert rows(store, "SELECT count(*), count(sprint), sum(estimate) FROM work_items") == [
        (5, 3, 5.0)
    ]

    dc = tmp_path / "dc.json"
    dc.write_text((FIXTURES / "dc-issues.json").read_text())
    dc_source = make_source(
        SourceContext("ops", {}), {"type": "jira", **DC_OPTIONS, "base_url": None}
    )
    assert sync_source(store, dc_source, NullReporter(), dc).new == 4


def test_a_saved_file_that_is_not_jira_names_file_and_line(store: Store, tmp_path: Path) -> None:
    saved = tmp_path / "saved.json"
    saved.write_text('{"issues": [\n  {"key": "SHOP-1"}\n]}')
    result = sync_source(store, make_source(SourceContext("jira", {}), {}), NullReporter(), saved)
    assert str(result.error).startswith(f"{saved} line 1: not a Jira issue")


def test_ktlo_sync_from_a_saved_jira_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JIRA_API_TOKEN", raising=False)
    result = CliRunner().invoke(
        main, ["sync", "--from-file", str(FIXTURES / "cloud-issues.json"), "--source", "jira"]
    )
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "ktlo.duckdb", read_only=True) as store:
        assert rows(store, "SELECT count(*) FROM work_items") == [(5,)]
        assert rows(store, "SELECT v.investment, v.subcategory FROM verdicts v JOIN work_items w USING (item_id) WHERE w.issue_type = 'Bug'") == [
            ("ktlo", "bug")
        ]  # fmt: skip


def test_ktlo_sync_against_a_local_jira(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeJira(cloud=False)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.werkzeug_handler)
    base = httpserver.url_for("/jira")
    config = tmp_path / "ktlo.toml"
    config.write_text(
        f'[sources.ops]\ntype = "jira"\nbase_url = "{base}"\njql = "project = OPS"\n'
        'token_env = "OPS_JIRA_PAT"\nsprint_field = "customfield_10104"\nteam = "operations"\n'
    )
    monkeypatch.setenv("OPS_JIRA_PAT", PAT)
    result = CliRunner().invoke(
        main, ["sync", "--config", str(config), "--db", str(tmp_path / "t.duckdb")]
    )
    assert result.exit_code == 0, result.output
    row = [line for line in result.stdout.splitlines() if line.strip().startswith("ops")][0]
    assert [cell.strip() for cell in row.split("│")][2:6] == ["4", "0", "0", "0"]
    with Store.open(tmp_path / "t.duckdb", read_only=True) as store:
        assert rows(store, "SELECT team FROM sprints") == [("operations",)]
    assert PAT not in result.stdout + result.stderr
