"""CSV and JSON imports (docs/import.md): every record kind, malformed rows, all-or-nothing."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ktlo.config import Config
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.planning.sprints import sprint_report
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store

FILES = Path(__file__).parent / "fixtures" / "files"


def load(store: Store, path: Path, name: str = "tracker", **options: Any) -> SourceResult:
    source = make_source(SourceContext(name, {}), {"type": "files", **options})
    return sync_source(store, source, NullReporter(), path)


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def test_work_items_from_csv(store: Store) -> None:
    result = load(store, FILES / "work_items.csv")
    assert (result.new, result.errors) == (3, 0)
    assert rows(store, "SELECT item_id, source, kind, state, author_name, assignees, labels, issue_type, standard_type, parent_key, estimate, sprint, created_at FROM work_items ORDER BY external_id") == [
        ("tracker:issue:OPS-101", "tracker", "issue", "done", "ana", ["raj", "lee"], ["incident", "payments"], "Incident", "incident", None, 3.0, "Sprint 14", datetime(2026, 1, 5, 8, 0)),
        ("tracker:task:OPS-102", "tracker", "task", "in progress", "raj", ["raj"], ["maintenance"], "Task", "task", "OPS-100", 5.0, "Sprint 14", datetime(2026, 1, 6, 8, 0)),
        ("tracker:story:OPS-103", "tracker", "story", "todo", "lee", [], [], "Story", "requirement", None, 8.0, None, datetime(2026, 1, 7, 0, 0)),
    ]  # fmt: skip
    assert rows(store, "SELECT body FROM work_items WHERE external_id = 'OPS-101'") == [
        ("Pager went off at 08:00.\nRolled back at 08:40.",)
    ]
    assert rows(
        store,
        "SELECT investment, subcategory FROM verdicts WHERE item_id = 'tracker:issue:OPS-101'",
    ) == [("ktlo", "incident")]


def test_incidents_with_timelines_from_json(store: Store) -> None:
    assert load(store, FILES / "incidents.json", "pagerduty-export").new == 2
    assert rows(store, "SELECT incident_id, title, service, teams, severity, status, created_at, acknowledged_at, resolved_at FROM incidents ORDER BY incident_id") == [
        ("pagerduty-export:incident:INC-7", "Checkout down — 日本 region", "checkout", ["payments", "sre"], "sev1", "resolved", datetime(2026, 1, 5, 8, 0), datetime(2026, 1, 5, 8, 4), datetime(2026, 1, 5, 8, 55)),
        ("pagerduty-export:incident:INC-8", "Slow search", None, [], "sev3", None, datetime(2026, 1, 9, 12, 0), None, None),
    ]  # fmt: skip
    assert rows(
        store, "SELECT occurred_at, kind, person, detail FROM incident_events ORDER BY occurred_at"
    ) == [
        (datetime(2026, 1, 5, 8, 0), "triggered", None, None),
        (datetime(2026, 1, 5, 8, 4), "acknowledged", "ana", None),
        (datetime(2026, 1, 5, 8, 55), "resolved", "ana", "rolled back"),
    ]
    raw = rows(store, "SELECT raw FROM incidents WHERE external_id = 'INC-7'")[0][0]
    assert '"commander":"ana"' in raw  # columns ktlo does not know are kept in raw


def test_alerts_from_json_lines(store: Store) -> None:
    assert load(store, FILES / "alerts.jsonl", "opsgenie-export").new == 2
    assert rows(store, "SELECT alert_id, incident_id, count, tags, responders, closed_at FROM alerts ORDER BY alert_id") == [
        ("opsgenie-export:alert:a-1", "opsgenie-export:incident:INC-7", 3, ["latency", "checkout"], ["payments"], None),
        ("opsgenie-export:alert:a-2", None, None, ["disk", "db"], [], datetime(2026, 1, 6, 3, 30)),
    ]  # fmt: skip


def test_deployments_and_builds(store: Store) -> None:
    assert load(store, FILES / "deployments.csv", "argo").new == 2
    assert load(store, FILES / "builds.json", "jenkins").new == 2
    assert rows(store, "SELECT deployment_id, repo_id, environment, status, finished_at FROM deployments ORDER BY 1") == [
        ("argo:deployment:d-1", "github.com/acme/shop", "production", "rolled_back", datetime(2026, 1, 5, 8, 40)),
        ("argo:deployment:d-2", "github.com/acme/shop", "staging", "in_progress", None),
    ]  # fmt: skip
    assert rows(store, "SELECT build_id, workflow, job, conclusion, attempt, started_at FROM builds ORDER BY 1") == [
        ("jenkins:build:b-100", "pipeline", "test", "failure", 1, datetime(2026, 1, 5, 8, 1)),
        ("jenkins:build:b-101", "pipeline", None, "success", 2, datetime(2026, 1, 5, 9, 1)),
    ]  # fmt: skip


def test_loading_again_counts_unchanged_and_updated(store: Store, tmp_path: Path) -> None:
    copy = tmp_path / "work_items.csv"
    shutil.copy(FILES / "work_items.csv", copy)
    load(store, copy)
    again = load(store, copy)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    copy.write_text(copy.read_text().replace("Upgrade Postgres to 16", "Upgrade Postgres to 17"))
    changed = load(store, copy)
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 2)
    assert rows(store, "SELECT count(*) FROM work_items") == [(3,)]


BAD = [
    ("work_items.csv", "id,title,created_at\n1,ok,2026-01-01\n2,bad,yesterday\n", "line 3: created_at 'yesterday' is not a date-time"),
    ("work_items.csv", "id,title\n1,ok\n,no id\n", "line 3: id is missing"),
    ("work_items.csv", 'id,title,body\n1,ok,"multi\nline"\n2,x,y,extra\n', "line 4: more values than columns"),
    ("work_items.csv", "id,title,estimate\n1,ok,three\n", "line 2: estimate 'three' is not a number"),
    ("work_items.csv", "id,title,standard_type\n1,ok,epic\n", "line 2: standard_type 'epic' is not one of requirement, bug, incident, task"),
    ("incidents.json", '[\n {"id": "1", "title": "t", "created_at": "2026-01-01T00:00:00Z"},\n {"id": "2", "title": "t"}\n]', "line 3: created_at is missing"),
    ("incidents.json", '[\n {"id": "1", "title": "t", "created_at": "2026-01-01T00:00:00Z",\n  "events": [{"kind": "x"}]}\n]', "line 2: events [{'kind': 'x'}] has an event without 'occurred_at'"),
    ("alerts.jsonl", '{"id": "a", "title": "t", "created_at": "2026-01-01T00:00:00Z"}\n{"id": "b", "title": }\n', "line 2: not valid JSON"),
    ("alerts.jsonl", '{"id": "a", "title": "t", "created_at": "2026-01-01T00:00:00Z", "count": "many"}\n', "line 1: count 'many' is not a whole number"),
    ("builds.json", '[1, 2]', "line 1: expected an object, found int"),
    ("builds.json", '[{"id": "b", "title": {"nested": 1}, "workflow": ["x"]}]', "line 1: workflow ['x'] is not text"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD)
def test_malformed_rows_name_file_and_line_and_nothing_is_written(
    store: Store, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = load(store, path)
    assert result.errors == 1
    assert str(result.error).startswith(f"{path} {message}"), str(result.error)
    for table in ("work_items", "incidents", "alerts", "builds", "sync_state"):
        assert rows(store, f"SELECT count(*) FROM {table}") == [(0,)]


def test_configured_files_are_all_checked_before_any_is_stored_and_skipped_when_unchanged(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "exports").mkdir()
    good = tmp_path / "exports" / "incidents.json"
    shutil.copy(FILES / "incidents.json", good)
    bad = tmp_path / "exports" / "alerts.csv"
    bad.write_text("id,title,created_at\na,t,never\n")
    config = tmp_path / "ktlo.toml"
    config.write_text("")
    options = {"type": "files", "paths": ["exports/incidents.json", "exports/alerts.csv"]}
    source = make_source(SourceContext("ops", {}, config_path=config), options)
    result = sync_source(store, source, NullReporter())
    assert "alerts.csv line 2: created_at 'never'" in str(result.error)
    assert rows(store, "SELECT count(*) FROM incidents") == [(0,)]

    bad.write_text("id,title,created_at\na,t,2026-01-01T00:00:00Z\n")
    first = sync_source(store, source, NullReporter())
    assert (first.new, first.errors) == (3, 0)
    second = sync_source(store, source, NullReporter())
    assert (second.new, second.updated, second.unchanged, second.pages) == (0, 0, 3, 0)


def test_the_record_kind_comes_from_the_option_or_the_file_name(
    store: Store, tmp_path: Path
) -> None:
    export = tmp_path / "export-2026.csv"
    shutil.copy(FILES / "deployments.csv", export)
    result = load(store, export)
    assert str(result.error).startswith("cannot tell what export-2026.csv holds")
    assert load(store, export, records="deployments").new == 2
    odd = tmp_path / "incidents.xml"
    odd.write_text("<x/>")
    assert str(load(store, odd).error).startswith(f"{odd} is neither CSV nor JSON")


def test_sprints_from_csv_meet_the_items_that_name_them(store: Store) -> None:
    assert load(store, FILES / "work_items.csv").new == 3
    result = load(store, FILES / "sprints.csv")
    assert (result.new, result.errors) == (2, 0)
    assert rows(store, "SELECT sprint_id, source, name, team, state, starts_at, ends_at FROM sprints ORDER BY sprint_id") == [
        ("tracker:sprint:31", "tracker", "PAY Sprint 14", "payments", "closed", datetime(2026, 1, 5), datetime(2026, 1, 16, 18)),
        ("tracker:sprint:32", "tracker", "PAY Sprint 15", "payments", "active", datetime(2026, 1, 19), datetime(2026, 1, 30, 18)),
    ]  # fmt: skip
    assert '"goal":"Ship refunds"' in rows(store, "SELECT raw FROM sprints LIMIT 1")[0][0]
    sprints = sprint_report(store, Config()).sprints  # the items name it `Sprint 14`: no match
    assert sprints == []
    store.con.execute("UPDATE work_items SET sprint = 'PAY Sprint 14' WHERE sprint = 'Sprint 14'")
    (sprint,) = sprint_report(store, Config()).sprints
    assert (sprint.sprint, sprint.unplanned_items) == ("PAY Sprint 14", 2)


SHA = {name: name * 20 for name in ("a1", "b2", "c3", "d4", "e5")}


def test_a_pull_request_carries_its_commits_reviews_merge_and_base(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "work_items.json"
    path.write_text(json.dumps([{
        "id": "shop-12", "number": "12", "kind": "pull_request", "title": "Add coupons",
        "repo": "github.com/acme/shop", "author": "raj", "branch": "feature/coupons",
        "base_branch": "main", "created_at": "2026-03-05T12:00:00Z",
        "merged_at": "2026-03-06T11:00:00Z", "merge_sha": SHA["b2"].upper(),
        "commits": [{"sha": SHA["a1"], "authored_at": "2026-03-05T10:00:00Z",
                     "committed_at": "2026-03-06T09:00:00Z", "author": "raj"},
                    {"sha": SHA["c3"], "authored_at": "2026-03-05T11:00:00Z", "author": "renovate[bot]"}],
        "reviews": [{"submitted_at": "2026-03-06T10:00:00Z", "state": "APPROVED", "reviewer": "carol"}],
    }]))  # fmt: skip
    assert load(store, path, "files").errors == 0
    key = "files:pull_request:shop-12"
    assert rows(
        store, f"SELECT external_id, base_branch, branch FROM work_items WHERE item_id = '{key}'"
    ) == [("12", "main", "feature/coupons")]
    assert rows(store, f"SELECT to_ref, kind FROM links WHERE from_id = '{key}' ORDER BY kind, to_ref") == [
        (SHA["a1"], "contains"), (SHA["c3"], "contains"), (SHA["b2"], "merged_as"),
    ]  # fmt: skip
    assert rows(store, f"SELECT sha, authored_at, committed_at, is_bot FROM change_commits WHERE owner_id = '{key}' ORDER BY sha") == [
        (SHA["a1"], datetime(2026, 3, 5, 10), datetime(2026, 3, 6, 9), False),
        (SHA["c3"], datetime(2026, 3, 5, 11), None, True),
    ]  # fmt: skip
    assert rows(
        store,
        f"SELECT occurred_at, to_value, changed_by FROM state_changes WHERE item_id = '{key}'",
    ) == [(datetime(2026, 3, 6, 10), "approved", "carol")]
    assert rows(store, f"SELECT person, kind FROM activities WHERE item_id = '{key}' ORDER BY occurred_at") == [
        ("raj", "committed"), ("renovate[bot]", "committed"), ("carol", "reviewed"),
    ]  # fmt: skip


def test_deployments_name_their_previous_and_commits_and_pushes_load(
    store: Store, tmp_path: Path
) -> None:
    deployments = tmp_path / "deployments.csv"
    deployments.write_text(
        "id,created_at,finished_at,sha,status,previous,commits\n"
        f"d-2,2026-03-06T17:00:00Z,2026-03-06T17:30:00Z,{SHA['b2']},success,d-1,{SHA['a1']}; {SHA['b2']}\n"
    )
    pushes = tmp_path / "pushes.json"
    pushes.write_text(json.dumps({
        "repo": "github.com/acme/shop", "ref": "refs/heads/main", "before": SHA["d4"], "after": SHA["b2"],
        "commits": [{"id": SHA["a1"], "timestamp": "2026-03-05T10:00:00+01:00"}, {"sha": SHA["b2"]}],
    }))  # fmt: skip
    assert load(store, deployments, "files").errors == 0
    assert load(store, pushes, "files").errors == 0
    assert rows(store, "SELECT previous_id FROM deployments") == [("files:deployment:d-1",)]
    assert rows(store, "SELECT sha FROM change_commits WHERE owner_id = 'files:deployment:d-2' ORDER BY sha") == [
        (SHA["a1"],), (SHA["b2"],),
    ]  # fmt: skip
    push = f"files:push:github.com/acme/shop:refs/heads/main:{SHA['b2']}"
    assert rows(store, "SELECT push_id, before_sha, after_sha FROM pushes") == [
        (push, SHA["d4"], SHA["b2"])
    ]
    assert rows(store, f"SELECT sha, authored_at FROM change_commits WHERE owner_id = '{push}' ORDER BY sha") == [
        (SHA["a1"], datetime(2026, 3, 5, 9)), (SHA["b2"], None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("work_items.json", '{"id": "p", "title": "t", "commits": ["not a sha"]}',
         "line 1: commits ['not a sha'] has 'not a sha', which is not a commit sha"),
        ("work_items.json", '{"id": "p", "title": "t", "reviews": [{"submitted_at": "2026-03-01"}]}',
         "line 1: reviews"),
        ("pushes.json", '{"ref": "refs/heads/main", "commits": []}', "line 1: after is missing"),
        ("deployments.json", '{"id": "d", "created_at": "2026-03-01", "commits": [{"authored_at": "x"}]}',
         "line 1: commits"),
    ],
)  # fmt: skip
def test_what_the_definitions_read_is_checked_like_any_field(
    store: Store, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = load(store, path)
    assert result.errors == 1 and str(result.error).startswith(f"{path} {message}"), str(
        result.error
    )
    assert rows(store, "SELECT count(*) FROM change_commits") == [(0,)]


def test_an_imported_items_initiative_column_is_kept(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "work_items.csv"
    path.write_text(
        "id,title,parent,initiative\nOPS-1,Move billing,,Billing v3\nOPS-2,Fix it,OPS-1,\n"
    )
    assert load(store, path).errors == 0
    assert rows(store, "SELECT external_id, parent_key, initiative FROM work_items ORDER BY 1") == [
        ("OPS-1", None, "Billing v3"),
        ("OPS-2", "OPS-1", None),
    ]
