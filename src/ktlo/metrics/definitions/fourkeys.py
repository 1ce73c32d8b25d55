"""dora-team/fourkeys (queries/deployments.sql, changes.sql, incidents.sql; METRICS.md).

Their formulas, over ktlo's tables (the report's window stands for their "last three months"):

    deployments      successful deployments of any environment, at their finish, joined to
                     the push whose head (`after`) is the deployed commit: its commits are the
                     deployment's changes; one joined to no push is dropped. Without pushes
                     stored, a stand-in push (`_create_changes`)
    frequency        weeks starting on Sunday, days after the first event: "Daily" when the
                     median number of days with a deployment per week is >= 3, "Weekly" when
                     the median week had one, "Monthly" when the median of deployments-weeks
                     per month is >= 1, else "Yearly"
    lead time        deployment - commit, whole minutes, per deployed commit; values <= 0
                     ignored ("automated changes"); interpolated median (PERCENTILE_CONT)
    time to restore  incident created (or its root-cause deployment, if earlier) -> resolved,
                     whole hours; interpolated median of incidents created in the window
    change failure   incidents whose `root cause: <sha>` is a deployed commit, counted per
                     (deployment, commit) row, / deployments: incidents, not failed deployments

Buckets follow the dashboard's colours (dashboard/fourkeys_dashboard.json): purple elite,
green high, yellow medium, red low.
"""

from __future__ import annotations

from typing import Any

from ktlo.metrics.common import Context, figure, per_window
from ktlo.metrics.definitions.devlake import with_buckets

ROOT_CAUSE = r"root cause: ([[:alnum:]]*)"  # queries/incidents.sql line 25


def _create_changes(ctx: Context) -> None:
    """h_fk_changes: (deployment, commit) rows, fourkeys' `deployments d, d.changes`.

    queries/deployments.sql joins a successful deployment to the events whose id is its
    commit: a push's id is its head commit (github-parser/main.py line 91), so the changes
    are the commits of the pushes whose `after` is the deployed commit. A repository with
    no push stored gets a stand-in for the push of the deployed commit (`head^1..head`):
    that commit, and the commits of the pull request merged as it when it is a merge
    commit (two parents in git; without git, when the deployment lists those commits, or
    lists none); a squash or rebase merge pushes only its own commit.
    """
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_fk_changes AS
        WITH deps AS (
            SELECT deploy_id, repo_id, lower(sha) AS sha, deployed_at FROM h_deploys
            WHERE status = 'success' AND sha IS NOT NULL
        ),
        pushed AS (  -- repositories with pushes (a push without one counts for the deployment it heads)
            SELECT repo_id FROM h_pushes WHERE repo_id IS NOT NULL
            UNION SELECT d.repo_id FROM deps d JOIN h_pushes p ON p.repo_id IS NULL AND p.after_sha = d.sha
        ),
        from_pushes AS (
            SELECT d.deploy_id, d.deployed_at, lower(c.sha) AS sha, c.authored_at, 'push' AS how
            FROM deps d JOIN h_pushes p ON p.after_sha = d.sha AND coalesce(p.repo_id, d.repo_id) = d.repo_id
            JOIN change_commits c ON c.owner_id = p.push_id
            WHERE d.repo_id IN (SELECT repo_id FROM pushed)
        ),
        merged AS (  -- the pull request merged as the deployed commit
            SELECT d.deploy_id, l.from_id AS pull_id, w.merged_at
            FROM deps d JOIN links l ON l.kind = 'merged_as' AND lower(l.to_ref) = d.sha
            JOIN work_items w ON w.item_id = l.from_id
            WHERE d.repo_id NOT IN (SELECT repo_id FROM pushed)
        ),
        head_time AS (
            SELECT d.deploy_id, coalesce(min(g.authored_at), min(c.authored_at), min(m.merged_at)) AS ts
            FROM deps d LEFT JOIN commits g ON g.repo_id = d.repo_id AND g.sha = d.sha
            LEFT JOIN change_commits c ON lower(c.sha) = d.sha
            LEFT JOIN merged m USING (deploy_id)
            WHERE d.repo_id NOT IN (SELECT repo_id FROM pushed)
            GROUP BY d.deploy_id
        ),
        git_head AS (
            SELECT d.deploy_id, len(g.parents) AS parents
            FROM deps d JOIN commits g ON g.repo_id = d.repo_id AND g.sha = d.sha
        ),
        listed AS (  -- what a deployment record says it shipped
            SELECT owner_id AS deploy_id, lower(sha) AS sha FROM change_commits
            WHERE owner_id IN (SELECT deploy_id FROM deps)
        ),
        stand_in AS (
            SELECT d.deploy_id, d.deployed_at, d.sha, h.ts AS authored_at, 'deployed commit' AS how
            FROM deps d JOIN head_time h USING (deploy_id)
            UNION ALL  -- a merge pushes the pull request's commits; a squash or rebase does not
            SELECT d.deploy_id, d.deployed_at, lower(c.sha), c.authored_at,
                   'commit of the pull request merged as it' AS how
            FROM deps d JOIN merged m USING (deploy_id) JOIN change_commits c ON c.owner_id = m.pull_id
            LEFT JOIN git_head g USING (deploy_id)
            WHERE (g.parents IS NULL OR g.parents > 1)
              AND (d.deploy_id NOT IN (SELECT deploy_id FROM listed)
                   OR (d.deploy_id, lower(c.sha)) IN (SELECT (deploy_id, sha) FROM listed))
        )
        SELECT deploy_id, any_value(deployed_at) AS deployed_at, sha, min(authored_at) AS authored_at,
               min(how) AS how
        FROM (SELECT * FROM from_pushes UNION ALL SELECT * FROM stand_in)
        GROUP BY deploy_id, sha
        """
    )
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_fk_incidents AS
        SELECT incident_id, external_id, created_at, resolved_at,
               regexp_extract(title || ' ' || coalesce(raw, ''), $root_cause, 1) AS root_cause
        FROM incidents WHERE incident_id IN (SELECT incident_id FROM h_incidents)
        """,
        root_cause=ROOT_CAUSE,
    )


