"""The Linear source against a fake Linear GraphQL API (tests/linear_fake.py) via httpx2.MockTransport."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config
from ktlo.errors import ConfigError
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.planning.sprints import sprint_report
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.sources.linear_api import CYCLES_QUERY, ISSUES_QUERY, nested_query
from ktlo.store import Store
from tests.fake_api import JSON, FakeTime, snapshot
from tests.linear_fake import API_KEY, FIXTURES, FakeLinear, fixture, graphql_error

ENG_101 = "linear:issue:3f2a1b0c-9d8e-4f7a-b6c5-000000000101"
ENG_103 = "linear:issue:3f2a1b0c-9d8e-4f7a-b6c5-000000000103"
CYCLE_11 = "linear:sprint:e2b7c9a0-3d4f-4a1b-8c2d-000000000011"
CYCLE_12 = "linear:sprint:e2b7c9a0-3d4f-4a1b-8c2d-000000000012"
OPS_3 = "linear:sprint:e2b7c9a0-3d4f-4a1b-8c2d-000000000103"


def sync(
    store: Store,
    fake: FakeLinear,
    sleeps: list[float] | None = None,
    env: dict[str, str] | None = None,
    **options: Any,
) -> SourceResult:
    ctx = SourceContext(
        "linear",
        {"LINEAR_API_KEY": API_KEY} if env is None else env,
        httpx2.MockTransport(fake.handle),
        **FakeTime(sleeps=sleeps).seams(),
    )
    return sync_source(store, make_source(ctx, {"page_size": 2, **options}), NullReporter())


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def test_first_sync_stores_issues_and_cycles(store: Store) -> None:
    result = sync(store, FakeLinear())
    assert (result.new, result.updated, result.unchanged, result.errors) == (8, 0, 0, 0)
    assert rows(store, "SELECT external_id, kind, state, project, components, parent_key, estimate, sprint, labels, standard_type, assignees, author_name, author_email FROM work_items ORDER BY external_id") == [
        ("ENG-100", "issue", "Todo", "ENG", ["Invoicing"], None, None, None, ["Feature"], "requirement", [], "Raj Patel", "raj@acme.dev"),
        ("ENG-101", "issue", "Done", "ENG", ["Checkout v2"], None, 3.0, CYCLE_12, ["Bug"], "bug", ["Ana Lima"], "Raj Patel", "raj@acme.dev"),
        ("ENG-102", "issue", "In Progress", "ENG", ["Invoicing"], "ENG-100", 5.0, CYCLE_12, ["Feature"], "requirement", ["Bo Chen"], "Ana Lima", "ana@acme.dev"),
        ("ENG-103", "issue", "Canceled", "ENG", [], None, 1.0, CYCLE_11, [], "task", ["Raj Patel"], "Raj Patel", "raj@acme.dev"),
        ("OPS-7", "issue", "Triage", "OPS", [], None, None, OPS_3, ["incident"], "incident", [], "Bo Chen", "bo@acme.dev"),
    ]  # fmt: skip
    assert rows(store, f"SELECT created_at, updated_at, closed_at, url, branch FROM work_items WHERE item_id = '{ENG_101}'") == [
        (datetime(2026, 1, 5, 8, 0), datetime(2026, 1, 6, 16, 0, 5), datetime(2026, 1, 6, 16, 0),
         "https://linear.app/acme/issue/eng-101/checkout-gift-card-500", "ana/eng-101-checkout-gift-card-500"),
    ]  # fmt: skip
    assert rows(store, "SELECT sprint_id, name, team, state, starts_at, ends_at FROM sprints ORDER BY starts_at") == [
        (CYCLE_11, "Cycle 11", "ENG", "closed", datetime(2025, 12, 22), datetime(2026, 1, 5)),
        (CYCLE_12, "Cycle 12 — checkout hardening", "ENG", "active", datetime(2026, 1, 5), datetime(2026, 1, 19)),
        (OPS_3, "Reliability sprint 🚒", "OPS", "future", datetime(2026, 1, 19), datetime(2026, 2, 2)),
    ]  # fmt: skip
    assert rows(store, "SELECT to_ref, kind FROM links ORDER BY from_id, to_ref") == [
        ("OPS-7", "mentions"),
        ("ENG-100", "mentions"),
    ]


def test_titles_keep_unicode_and_the_issue_json_is_kept_whole(store: Store) -> None:
    sync(store, FakeLinear())
    assert rows(store, "SELECT title FROM work_items ORDER BY external_id") == [
        ("Invoicing epic",),
        ("Checkout returns 500 when the cart holds a gift card 🎁",),
        ("Ajouter l'export CSV des factures — 日本語 ✨",),
        ("Rotate staging TLS certificates before they expire",),
        ("Pager storm from disk alerts 🔥",),
    ]
    raw = rows(store, f"SELECT raw FROM work_items WHERE item_id = '{ENG_103}'")[0][0]
    node = next(
        n for n in fixture("issues.json")["data"]["issues"]["nodes"] if n["identifier"] == "ENG-103"
    )
    assert json.loads(raw) == node


def test_history_becomes_state_changes_across_pages_of_history(store: Store) -> None:
    sync(store, FakeLinear())
    assert rows(store, f"SELECT occurred_at, field, from_value, to_value, changed_by FROM state_changes WHERE item_id = '{ENG_101}' ORDER BY occurred_at, field") == [
        (datetime(2026, 1, 5, 8, 0, 1), "sprint", None, CYCLE_12, "Raj Patel"),
        (datetime(2026, 1, 5, 8, 0, 1), "status", None, "Todo", "Raj Patel"),
        (datetime(2026, 1, 5, 8, 5), "assignee", None, "Ana Lima", "Raj Patel"),
        (datetime(2026, 1, 5, 10, 30), "estimate", None, "3", "Ana Lima"),
        (datetime(2026, 1, 5, 10, 30), "status", "Todo", "In Progress", "Ana Lima"),
        (datetime(2026, 1, 5, 11, 0), "label", None, "Bug", "Ana Lima"),
        (datetime(2026, 1, 6, 16, 0), "status", "In Progress", "Done", "Ana Lima"),
    ]  # fmt: skip
    # ENG-103 has twelve history entries: ten came with the issue, two from issue(id) { history }.
    assert rows(store, f"SELECT field, count(*) FROM state_changes WHERE item_id = '{ENG_103}' GROUP BY field ORDER BY field") == [
        ("assignee", 1), ("priority", 8), ("sprint", 1), ("status", 4),
    ]  # fmt: skip
    assert rows(store, f"SELECT occurred_at, from_value, to_value FROM state_changes WHERE item_id = '{ENG_103}' AND field = 'status' ORDER BY occurred_at, from_value NULLS FIRST") == [
        (datetime(2025, 12, 19, 9, 0), None, "Backlog"),
        (datetime(2025, 12, 19, 9, 0), "Backlog", "Todo"),
        (datetime(2026, 1, 3, 9, 0), "Todo", "In Progress"),
        (datetime(2026, 1, 4, 17, 0), "In Progress", "Canceled"),
    ]  # fmt: skip


def test_creator_assignees_transitions_and_comments_become_activities(store: Store) -> None:
    sync(store, FakeLinear())
    assert rows(store, f"SELECT person, kind, occurred_at, detail, source FROM activities WHERE item_id = '{ENG_101}' ORDER BY occurred_at, kind") == [
        ("Raj Patel", "opened", datetime(2026, 1, 5, 8, 0), None, "linear"),
        ("Raj Patel", "transitioned", datetime(2026, 1, 5, 8, 0, 1), "Todo", "linear"),
        ("Ana Lima", "assigned", datetime(2026, 1, 5, 8, 5), None, "linear"),
        ("Raj Patel", "commented", datetime(2026, 1, 5, 9, 0), None, "linear"),
        ("Ana Lima", "transitioned", datetime(2026, 1, 5, 10, 30), "In Progress", "linear"),
        ("Ana Lima", "commented", datetime(2026, 1, 6, 15, 55), None, "linear"),
        ("Ana Lima", "closed", datetime(2026, 1, 6, 16, 0), "Done", "linear"),
    ]  # fmt: skip


def test_cycles_drive_the_sprint_report(store: Store) -> None:
    sync(store, FakeLinear())
    report = sprint_report(store, Config(), "ENG")
    assert [(s.sprint, s.planned_items, s.unplanned_items) for s in report.sprints] == [
        ("Cycle 11", 1, 0),
        ("Cycle 12 — checkout hardening", 0, 2),  # ENG-101 created, ENG-102 moved in, mid-cycle
    ]


def test_pages_follow_relay_cursors_and_the_key_is_sent_as_is(store: Store) -> None:
    fake = FakeLinear()
    sync(store, fake)
    issue_pages = [b["variables"] for b in fake.bodies if "query Issues(" in b["query"]]
    assert issue_pages == [
        {"first": 2, "filter": None},
        {"first": 2, "filter": None, "after": "3f2a1b0c-9d8e-4f7a-b6c5-000000000102"},
        {"first": 2, "filter": None, "after": "3f2a1b0c-9d8e-4f7a-b6c5-000000000103"},
    ]
    nested = [b["variables"] for b in fake.bodies if "query IssueConnection(" in b["query"]]
    assert nested == [
        {"id": "3f2a1b0c-9d8e-4f7a-b6c5-000000000103", "first": 100, "after": "h-103-10"}
    ]
    assert {h["authorization"] for h in fake.headers_seen} == {API_KEY}  # a personal key: no Bearer
    assert fake.requests == ["POST /graphql"] * 6


def test_an_oauth_token_is_sent_as_bearer(store: Store) -> None:
    fake = FakeLinear(token="lin_oauth_token", oauth=True)
    result = sync(
        store, fake, env={"LINEAR_OAUTH": "lin_oauth_token"}, token_env="LINEAR_OAUTH", auth="oauth"
    )
    assert result.errors == 0 and result.new == 8
    assert fake.headers_seen[0]["authorization"] == "Bearer lin_oauth_token"


def test_second_run_reads_only_what_changed(store: Store) -> None:
    fake = FakeLinear()
    sync(store, fake)
    changed = next(i for i in fake.issues if i["identifier"] == "ENG-102")
    changed.update(title="Ajouter l'export CSV — v2 🚀", updatedAt="2026-01-10T09:00:00.000Z")
    added = {**changed, "id": "3f2a1b0c-9d8e-4f7a-b6c5-000000000104", "identifier": "ENG-104",
             "number": 104, "title": "Flaky checkout test 🐛", "createdAt": "2026-01-10T10:00:00.000Z",
             "updatedAt": "2026-01-10T10:00:00.000Z"}  # fmt: skip
    fake.issues.append(added)
    fake.bodies.clear()

    result = sync(store, fake)
    assert (result.new, result.updated, result.errors) == (1, 1, 0)
    filters = [b["variables"]["filter"] for b in fake.bodies]
    assert filters == [
        {"updatedAt": {"gte": "2026-01-09T02:15:00.000Z"}},  # ENG-104, ENG-102
        {"updatedAt": {"gte": "2026-01-09T02:15:00.000Z"}},  # OPS-7, stored unchanged
        {"updatedAt": {"gte": "2026-01-05T00:00:02.000Z"}},
    ]
    assert rows(store, "SELECT cursor FROM sync_state ORDER BY scope") == [
        ('{"since": "2026-01-05T00:00:02.000Z"}',),
        ('{"since": "2026-01-10T10:00:00.000Z"}',),
    ]
    assert rows(store, "SELECT title FROM work_items WHERE external_id IN ('ENG-102', 'ENG-104') ORDER BY 1") == [
        ("Ajouter l'export CSV — v2 🚀",), ("Flaky checkout test 🐛",),
    ]  # fmt: skip
    third = sync(store, fake)
    assert (third.new, third.updated, third.unchanged) == (0, 0, 3)


def test_teams_keep_a_window_each(store: Store) -> None:
    fake = FakeLinear()
    result = sync(store, fake, teams=["ENG"], include=["issues"], since="2025-12-15")
    assert result.new == 4
    assert fake.bodies[0]["variables"]["filter"] == {
        "updatedAt": {"gte": "2025-12-15T00:00:00.000Z"},
        "team": {"key": {"eq": "ENG"}},
    }
    assert rows(store, "SELECT scope FROM sync_state") == [("team:ENG:issues",)]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            graphql_error(
                400, "AUTHENTICATION_ERROR", "authentication error", "Authentication required"
            ),
            "linear: the token in $LINEAR_API_KEY was rejected (401 Unauthorized)",
        ),
        (
            graphql_error(400, "FORBIDDEN", "forbidden", "You don't have access to this team"),
            "linear: 403 Forbidden for https://api.linear.app/graphql: the token in $LINEAR_API_KEY is not allowed to read it",
        ),
        (
            (403, JSON, {"errors": [{"message": "Forbidden"}]}),
            "linear: 403 Forbidden for https://api.linear.app/graphql",
        ),
        (
            (404, JSON, {"errors": [{"message": "Not found"}]}),
            "linear: https://api.linear.app/graphql was not found (404)",
        ),
    ],
)
def test_client_errors_stop_the_source_with_one_line(
    store: Store, answer: Any, expected: str
) -> None:
    fake = FakeLinear()
    fake.fail("/graphql", answer)
    result = sync(store, fake)
    assert result.errors == 1 and str(result.error).startswith(expected)
    assert len(fake.requests) == 1  # never retried
    assert rows(store, "SELECT count(*) FROM work_items") == [(0,)]


def test_rate_limits_server_errors_and_timeouts_are_retried(store: Store, tmp_path: Path) -> None:
    fake = FakeLinear()
    reset_ms = str((1767225600 + 30) * 1000)  # the spent request budget: 30 s after the Date
    fake.fail(
        "/graphql",
        (429, JSON | {"Retry-After": "7"}, {"errors": [{"message": "Too many requests"}]}),
        graphql_error(400, "RATELIMITED", "ratelimited", "Rate limit exceeded",
                      X_RateLimit_Requests_Remaining="0", X_RateLimit_Requests_Reset=reset_ms,
                      X_RateLimit_Complexity_Remaining="240000",
                      X_RateLimit_Complexity_Reset=str((1767225600 + 3000) * 1000),
                      Date="Thu, 01 Jan 2026 00:00:00 GMT"),
        (500, JSON, {"errors": [{"message": "Internal server error"}]}),
        httpx2.ReadTimeout("timed out"),
    )  # fmt: skip
    sleeps: list[float] = []
    result = sync(store, fake, sleeps)
    assert result.errors == 0, result.error
    assert sleeps[:2] == [7.0, 31.0] and len(sleeps) == 4
    with Store.open(tmp_path / "clean.duckdb") as clean:
        sync(clean, FakeLinear())
        assert snapshot(store) == snapshot(clean)


def test_retries_give_up_after_six_attempts(store: Store) -> None:
    fake = FakeLinear()
    fake.fail("/graphql", *[(502, JSON, {"errors": [{"message": "Bad gateway"}]})] * 6)
    result = sync(store, fake)
    assert str(result.error).startswith("linear: server error 502 from api.linear.app, 6 attempts")


def test_a_malformed_body_stops_the_source_and_keeps_earlier_cursors(store: Store) -> None:
    fake = FakeLinear()
    fake.fail_operation("Cycles", (200, JSON, b'{"data": {"cycles": {"nodes": [{"id": '))
    result = sync(store, fake)
    assert "answered with a body that is not JSON" in str(result.error)
    assert rows(store, "SELECT scope FROM sync_state") == [("issues",)]
    assert rows(store, "SELECT count(*) FROM work_items") == [(5,)]


def test_a_graphql_error_in_a_200_answer_is_reported(store: Store) -> None:
    fake = FakeLinear()
    fake.fail("/graphql", (200, JSON, {"errors": [{"message": "Query too complex"}], "data": None}))
    result = sync(store, fake)
    assert str(result.error).startswith("linear: the GraphQL API answered: Query too complex")


def test_an_empty_workspace_syncs_to_nothing(store: Store) -> None:
    fake = FakeLinear()
    fake.issues, fake.cycles = [], []
    result = sync(store, fake)
    assert (result.new, result.errors, result.pages) == (0, 0, 2)
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]


def test_options_are_validated_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "ktlo.toml"
    config.write_text('[sources.linear]\nteams = ["ENG"]\npage_size = 500\n')
    with pytest.raises(ConfigError) as raised:
        make_source(
            SourceContext("linear", {}, config_path=config), {"teams": ["ENG"], "page_size": 500}
        )
    assert str(raised.value).startswith(
        f"{config} line 3, sources.linear.page_size: Input should be less than or equal to 50"
    )
    with pytest.raises(
        ConfigError, match="sources.linear.auth: Input should be 'api_key' or 'oauth'"
    ):
        make_source(SourceContext("linear", {}), {"auth": "basic"})
    with pytest.raises(ConfigError, match="sources.linear.team: unknown option"):
        make_source(SourceContext("linear", {}), {"team": "ENG"})


def test_saved_answers_load_without_a_key(store: Store, tmp_path: Path) -> None:
    source = make_source(SourceContext("linear", {}), {})
    for name in ("issues.json", "cycles.json"):
        result = sync_source(store, source, NullReporter(), FIXTURES / name)
        assert result.errors == 0, result.error
    assert rows(store, "SELECT count(*) FROM work_items") == [(5,)]
    assert rows(store, "SELECT count(*) FROM sprints") == [(3,)]
    pages = tmp_path / "pages.json"  # two pages saved back to back
    nodes = fixture("issues.json")["data"]["issues"]["nodes"]
    pages.write_text(
        json.dumps({"data": {"issues": {"nodes": nodes[:2]}}})
        + json.dumps({"data": {"issues": {"nodes": nodes[2:]}}})
    )
    with Store.open(tmp_path / "pages.duckdb") as other:
        assert sync_source(other, source, NullReporter(), pages).new == 5
    wrong = tmp_path / "wrong.json"
    wrong.write_text('[\n  {"identifier": "ENG-1"},\n  {"what": "else"}\n]')
    result = sync_source(store, source, NullReporter(), wrong)
    assert str(result.error).startswith(
        f"{wrong} line 2: a Linear record without a usable createdAt"
    )


def test_ktlo_sync_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINEAR_API_KEY", raising=False)
    for name in ("issues.json", "cycles.json"):
        result = CliRunner().invoke(
            main, ["sync", "--from-file", str(FIXTURES / name), "--source", "linear"]
        )
        assert result.exit_code == 0, result.output
        assert "linear" in result.stdout
    with Store.open(tmp_path / "ktlo.duckdb", read_only=True) as store:
        assert rows(store, "SELECT count(*) FROM work_items WHERE source = 'linear'") == [(5,)]
        assert rows(store, "SELECT count(*) FROM sprints") == [(3,)]


def test_fixtures_hold_exactly_the_fields_the_queries_ask_for() -> None:
    check(fixture("issues.json")["data"], selection(ISSUES_QUERY), "issues")
    check(fixture("cycles.json")["data"], selection(CYCLES_QUERY), "cycles")
    check(
        fixture("issue-ENG-103-history.json")["data"], selection(nested_query("history")), "history"
    )


def selection(query: str) -> dict[str, Any]:
    """The field tree a GraphQL query selects (arguments left out)."""
    tokens = re.findall(r"[A-Za-z_]\w*|[{}]", re.sub(r"\([^()]*\)", "", query))
    tree, _ = _fields(tokens, tokens.index("{") + 1)
    return tree


def _fields(tokens: list[str], at: int) -> tuple[dict[str, Any], int]:
    fields: dict[str, Any] = {}
    while tokens[at] != "}":
        name, at = tokens[at], at + 1
        fields[name] = None
        if tokens[at] == "{":
            fields[name], at = _fields(tokens, at + 1)
            at += 1
    return fields, at


def check(value: Any, fields: dict[str, Any], where: str) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            check(item, fields, where)
        return
    assert set(value) == set(fields), f"{where}: {sorted(set(value) ^ set(fields))}"
    for name, inner in fields.items():
        if inner is not None:
            check(value[name], inner, f"{where}.{name}")


def test_an_issues_project_is_its_initiative(
    store: Store,
) -> None:
    from ktlo.effort.initiatives import build_initiatives

    sync(store, FakeLinear())
    assert rows(store, "SELECT external_id, initiative FROM work_items ORDER BY external_id") == [
        ("ENG-100", "Invoicing"), ("ENG-101", "Checkout v2"), ("ENG-102", "Invoicing"),
        ("ENG-103", None), ("OPS-7", None),
    ]  # fmt: skip
    build_initiatives(store)
    assert rows(store, "SELECT w.external_id, i.via FROM item_initiative i JOIN work_items w USING (item_id) ORDER BY 1") == [
        ("ENG-100", "own"), ("ENG-101", "own"), ("ENG-102", "own"),
    ]  # fmt: skip
