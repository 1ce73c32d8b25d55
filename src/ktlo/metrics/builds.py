"""CI builds: how long, how often red, how flaky, how long queued, what red main costs.

A build is a workflow run (a job only where its workflow has no run rows). Per window, by
the time it started:

    duration        started -> finished of completed runs, minutes (median, p90), per workflow
    failure rate    failed / (passed + failed); cancelled and skipped runs are left out
    flaky rate      commits (per workflow) whose run failed and then passed on a re-run of
                    the same commit / commits built
    queue time      queued -> started, minutes
    red main        a main-branch workflow is red from a failed run (after a green one) until
                    its next passing run; developer hours lost = red hours x the people who
                    committed to the repository while it was red
"""

from __future__ import annotations

from typing import Any

from ktlo.metrics.common import (
    SECONDS,
    Context,
    figure,
    in_scope,
    per_window,
    ratio,
    rounded,
    stats_sql,
    window_of,
)
from ktlo.metrics.deployments import STATUSES
from ktlo.metrics.health_document import Builds
from ktlo.store.temp_tables import require

LOOKBACK_DAYS = 30  # read builds this long before the oldest window: red spells that began earlier
TOP_WORKFLOWS = 20


def build_builds(ctx: Context) -> None:
    """`h_builds`: the builds in scope and range, with passed, failed and on-main flags."""
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_builds AS
        WITH scoped AS (
            SELECT * FROM builds
            WHERE coalesce(started_at, queued_at) < $until::TIMESTAMP
              AND coalesce(started_at, queued_at) >= $oldest::TIMESTAMP - INTERVAL {LOOKBACK_DAYS} DAY
              AND {in_scope(ctx, repo="repo_id")}
        ),
        with_runs AS (SELECT DISTINCT repo_id, workflow FROM scoped WHERE job IS NULL)
        SELECT repo_id, coalesce(workflow, '(none)') AS workflow, job, sha, branch, attempt,
               queued_at, started_at, finished_at, coalesce(started_at, queued_at) AS ts,
               list_contains($failed, lower(conclusion)) AS failed, list_contains($success, lower(conclusion)) AS passed,
               regexp_matches(coalesce(branch, ''), $main_branch) AS on_main
        FROM scoped s
        WHERE job IS NULL OR NOT EXISTS (
            SELECT 1 FROM with_runs r WHERE r.repo_id IS NOT DISTINCT FROM s.repo_id
              AND r.workflow IS NOT DISTINCT FROM s.workflow)
        """,
        **STATUSES,
    )


def builds(ctx: Context) -> Builds:
    """The builds section of the health document."""
    require(ctx.store, "h_builds")
    mean = ctx.options.mean
    rows = ctx.rows(
        f"""
        SELECT idx, count(*) FILTER (WHERE passed OR failed) AS completed,
               count(*) FILTER (WHERE failed) AS failed,
               {stats_sql("epoch(finished_at - started_at) / 60", mean, "dur_", "passed OR failed")},
               {stats_sql("epoch(started_at - queued_at) / 60", mean, "queue_")}
        FROM (SELECT *, {window_of(ctx, "ts")} AS idx FROM h_builds) w
        WHERE idx IS NOT NULL GROUP BY idx
        """
    )
    flaky = ctx.rows(
        f"""
        WITH commits AS (
            SELECT repo_id, workflow, sha, min(ts) AS first_ts,
                   min(ts) FILTER (WHERE failed) < max(ts) FILTER (WHERE passed) AS flaky
            FROM h_builds WHERE sha IS NOT NULL GROUP BY ALL
        )
        SELECT idx, count(*) AS commits, count(*) FILTER (WHERE flaky) AS flaky
        FROM (SELECT *, {window_of(ctx, "first_ts")} AS idx FROM commits)
        WHERE idx IS NOT NULL GROUP BY idx
        """
    )
    now = next((r for r in rows if r["idx"] == 0), {})
    now_flaky = next((r for r in flaky if r["idx"] == 0), {})

    def extra(prefix: str) -> dict[str, Any]:
        return {"mean": rounded(now.get(f"{prefix}mean"))} if mean else {}

    return Builds.model_validate({
        "duration": figure(per_window(rows, ctx, "dur_median"), "minutes", "down",
                           p90=rounded(now.get("dur_p90")), **extra("dur_")),
        "failure_rate": figure(
            [ratio(r.get("failed"), r.get("completed")) for r in _by_idx(ctx, rows)], "ratio", "down",
            digits=4, failed=now.get("failed", 0), completed=now.get("completed", 0)),
        "flaky_rate": figure(
            [ratio(r.get("flaky"), r.get("commits")) for r in _by_idx(ctx, flaky)], "ratio", "down",
            digits=4, flaky_commits=now_flaky.get("flaky", 0), commits=now_flaky.get("commits", 0)),
        "queue_time": figure(per_window(rows, ctx, "queue_median"), "minutes", "down",
                             p90=rounded(now.get("queue_p90")), **extra("queue_")),
        "red_main": _red_main(ctx),
        "by_workflow": _by_workflow(ctx),
    })  # fmt: skip


def _by_idx(ctx: Context, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = {r["idx"]: r for r in rows}
    return [found.get(k, {}) for k in range(len(ctx.windows))]


def _by_workflow(ctx: Context) -> list[dict[str, Any]]:
    """The current window's (`$start0`..`$end0`) runs per workflow."""
    rows = ctx.rows(
        f"""
        WITH flaky AS (
            SELECT repo_id, workflow, sha,
                   coalesce(min(ts) FILTER (WHERE failed) < max(ts) FILTER (WHERE passed), FALSE) AS flaky
            FROM h_builds WHERE sha IS NOT NULL
              AND ts >= $start0::TIMESTAMP AND ts < $end0::TIMESTAMP
            GROUP BY ALL
        )
        SELECT b.workflow, count(*) FILTER (WHERE passed OR failed) AS runs,
               count(*) FILTER (WHERE failed) AS failed,
               {stats_sql("epoch(finished_at - started_at) / 60", False, "duration_", "passed OR failed")},
               quantile_cont((epoch(started_at - queued_at) / 60)::DOUBLE, 0.5) AS queue_median,
               (SELECT count(*) FILTER (WHERE f.flaky) FROM flaky f WHERE f.workflow = b.workflow) AS flaky_commits
        FROM h_builds b
        WHERE ts >= $start0::TIMESTAMP AND ts < $end0::TIMESTAMP
        GROUP BY b.workflow ORDER BY runs DESC, b.workflow LIMIT {TOP_WORKFLOWS}
        """
    )
    for r in rows:
        r["failure_rate"] = ratio(r["failed"], r["runs"])
        for key in ("duration_median", "duration_p90", "queue_median"):
            r[key] = rounded(r[key])
    return rows


