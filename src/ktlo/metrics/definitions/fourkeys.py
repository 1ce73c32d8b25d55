"""dora-team/fourkeys (queries/deployments.sql, changes.sql, incidents.sql; METRICS.md).

Their formulas, over ktlo's tables (the report's window stands for their "last three months"):

    deployments      successful deployments of any environment that shipped a change: their
                     deployments table joins each deployment to the push that carried its
                     commit and keeps only those it can join. ktlo's stand-in for that push:
                     the commits of the repository that landed after its previous successful
                     deployment (for the first one, only the deployed commit)
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


def _create_changes(ctx: Context) -> None:
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_fk_changes AS
        WITH deps AS (
            SELECT deploy_id, repo_id, sha, deployed_at,
                   lag(deployed_at) OVER (PARTITION BY repo_id ORDER BY deployed_at, deploy_id) AS prev_at
            FROM h_deploys WHERE status = 'success' AND repo_id IS NOT NULL
        )
        SELECT d.deploy_id, d.deployed_at, c.sha, c.authored_at
        FROM deps d JOIN commits c ON c.repo_id = d.repo_id AND c.committed_at <= d.deployed_at
         AND c.committed_at > d.prev_at
        UNION ALL
        SELECT d.deploy_id, d.deployed_at, c.sha, c.authored_at
        FROM deps d JOIN commits c ON d.prev_at IS NULL AND c.repo_id = d.repo_id AND c.sha = d.sha
        """
    )


def _frequency(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        """
        WITH deps AS (SELECT DISTINCT deploy_id, deployed_at FROM h_fk_changes),
        first_event AS (
            SELECT CAST(least((SELECT min(deployed_at) FROM h_deploys), (SELECT min(authored_at) FROM h_fk_changes),
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
            FROM h_incidents i JOIN h_fk_changes c ON i.root_cause = c.sha GROUP BY i.incident_id
        ),
        inc AS (
            SELECT least(i.created_at, coalesce(r.deployed_at, i.created_at)) AS created, i.resolved_at
            FROM h_incidents i LEFT JOIN root r USING (incident_id)
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
        FROM h_fk_changes c LEFT JOIN h_incidents i ON i.root_cause = c.sha
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