def _frequency(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        """
        WITH deps AS (SELECT DISTINCT deploy_id, deployed_at FROM h_fk_changes),
        first_event AS (
            SELECT CAST(least((SELECT min(deployed_at) FROM h_deploys), (SELECT min(authored_at) FROM h_fk_changes),
                              (SELECT min(pushed_at) FROM h_pushes),
                              (SELECT min(created_at) FROM h_incidents)) AS DATE) AS day
        ),
        days AS (
            SELECT idx, CAST(unnest(range(w_start, w_end, INTERVAL 1 DAY)) AS DATE) AS day FROM h_windows
        ),
        kept AS (SELECT * FROM days WHERE day > (SELECT day FROM first_event)),
        dep_days AS (SELECT DISTINCT CAST(deployed_at AS DATE) AS day FROM deps),
        weeks AS (
            SELECT k.idx, CAST(date_trunc('week', k.day + 1) AS DATE) - 1 AS week,
                   max(CASE WHEN d.day IS NOT NULL THEN 1 ELSE 0 END) AS week_deployed,
                   count(DISTINCT d.day) AS days_deployed
            FROM kept k LEFT JOIN dep_days d USING (day) GROUP BY ALL
        ),
        monthly AS (
            SELECT *, sum(week_deployed) OVER (PARTITION BY idx, date_trunc('month', week)) AS monthly_deploys
            FROM weeks
        )
        SELECT idx, quantile_cont(days_deployed::DOUBLE, 0.5) AS days_per_week,
               quantile_cont(week_deployed::DOUBLE, 0.5) AS weekly,
               quantile_cont(monthly_deploys::DOUBLE, 0.5) AS monthly
        FROM monthly GROUP BY idx
        """
    )


def _frequency_label(row: dict[str, Any]) -> tuple[str | None, str]:
    if row.get("days_per_week") is None:
        return None, "N/A"
    if row["days_per_week"] >= 3:
        return "elite", "Daily"
    if row["weekly"] >= 1:
        return "high", "Weekly"
    return ("medium", "Monthly") if row["monthly"] >= 1 else ("low", "Yearly")


def _lead_time(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        """
        WITH m AS (SELECT deployed_at, trunc(epoch(deployed_at - authored_at) / 60) AS minutes FROM h_fk_changes)
        SELECT w.idx, quantile_cont(minutes::DOUBLE, 0.5) FILTER (WHERE minutes > 0) AS minutes,
               count(*) FILTER (WHERE minutes > 0) AS changes,
               count(*) FILTER (WHERE minutes <= 0) AS ignored_non_positive
        FROM m JOIN h_windows w ON m.deployed_at >= w.w_start AND m.deployed_at < w.w_end
        GROUP BY w.idx
        """
    )