def _red_main(ctx: Context) -> dict[str, Any]:
    until = "$until"
    rows = ctx.rows(
        f"""
        WITH main AS (
            SELECT repo_id, workflow, coalesce(finished_at, ts) AS t, failed
            FROM h_builds
            WHERE (passed OR failed) AND on_main
        ),
        marked AS (SELECT *, lag(failed) OVER (PARTITION BY repo_id, workflow ORDER BY t) AS was_red FROM main),
        starts AS (SELECT repo_id, workflow, t AS red_from FROM marked WHERE failed AND NOT coalesce(was_red, FALSE)),
        spells AS (
            SELECT s.repo_id, s.workflow, s.red_from, coalesce(g.t, {until}::TIMESTAMP) AS red_to
            FROM starts s ASOF LEFT JOIN (SELECT repo_id, workflow, t FROM main WHERE NOT failed) g
              ON s.repo_id = g.repo_id AND s.workflow = g.workflow AND s.red_from < g.t
        ),
        clipped AS (
            SELECT w.idx, sp.repo_id, greatest(sp.red_from, w.w_start) AS f, least(sp.red_to, w.w_end) AS t
            FROM spells sp JOIN h_windows w ON sp.red_from < w.w_end AND sp.red_to > w.w_start
        ),
        pushes AS (
            SELECT k.repo_id, k.committed_at, coalesce(wi.author_email, wi.author_name) AS person
            FROM commits k JOIN work_items wi USING (item_id)
            WHERE k.repo_id IN (SELECT repo_id FROM clipped)
        ),
        people AS (
            SELECT c.idx, c.f, c.t, c.repo_id, count(DISTINCT p.person) AS n
            FROM clipped c
            LEFT JOIN pushes p ON p.repo_id = c.repo_id AND p.committed_at >= c.f AND p.committed_at < c.t
            GROUP BY ALL
        )
        SELECT idx, count(*) AS spells, sum({SECONDS.format("t - f")}) / 3600.0 AS red_hours,
               sum({SECONDS.format("t - f")} * n) / 3600.0 AS developer_hours
        FROM people GROUP BY idx
        """
    )
    now = next((r for r in rows if r["idx"] == 0), {})
    return figure(per_window(rows, ctx, "red_hours", 0.0), "hours", "down", digits=1,
                  red_spells=now.get("spells", 0),
                  developer_hours_lost=round(now.get("developer_hours") or 0.0, 1),
                  developer_hours_series=[round(v, 1) for v in per_window(rows, ctx, "developer_hours", 0.0)][::-1])  # fmt: skip
