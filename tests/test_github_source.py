"""The GitHub source against a fake GitHub (tests/github_fake.py) through httpx2.MockTransport."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ktlo.errors import ConfigError
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests.fake_api import FakeTime, snapshot
from tests.github_fake import FIXTURES, TOKEN, FakeGitHub, error

SHOP = "github.com/acme/shop"


def sync(
    store: Store,
    fake: FakeGitHub,
    sleeps: list[float] | None = None,
    env: dict[str, str] | None = None,
    **options: Any,
) -> SourceResult:
    ctx = SourceContext(
        "github",
        {"GITHUB_TOKEN": TOKEN} if env is None else env,
        httpx2.MockTransport(fake.handle),
        **FakeTime(sleeps=sleeps).seams(),
    )
    source = make_source(ctx, {"repos": ["acme/shop"], "per_page": 2, **options})
    return sync_source(store, source, NullReporter())


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def test_first_sync_stores_issues_and_pull_requests(store: Store) -> None:
    result = sync(store, FakeGitHub())
    assert (result.new, result.updated, result.unchanged, result.errors) == (21, 0, 0, 0)
    assert rows(store, "SELECT item_id, kind, state, author_name, is_bot, standard_type, issue_type, labels, assignees, branch FROM work_items ORDER BY item_id") == [
        (f"github:issue:{SHOP}:1", "issue", "closed", "alice", False, "bug", "Bug", ["bug"], ["bob"], None),
        (f"github:issue:{SHOP}:2", "issue", "open", "carol", False, "requirement", "Feature", ["enhancement"], [], None),
        (f"github:issue:{SHOP}:3", "issue", "closed", "bob", False, "incident", None, ["incident", "sev1"], ["bob", "alice"], None),
        (f"github:issue:{SHOP}:4", "issue", "open", "alice", False, "task", None, [], [], None),
        (f"github:pull_request:{SHOP}:7", "pull_request", "merged", "bob", False, "bug", None, ["bug"], ["bob"], "fix/empty-cart"),
        (f"github:pull_request:{SHOP}:8", "pull_request", "open", "dependabot[bot]", True, None, None, ["dependencies"], [], "dependabot/npm_and_yarn/lodash-4.17.21"),
        (f"github:pull_request:{SHOP}:9", "pull_request", "closed", "carol", False, None, None, [], [], "feat/gift-cards"),
    ]  # fmt: skip
    assert rows(store, "SELECT created_at, closed_at, merged_at, url FROM work_items WHERE external_id = '7'") == [
        (datetime(2026, 1, 8, 10, 0), datetime(2026, 1, 8, 16, 29), datetime(2026, 1, 8, 16, 29), "https://github.com/acme/shop/pull/7")
    ]  # fmt: skip
    assert rows(
        store, "SELECT item_id, investment, subcategory FROM verdicts ORDER BY item_id"
    ) == [
        (f"github:issue:{SHOP}:1", "ktlo", "bug"),
        (f"github:issue:{SHOP}:2", "new_work", "feature"),
        (f"github:issue:{SHOP}:3", "ktlo", "incident"),
        (f"github:issue:{SHOP}:4", "ktlo", "security"),
        (f"github:pull_request:{SHOP}:7", "ktlo", "bug"),
        (f"github:pull_request:{SHOP}:8", "ktlo", "dependency"),
        (f"github:pull_request:{SHOP}:9", "new_work", "feature"),
    ]


def test_the_source_json_is_kept_whole_and_unicode_survives(store: Store) -> None:
    sync(store, FakeGitHub())
    title, raw = rows(store, "SELECT title, raw FROM work_items WHERE external_id = '2'")[0]
    assert title == "Ajouter l'export CSV des factures — 日本語 ✨"
    fixture = next(
        i for i in json.loads((FIXTURES / "issues.json").read_text()) if i["number"] == 2
    )
    assert json.loads(raw) == fixture
    assert rows(store, "SELECT title FROM work_items WHERE external_id = '9'") == [
        ("feat: gift cards 🎁",)
    ]


def test_pull_requests_carry_commits_reviews_and_comments(store: Store) -> None:
    sync(store, FakeGitHub())
    pr = f"github:pull_request:{SHOP}:7"
    assert rows(
        store, f"SELECT to_ref, kind FROM links WHERE from_id = '{pr}' ORDER BY to_ref"
    ) == [
        ("#1", "fixes"),
        ("5a1e0c3d2b4f6a8c0e1d3f5a7b9c1e3d5f7a9b0c", "merged_as"),
        ("c0ffee0000000000000000000000000000000001", "contains"),
        ("c0ffee0000000000000000000000000000000002", "contains"),
    ]
    assert rows(store, f"SELECT person, kind, occurred_at, detail, source FROM activities WHERE item_id = '{pr}' ORDER BY occurred_at, kind") == [
        ("bob", "committed", datetime(2026, 1, 8, 9, 50), "c0ffee0000000000000000000000000000000001", "github"),
        ("bob", "opened", datetime(2026, 1, 8, 10, 0), None, "github"),
        ("Bob Chen", "committed", datetime(2026, 1, 8, 11, 20), "c0ffee0000000000000000000000000000000002", "github"),
        ("carol", "commented", datetime(2026, 1, 8, 14, 0), "src/checkout.py", "github"),
        ("carol", "reviewed", datetime(2026, 1, 8, 14, 0), "commented", "github"),
        ("alice", "reviewed", datetime(2026, 1, 8, 15, 0), "approved", "github"),
    ]  # fmt: skip


def test_issue_timelines_become_state_changes_and_activities(store: Store) -> None:
    sync(store, FakeGitHub())
    issue = f"github:issue:{SHOP}:3"
    assert rows(store, f"SELECT occurred_at, field, from_value, to_value, changed_by FROM state_changes WHERE item_id = '{issue}' ORDER BY occurred_at") == [
        (datetime(2026, 1, 7, 2, 10), "status", None, "open", "bob"),
        (datetime(2026, 1, 7, 2, 10, 30), "label", None, "incident", "bob"),
        (datetime(2026, 1, 7, 2, 10, 31), "label", None, "sev1", "bob"),
        (datetime(2026, 1, 7, 2, 11), "assignee", None, "alice", "bob"),
        (datetime(2026, 1, 7, 3, 0), "status", "open", "closed", "alice"),
        (datetime(2026, 1, 7, 3, 30), "status", "closed", "open", "bob"),
        (datetime(2026, 1, 7, 4, 40), "status", "open", "closed", "bob"),
        (datetime(2026, 1, 7, 5, 0), "label", "sev1", None, "bob"),
    ]  # fmt: skip
    assert rows(store, f"SELECT person, kind FROM activities WHERE item_id = 'github:issue:{SHOP}:1' ORDER BY occurred_at") == [
        ("alice", "opened"), ("bob", "commented"), ("bob", "closed"),
    ]  # fmt: skip
    assert rows(
        store, f"SELECT to_ref, kind FROM links WHERE from_id = 'github:issue:{SHOP}:1'"
    ) == [("5a1e0c3d2b4f6a8c0e1d3f5a7b9c1e3d5f7a9b0c", "closed_by")]


def test_actions_runs_and_jobs_of_every_attempt_become_builds(store: Store) -> None:
    sync(store, FakeGitHub())
    assert rows(store, "SELECT build_id, job, attempt, status, conclusion, started_at, finished_at FROM builds ORDER BY build_id") == [
        (f"github:build:{SHOP}:30433642:1", None, 1, "completed", "failure", datetime(2026, 1, 7, 9, 0, 3), datetime(2026, 1, 7, 9, 6)),
        (f"github:build:{SHOP}:30433700:2", None, 2, "completed", "success", datetime(2026, 1, 8, 12, 0), datetime(2026, 1, 8, 12, 4)),
        (f"github:build:{SHOP}:30433800:1", None, 1, "in_progress", None, datetime(2026, 1, 8, 16, 30, 5), None),
        (f"github:build:{SHOP}:job:3001", "lint", 1, "completed", "success", datetime(2026, 1, 7, 9, 0, 3), datetime(2026, 1, 7, 9, 1)),
        (f"github:build:{SHOP}:job:3002", "test", 1, "completed", "failure", datetime(2026, 1, 7, 9, 0, 4), datetime(2026, 1, 7, 9, 6)),
        (f"github:build:{SHOP}:job:4001", "test", 1, "completed", "failure", datetime(2026, 1, 8, 10, 1, 10), datetime(2026, 1, 8, 10, 5)),
        (f"github:build:{SHOP}:job:4002", "test", 2, "completed", "success", datetime(2026, 1, 8, 12, 0), datetime(2026, 1, 8, 12, 4)),
        (f"github:build:{SHOP}:job:5001", "test", 1, "in_progress", None, datetime(2026, 1, 8, 16, 30, 5), None),
    ]  # fmt: skip


def test_deployments_take_their_latest_meaningful_status_and_releases_join_them(
    store: Store,
) -> None:
    sync(store, FakeGitHub())
    assert rows(store, "SELECT deployment_id, environment, ref, status, created_at, finished_at FROM deployments ORDER BY deployment_id") == [
        (f"github:deployment:{SHOP}:701", "production", "main", "success", datetime(2026, 1, 6, 9, 10), datetime(2026, 1, 6, 9, 20)),
        (f"github:deployment:{SHOP}:702", "staging", "main", "failure", datetime(2026, 1, 7, 9, 10), datetime(2026, 1, 7, 9, 14)),
        (f"github:deployment:{SHOP}:703", "production", "main", "in_progress", datetime(2026, 1, 8, 16, 40), None),
        (f"github:release:{SHOP}:601", "release", "v1.2.0", "success", datetime(2026, 1, 2, 10, 2), datetime(2026, 1, 2, 10, 2)),
        (f"github:release:{SHOP}:602", "release", "v1.2.1", "success", datetime(2026, 1, 8, 17, 1), datetime(2026, 1, 8, 17, 1)),
        (f"github:release:{SHOP}:603", "prerelease", "v1.3.0-rc1", "success", datetime(2026, 1, 9, 10, 5), datetime(2026, 1, 9, 10, 5)),
    ]  # fmt: skip


def test_lists_are_read_page_by_page(store: Store) -> None:
    fake = FakeGitHub()
    sync(store, fake)
    issue_pages = [r for r in fake.requests if r.startswith("/repos/acme/shop/issues?")]
    assert issue_pages == [
        "/repos/acme/shop/issues?state=all&sort=updated&direction=desc&per_page=2",
        "/repos/acme/shop/issues?state=all&sort=updated&direction=desc&per_page=2&page=2",
        "/repos/acme/shop/issues?state=all&sort=updated&direction=desc&per_page=2&page=3",
    ]
    assert fake.headers_seen[0]["accept"] == "application/vnd.github+json"
    assert fake.headers_seen[0]["x-github-api-version"] == "2022-11-28"


def test_second_run_reads_only_what_changed(store: Store) -> None:
    fake = FakeGitHub()
    sync(store, fake)
    issue = next(i for i in fake.issues if i["number"] == 4)
    issue.update(
        title="Rotate staging certificates before they expire", updated_at="2026-01-10T08:00:00Z"
    )
    fake.issues.append(
        {
            **issue,
            "number": 5,
            "id": 1000005,
            "title": "Flaky checkout test 🐛",
            "created_at": "2026-01-10T09:00:00Z",
            "updated_at": "2026-01-10T09:00:00Z",
        }
    )
    fake.timelines[5] = []
    fake.requests.clear()

    result = sync(store, fake)
    assert (result.new, result.updated, result.errors) == (1, 1, 0)
    assert (
        "/repos/acme/shop/issues?state=all&sort=updated&direction=desc&per_page=2&since=2026-01-09T11%3A00%3A00Z"
        in fake.requests
    )
    details = sorted(r for r in fake.requests if "/timeline" in r or "/pulls/" in r or "/jobs" in r)
    assert details == [
        "/repos/acme/shop/issues/4/timeline?per_page=100",
        "/repos/acme/shop/issues/5/timeline?per_page=100",
    ]
    assert rows(store, "SELECT title FROM work_items WHERE external_id IN ('4', '5') ORDER BY external_id") == [
        ("Rotate staging certificates before they expire",), ("Flaky checkout test 🐛",),
    ]  # fmt: skip
    assert rows(
        store, "SELECT cursor FROM sync_state WHERE scope = 'github.com/acme/shop:issues'"
    ) == [('{"since": "2026-01-10T09:00:00Z"}',)]
    third = sync(store, fake)
    assert (third.new, third.updated) == (0, 0)


def test_unfinished_runs_and_deployments_are_read_again_until_they_finish(store: Store) -> None:
    fake = FakeGitHub()
    sync(store, fake, include=["actions", "deployments"])
    run = next(r for r in fake.runs if r["id"] == 30433800)
    run.update(status="completed", conclusion="success", updated_at="2026-01-08T16:36:00Z")
    fake.jobs[30433800][0].update(
        status="completed", conclusion="success", completed_at="2026-01-08T16:35:00Z"
    )
    fake.statuses[703].insert(
        0,
        {
            **fake.statuses[703][0],
            "id": 7033,
            "state": "success",
            "created_at": "2026-01-08T16:50:00Z",
        },
    )
    fake.requests.clear()

    result = sync(store, fake, include=["actions", "deployments"])
    assert (result.new, result.updated) == (0, 3)  # the run, its job, the deployment
    assert "/repos/acme/shop/actions/runs/30433800/jobs?per_page=100&filter=all" in fake.requests
    assert (
        "/repos/acme/shop/actions/runs/30433700/jobs?per_page=100&filter=all" not in fake.requests
    )
    assert rows(store, f"SELECT status, finished_at FROM deployments WHERE deployment_id = 'github:deployment:{SHOP}:703'") == [
        ("success", datetime(2026, 1, 8, 16, 50))
    ]  # fmt: skip
    assert rows(store, "SELECT cursor FROM sync_state WHERE scope LIKE '%:actions'") == [
        ('{"since": "2026-01-08T16:30:00Z"}',)
    ]


def test_an_empty_repository_syncs_to_nothing(store: Store) -> None:
    fake = FakeGitHub()
    fake.issues, fake.pulls, fake.runs, fake.deployments, fake.releases = [], [], [], [], []
    result = sync(store, fake)
    assert (result.new, result.errors) == (0, 0)
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]


def test_retries_inside_pagination_lose_nothing(store: Store) -> None:
    fake = FakeGitHub()
    fake.fail("/repos/acme/shop/issues/1/timeline", error(500, "Server Error"))
    fake.fail("/repos/acme/shop/pulls", error(429, "slow down", Retry_After="3"))
    fake.fail("/repos/acme/shop/actions/runs", httpx2.ReadTimeout("timed out"))
    fake.fail(
        "/repos/acme/shop/issues/3/timeline",
        error(403, "API rate limit exceeded", X_RateLimit_Remaining="0", X_RateLimit_Reset="0"),
    )
    sleeps: list[float] = []
    result = sync(store, fake, sleeps)
    assert result.errors == 0
    assert 3.0 in sleeps and 1.0 in sleeps  # Retry-After; a reset already past waits one second
    expected = FakeGitHub()
    with Store.open(store.path.parent / "clean.duckdb") as clean:
        sync(clean, expected)
        assert snapshot(store) == snapshot(clean)


def test_404_and_403_stop_the_source(store: Store) -> None:
    fake = FakeGitHub()
    fake.fail("/repos/acme/shop/issues", error(404, "Not Found"))
    result = sync(store, fake)
    assert "github: https://api.github.com/repos/acme/shop/issues was not found (404)" in str(
        result.error
    )
    fake = FakeGitHub()
    fake.fail(
        "/repos/acme/shop/actions/runs",
        error(
            403,
            "Resource not accessible by personal access token",
            X_Accepted_GitHub_Permissions="actions=read",
        ),
    )
    result = sync(store, fake, include=["actions"])
    assert "lacks the permission actions=read" in str(result.error)


def test_what_was_fetched_before_an_error_is_kept_without_moving_the_cursor(store: Store) -> None:
    fake = FakeGitHub()
    fake.fail(
        "/repos/acme/shop/issues/4/timeline", error(403, "Must have admin rights to Repository.")
    )
    result = sync(store, fake, include=["issues"])
    assert "403 Forbidden for https://api.github.com/repos/acme/shop/issues/4/timeline" in str(
        result.error
    )
    assert rows(store, "SELECT external_id FROM work_items ORDER BY external_id") == [
        ("1",),
        ("2",),
        ("3",),
    ]
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]
    assert (sync(store, FakeGitHub(), include=["issues"]).new, result.new) == (1, 3)


def test_a_malformed_page_stops_the_source_and_keeps_earlier_cursors(store: Store) -> None:
    fake = FakeGitHub()
    fake.fail(
        "/repos/acme/shop/pulls", (200, {"Content-Type": "application/json"}, b'[{"number": 7,')
    )
    result = sync(store, fake)
    assert "answered with a body that is not JSON" in str(result.error)
    assert rows(store, "SELECT scope FROM sync_state") == [("github.com/acme/shop:issues",)]


def test_github_enterprise_base_url(store: Store) -> None:
    fake = FakeGitHub(base="https://ghe.example.com/api/v3")
    sync(store, fake, base_url="https://ghe.example.com/api/v3", include=["issues"], timeline=False)
    assert fake.requests[0].startswith("/api/v3/repos/acme/shop/issues?")
    assert rows(store, "SELECT min(item_id) FROM work_items") == [
        ("github:issue:ghe.example.com/acme/shop:1",)
    ]


def test_a_saved_answer_loads_without_a_token(store: Store, tmp_path: Path) -> None:
    ctx = SourceContext("github", {})
    source = make_source(ctx, {})
    for name in (
        "issues.json",
        "pulls.json",
        "runs.json",
        "run-30433700-jobs.json",
        "deployments.json",
        "releases.json",
    ):
        result = sync_source(store, source, NullReporter(), FIXTURES / name)
        assert result.errors == 0, result.error
    assert rows(store, "SELECT count(*) FROM work_items") == [
        (7,)
    ]  # PR 7 from /issues, then from /pulls
    assert rows(store, "SELECT count(*), count(job) FROM builds") == [(5, 2)]
    assert rows(store, "SELECT count(*) FROM deployments") == [(6,)]
    assert rows(store, f"SELECT state_changes.to_value FROM state_changes WHERE item_id = 'github:issue:{SHOP}:1' ORDER BY occurred_at") == [("open",), ("closed",)]  # fmt: skip

    pages = tmp_path / "paginated.json"  # gh api --paginate: one array per page, back to back
    issues = json.loads((FIXTURES / "issues.json").read_text())
    pages.write_text(json.dumps(issues[:2]) + json.dumps(issues[2:]))
    with Store.open(tmp_path / "pages.duckdb") as other:
        assert sync_source(other, source, NullReporter(), pages).new == 5


def test_a_saved_file_that_is_not_github_names_file_and_line(store: Store, tmp_path: Path) -> None:
    saved = tmp_path / "saved.json"
    saved.write_text(
        '[\n  {"number": 1, "title": "ok", "html_url": "https://github.com/acme/shop/issues/1", "created_at": "2026-01-01T00:00:00Z"},\n  {"what": "else"}\n]'
    )
    source = make_source(SourceContext("github", {}), {})
    result = sync_source(store, source, NullReporter(), saved)
    assert str(result.error).startswith(f"{saved} line 3: not an issue, pull request")
    assert rows(store, "SELECT count(*) FROM work_items") == [(0,)]


def test_options_are_validated_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "ktlo.toml"
    config.write_text('[sources.github]\nrepos = ["acme/shop"]\nper_page = 500\n')
    with pytest.raises(ConfigError) as raised:
        make_source(
            SourceContext("github", {}, config_path=config),
            {"repos": ["acme/shop"], "per_page": 500},
        )
    assert str(raised.value).startswith(
        f"{config} line 3, sources.github.per_page: Input should be less than or equal to 100"
    )
    with pytest.raises(ConfigError, match="sources.gh.repoz: unknown option"):
        make_source(SourceContext("gh", {}), {"type": "github", "repoz": ["x/y"]})
    with pytest.raises(ConfigError, match="unknown source type 'jiraa'"):
        make_source(SourceContext("tickets", {}), {"type": "jiraa"})


def test_types_option_maps_issue_types(store: Store) -> None:
    sync(store, FakeGitHub(), include=["issues"], types={"Feature": "task"})
    assert rows(store, "SELECT standard_type FROM work_items WHERE external_id = '2'") == [
        ("task",)
    ]


def test_pull_requests_keep_what_the_dora_definitions_read(store: Store) -> None:
    """Each commit's author and committer times, the bot flag, and the base branch."""
    sync(store, FakeGitHub())
    assert rows(store, f"SELECT sha, authored_at, committed_at, author, is_bot FROM change_commits WHERE owner_id = 'github:pull_request:{SHOP}:7' ORDER BY sha") == [
        ("c0ffee0000000000000000000000000000000001", datetime(2026, 1, 8, 9, 50), datetime(2026, 1, 8, 9, 50), "bob", False),
        ("c0ffee0000000000000000000000000000000002", datetime(2026, 1, 8, 11, 20), datetime(2026, 1, 8, 11, 20), "Bob Chen", False),
    ]  # fmt: skip
    assert rows(store, f"SELECT bool_and(is_bot) FROM change_commits WHERE owner_id = 'github:pull_request:{SHOP}:8'") == [(True,)]  # fmt: skip
    assert rows(
        store, "SELECT DISTINCT base_branch FROM work_items WHERE kind = 'pull_request'"
    ) == [("main",)]