def _hours_label(hours: float | None, first: str) -> tuple[str | None, str]:
    """One day / One week / One month / Six months / One year, coloured per metric."""
    if hours is None:
        return None, "N/A"
    names = ("One day", "One week", "One month", "Six months")
    limits = (24, 168, 730, 730 * 6)
    colours = {
        "lead": ("elite", "high", "medium", "low"),
        "restore": ("high", "medium", "low", "low"),
    }
    for limit, name, bucket in zip(limits, names, colours[first], strict=True):
        if hours < limit:
            return bucket, name
    return "low", "One year"


def _restore(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        """
        WITH root AS (
            SELECT i.incident_id, min(c.deployed_at) AS deployed_at
            FROM h_fk_incidents i JOIN h_fk_changes c ON i.root_cause = c.sha GROUP BY i.incident_id
        ),
        inc AS (
            SELECT least(i.created_at, coalesce(r.deployed_at, i.created_at)) AS created, i.resolved_at
            FROM h_fk_incidents i LEFT JOIN root r USING (incident_id)
        )
        SELECT w.idx, quantile_cont(trunc(epoch(resolved_at - created) / 3600)::DOUBLE, 0.5) AS hours,
               count(resolved_at) AS incidents
        FROM inc JOIN h_windows w ON inc.created >= w.w_start AND inc.created < w.w_end
        GROUP BY w.idx
        """
    )


def _failure_rate(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        """
        SELECT w.idx, count(DISTINCT c.deploy_id) AS deployments, count(i.incident_id) AS failures
        FROM h_fk_changes c LEFT JOIN h_fk_incidents i ON i.root_cause = c.sha
        JOIN h_windows w ON c.deployed_at >= w.w_start AND c.deployed_at < w.w_end
        GROUP BY w.idx
        """
    )


def _cfr_label(rate: float | None) -> tuple[str | None, str]:
    if rate is None:
        return None, "N/A"
    if rate <= 0.15:
        return "high", "0-15%"
    return ("medium", "16-45%") if rate < 0.46 else ("low", "46-60%")


def dora(ctx: Context) -> dict[str, Any]:
    """fourkeys' four figures and its dashboard's buckets."""
    _create_changes(ctx)
    freq = {r["idx"]: r for r in _frequency(ctx)}
    lead = _lead_time(ctx)
    restore = _restore(ctx)
    cfr = {r["idx"]: r for r in _failure_rate(ctx)}
    rates = [
        round(cfr[k]["failures"] / cfr[k]["deployments"], 4)
        if k in cfr and cfr[k]["deployments"]
        else None
        for k in range(len(ctx.windows))
    ]
    lead_hours = [None if m is None else m / 60 for m in per_window(lead, ctx, "minutes")]
    restore_hours = per_window(restore, ctx, "hours")
    now_lead = next((r for r in lead if r["idx"] == 0), {})
    doc: dict[str, Any] = {
        "definition": "fourkeys",
        "deployment_frequency": figure(
            [freq.get(k, {}).get("days_per_week") for k in range(len(ctx.windows))],
            "median deployment days per week", "up",
        ),
        "lead_time": figure(lead_hours, "hours", "down", changes=now_lead.get("changes", 0),
                            ignored_non_positive=now_lead.get("ignored_non_positive", 0)),
        "change_failure_rate": figure(rates, "ratio", "down", digits=4,
                                      deployments=cfr.get(0, {}).get("deployments", 0),
                                      failures=cfr.get(0, {}).get("failures", 0)),
        "recovery_time": figure(restore_hours, "hours", "down", name="time to restore services",
                                incidents=next((r["incidents"] for r in restore if r["idx"] == 0), 0)),
    }  # fmt: skip
    return with_buckets(doc, {
        "deployment_frequency": _frequency_label(freq.get(0, {})),
        "lead_time": _hours_label(lead_hours[0], "lead"),
        "change_failure_rate": _cfr_label(rates[0]),
        "recovery_time": _hours_label(restore_hours[0], "restore"),
    })  # fmt: skip
