"""middlewarehq/middleware (backend analytics services, web-server thresholds).

Their formulas, over the items of `middleware_tables` (middleware's team is the report's
scope, its interval the window; deployments at their start):

    frequency        successful deployments; daily = total // days, weekly = total // weeks
                     (Monday to Sunday, the window's weeks), monthly = total // months, the
                     weekly and monthly raised to at least daily x 7 and daily x 30; shown per
                     day when daily >= 1 (elite), else per week when weekly >= 1 (high), else
                     per month: 1 medium, more high, none low
    lead time        the mean over pull requests merged to the production branch in the
                     window of first commit (committer time) -> open (0 when negative) + open
                     -> first review + first review -> first approval + first approval ->
                     merge + merge -> deployment start (0 for pull-request deployments); a
                     missing part counts 0; pull requests of repositories deployed otherwise
                     count only once deployed
    change failure   deployments (any status) of the window in start order; each owns the
                     incidents (revert pull requests too) created from its start until the
                     next deployment's, whatever the service; failed = owns one
    recovery         mean of resolved - created over incidents resolved in the window
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ktlo.metrics.common import SECONDS, Context, Window, figure, has_deployments, per_window
from ktlo.metrics.definitions.devlake import with_buckets
from ktlo.metrics.definitions.middleware_tables import create_tables

DAY, WEEK, MONTH = 86400, 604800, 2629746  # date-fns secondsInDay / Week / Month


def _calendar(w: Window) -> tuple[int, int, int]:
    """Days, Monday-to-Sunday weeks and calendar months the window touches."""
    last = w.end - timedelta(microseconds=1)
    days = (w.end - w.start).days
    monday = w.start.date() - timedelta(days=w.start.weekday())
    sunday = last.date() + timedelta(days=6 - last.weekday())
    months = (last.year - w.start.year) * 12 + last.month - w.start.month + 1
    return days, ((sunday - monday).days + 1) // 7, months


def _frequency(ctx: Context) -> list[dict[str, Any]]:
    counts = per_window(ctx.rows(
        """
        SELECT w.idx, count(*) AS n FROM h_mw_deploys d
        JOIN h_windows w ON d.conducted_at >= w.w_start AND d.conducted_at < w.w_end
        WHERE d.status = 'success' GROUP BY w.idx
        """
    ), ctx, "n", 0)  # fmt: skip
    result = []
    for total, window in zip(counts, ctx.windows, strict=True):
        days, weeks, months = _calendar(window)
        daily = total // days
        weekly = max(total // weeks, daily * 7)
        monthly = max(total // months, daily * 30)
        result.append({"deployments": total, "daily": daily, "weekly": weekly, "monthly": monthly})
    return result


def _frequency_badge(row: dict[str, Any]) -> tuple[str | None, str | None, str]:
    if row["daily"] >= 1:
        return "elite", "day", f"{row['daily']} per day"
    if row["weekly"] >= 1:
        return "high", "week", f"{row['weekly']} per week"
    bucket = "medium" if row["monthly"] == 1 else "high" if row["monthly"] > 1 else "low"
    return bucket, "month", f"{row['monthly']} per month"


def _lead_time(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        f"""
        SELECT w.idx, count(*) AS pull_requests, avg({LEAD_SECONDS}) AS seconds,
               avg(merge_to_deploy) AS merge_to_deploy
        FROM h_mw_lead l JOIN h_windows w ON l.landed_at >= w.w_start AND l.landed_at < w.w_end
        WHERE counted GROUP BY w.idx
        """
    )


LEAD_SECONDS = "first_commit_to_open + first_response + rework + merge_time + merge_to_deploy"


def _create_owned(ctx: Context) -> None:
    """h_mw_owned: each deployment of a window and the incidents it owns
    (incidents.py lines 181-217: created from its start until the next deployment's)."""
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_mw_owned AS
        WITH deps AS (
            SELECT w.idx, d.* FROM h_mw_deploys d
            JOIN h_windows w ON d.conducted_at >= w.w_start AND d.conducted_at < w.w_end
        ),
        inc AS (
            SELECT w.idx, i.* FROM h_mw_incidents i
            JOIN h_windows w ON i.created_at >= w.w_start AND i.created_at < w.w_end
        ),
        owned AS (
            SELECT d.deploy_id, i.incident_id, i.external_id AS incident FROM inc i
            ASOF JOIN deps d ON i.idx = d.idx AND i.created_at >= d.conducted_at
        )
        SELECT d.idx, d.deploy_id, d.external_id, d.conducted_at, d.status,
               list(o.incident ORDER BY o.incident) FILTER (WHERE o.incident IS NOT NULL) AS incidents
        FROM deps d LEFT JOIN owned o USING (deploy_id) GROUP BY ALL
        """
    )


def _failure_rate(ctx: Context) -> list[dict[str, Any]]:
    _create_owned(ctx)
    return ctx.rows(
        """
        SELECT idx, count(*) AS deployments, count(*) FILTER (WHERE len(incidents) > 0) AS failed
        FROM h_mw_owned GROUP BY idx
        """
    )


def _recovery(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        f"""
        SELECT w.idx, avg({SECONDS.format("resolved_at - created_at")}) AS seconds, count(*) AS incidents
        FROM h_mw_incidents i JOIN h_windows w ON i.resolved_at >= w.w_start AND i.resolved_at < w.w_end
        GROUP BY w.idx
        """
    )


def _seconds_bucket(
    seconds: float | None, limits: tuple[float, float, float], elite_inclusive: bool
) -> str | None:
    if seconds is None:
        return None
    if seconds < limits[0] or (elite_inclusive and seconds == limits[0]):
        return "elite"
    return "high" if seconds < limits[1] else "medium" if seconds < limits[2] else "low"


def _cfr_bucket(rate: float | None) -> str | None:
    if rate is None:
        return None
    percent = round(rate * 100, 2)
    return (
        "elite"
        if percent <= 5
        else "high"
        if percent <= 10
        else "medium"
        if percent <= 15
        else "low"
    )


def dora(ctx: Context) -> dict[str, Any]:
    """middleware's four figures and its web thresholds."""
    create_tables(ctx)
    freq = _frequency(ctx)
    lead = _lead_time(ctx)
    cfr = {r["idx"]: r for r in _failure_rate(ctx)}
    rec = _recovery(ctx)
    rates = [round(cfr[k]["failed"] / cfr[k]["deployments"], 4) if k in cfr else None
             for k in range(len(ctx.windows))]  # fmt: skip
    lead_s, rec_s = per_window(lead, ctx, "seconds"), per_window(rec, ctx, "seconds")
    known = has_deployments(ctx)
    bucket, duration, label = _frequency_badge(freq[0]) if known else (None, None, "N/A")
    lead_bucket = _seconds_bucket(lead_s[0], (DAY, WEEK, MONTH), elite_inclusive=True)
    rec_bucket = _seconds_bucket(rec_s[0], (3600, DAY, WEEK), elite_inclusive=False)
    doc: dict[str, Any] = {
        "definition": "middleware",
        "deployment_frequency": figure([f["weekly"] if known else None for f in freq],
                                       "deployments per week (integer average)",
                                       "up", deployments=freq[0]["deployments"], per_day=freq[0]["daily"],
                                       per_month=freq[0]["monthly"], duration=duration),
        "lead_time": figure([_hours(s) for s in lead_s], "hours", "down", name="mean lead time",
                            pull_requests=next((r["pull_requests"] for r in lead if r["idx"] == 0), 0)),
        "change_failure_rate": figure(rates, "ratio", "down", digits=4,
                                      deployments=cfr.get(0, {}).get("deployments", 0),
                                      failed_deployments=cfr.get(0, {}).get("failed", 0)),
        "recovery_time": figure([_hours(s) for s in rec_s], "hours", "down", name="mean time to recovery",
                                incidents=next((r["incidents"] for r in rec if r["idx"] == 0), 0)),
    }  # fmt: skip
    return with_buckets(doc, {
        "deployment_frequency": (bucket, label),
        "lead_time": (lead_bucket, lead_bucket or "N/A"),
        "change_failure_rate": (_cfr_bucket(rates[0]), _cfr_bucket(rates[0]) or "N/A"),
        "recovery_time": (rec_bucket, rec_bucket or "N/A"),
    })  # fmt: skip


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600