def test_a_saved_pull_request_brings_its_commits_reviews_and_statuses(
    store: Store, tmp_path: Path
) -> None:
    """Commits saved right after their pull request belong to it; reviews and deployment
    statuses name theirs, wherever they are in the file."""
    saved = tmp_path / "saved.json"
    pull = next(p for p in json.loads((FIXTURES / "pulls.json").read_text()) if p["number"] == 7)
    saved.write_text(
        json.dumps(json.loads((FIXTURES / "pull-7-reviews.json").read_text()))
        + json.dumps(pull)
        + (FIXTURES / "pull-7-commits.json").read_text()
        + (FIXTURES / "deployments.json").read_text()
        + (FIXTURES / "deployment-701-statuses.json").read_text()
    )
    result = sync_source(store, make_source(SourceContext("github", {}), {}), NullReporter(), saved)
    assert result.errors == 0, result.error
    pr = f"github:pull_request:{SHOP}:7"
    assert rows(store, f"SELECT count(*) FROM change_commits WHERE owner_id = '{pr}'") == [(2,)]
    assert rows(store, f"SELECT to_value FROM state_changes WHERE item_id = '{pr}' AND field = 'review' ORDER BY occurred_at") == [("commented",), ("approved",)]  # fmt: skip
    assert rows(store, "SELECT status, finished_at IS NOT NULL FROM deployments WHERE external_id = '701'") == [("success", True)]  # fmt: skip
    assert rows(store, "SELECT status FROM deployments WHERE external_id = '702'") == [
        ("pending",)
    ]  # its statuses not saved


def test_milestones_are_initiatives_and_a_pull_requests_commits_follow_it(store: Store) -> None:
    """Issue #2 and pull request #7 are in the milestone "Checkout v2" (issues.json and
    pulls.json, as GitHub's list endpoints answer): the milestone is their initiative."""
    from ktlo.effort.initiatives import build_initiatives

    sync(store, FakeGitHub())
    assert rows(store, "SELECT external_id, initiative FROM work_items WHERE kind <> 'commit' ORDER BY item_id") == [
        ("1", None), ("2", "Checkout v2"), ("3", None), ("4", None),
        ("7", "Checkout v2"), ("8", None), ("9", None),
    ]  # fmt: skip
    build_initiatives(store)
    assert rows(store, f"SELECT initiative, via FROM item_initiative WHERE item_id = 'github:pull_request:{SHOP}:7'") == [
        ("Checkout v2", "own")
    ]  # fmt: skip
