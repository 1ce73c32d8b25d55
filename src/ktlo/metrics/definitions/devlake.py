"""Apache DevLake's DORA dashboard (grafana/dashboards/DORA.json, plugins/dora), 2023 or 2021.

Their formulas, over ktlo's tables (DevLake's `project` is the report's scope, its Grafana
time range the report's window, its production deployments ktlo's successful ones):

    medians          "lower medians": max(x) where percent_rank() <= 0.5 (the six-month
                     one of 2021: min(x) where percent_rank() >= 0.5)
    frequency        days with a deployment per calendar week (Monday) and month of the window
    lead time        a pull request's cycle time: coding (first commit authored -> opened) +
                     open -> merged + merged -> its deployment finished, each rounded up to
                     whole minutes and dropped when negative; its deployment is the first (by
                     start) successful production deployment having a previous one whose
                     commits since it hold the merge sha (ktlo.metrics.shipped), so a
                     repository's first deployment counts none
    incidents        each linked to the latest successful production deployment of the
                     project finished before it was created, whatever its service
    change failure   deployments with a linked incident / deployments finished in the window
    recovery (2023)  deployment finished -> incident resolved (minutes, truncated), incidents
                     resolved in the window whose deployment finished in the window
    restore (2021)   incident created -> resolved (minutes, truncated), resolved in the window
"""

from __future__ import annotations

from typing import Any

from ktlo.metrics.common import (
    Context,
    figure,
    has_deployments,
    per_window,
    ratio,
    rounded,
)
from ktlo.metrics.shipped import deploy_commits_known
from ktlo.store.temp_tables import require

LABELS = {
    "2023": {
        "deployment_frequency": {
            "elite": "On-demand(elite)", "high": "Between once per day and once per week(high)",
            "medium": "Between once per week and once per month(medium)", "low": "Fewer than once per month(low)"},
        "lead_time": {
            "elite": "Less than one day(elite)", "high": "Between one day and one week(high)",
            "medium": "Between one week and one month(medium)", "low": "More than one month(low)"},
        "change_failure_rate": {
            "elite": "0-5%(elite)", "high": "5%-10%(high)", "medium": "10%-15%(medium)", "low": "> 15%(low)"},
        "recovery_time": {
            "elite": "Less than one hour(elite)", "high": "Less than one day(high)",
            "medium": "Between one day and one week(medium)", "low": "More than one week(low)"},
    },
    "2021": {
        "deployment_frequency": {
            "elite": "On-demand(elite)", "high": "Between once per day and once per month(high)",
            "medium": "Between once per month and once every 6 months(medium)",
            "low": "Fewer than once per six months(low)"},
        "lead_time": {
            "elite": "Less than one hour(elite)", "high": "Less than one week(high)",
            "medium": "Between one week and six months(medium)", "low": "More than six months(low)"},
        "change_failure_rate": {
            "elite": "0-15%(elite)", "high": "16%-20%(high)", "medium": "21%-30%(medium)", "low": "> 30%(low)"},
        "recovery_time": {
            "elite": "Less than one hour(elite)", "high": "Less than one day(high)",
            "medium": "Between one day and one week(medium)", "low": "More than one week(low)"},
    },
}  # fmt: skip
LEAD_LIMITS = {
    "2023": (24 * 60, 7 * 24 * 60, 30 * 24 * 60),
    "2021": (60, 7 * 24 * 60, 180 * 24 * 60),
}
CFR_LIMITS = {"2023": (0.05, 0.10, 0.15), "2021": (0.15, 0.20, 0.30)}
RECOVERY_LIMITS = (60, 24 * 60, 7 * 24 * 60)
ORDER = ("elite", "high", "medium", "low")


def _lower_median(value: str, table: str) -> str:
    """DevLake's median: the largest value whose percent_rank is at most 0.5, per window."""
    return f"""(SELECT idx, max({value}) FILTER (WHERE pr <= 0.5) AS m FROM (
        SELECT idx, {value}, percent_rank() OVER (PARTITION BY idx ORDER BY {value}) AS pr FROM {table})
        GROUP BY idx)"""


def _below(value: float | None, limits: tuple[float, ...]) -> str | None:
    if value is None:
        return None
    return next((name for limit, name in zip(limits, ORDER, strict=False) if value < limit), "low")


def _at_most(value: float | None, limits: tuple[float, ...]) -> str | None:
    if value is None:
        return None
    return next((name for limit, name in zip(limits, ORDER, strict=False) if value <= limit), "low")


def _frequency(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        f"""
        WITH dep_days AS (SELECT DISTINCT CAST(deployed_at AS DATE) AS day FROM h_prod WHERE status = 'success'),
        days AS (SELECT idx, CAST(unnest(range(w_start, w_end, INTERVAL 1 DAY)) AS DATE) AS day FROM h_windows),
        grid AS (SELECT d.idx, d.day, dd.day IS NOT NULL AS deployed FROM days d LEFT JOIN dep_days dd USING (day)),
        weeks AS (SELECT idx, count(*) FILTER (WHERE deployed) AS n FROM grid GROUP BY idx, date_trunc('week', day)),
        months AS (
            SELECT idx, date_trunc('month', day) AS month, count(*) FILTER (WHERE deployed) AS n,
                   CASE WHEN bool_or(deployed) THEN 1 END AS deployed_month
            FROM grid GROUP BY ALL
        ),
        six AS (  -- DATE_FORMAT(month, '%Y-%m') DIV 6 is, in MySQL, the year DIV 6
            SELECT idx, sum(n) OVER r AS n, count(deployed_month) OVER r AS months,
                   row_number() OVER (PARTITION BY idx, year(month) // 6 ORDER BY month DESC) AS rn
            FROM months WINDOW r AS (PARTITION BY idx ORDER BY month ROWS BETWEEN 5 PRECEDING AND CURRENT ROW)
        ),
        six_ranked AS (SELECT *, percent_rank() OVER (PARTITION BY idx ORDER BY n) AS pr FROM six WHERE rn % 6 = 1),
        six_median AS (
            SELECT idx, min(n) FILTER (WHERE pr >= 0.5) AS m, min(months) FILTER (WHERE pr >= 0.5) AS collected
            FROM six_ranked GROUP BY idx
        )
        SELECT w.idx, wk.m AS week_days, mo.m AS month_days, s.m AS six_month_days, s.collected
        FROM h_windows w LEFT JOIN {_lower_median("n", "weeks")} wk USING (idx)
        LEFT JOIN {_lower_median("n", "months")} mo USING (idx) LEFT JOIN six_median s USING (idx)
        """
    )


def _frequency_bucket(report: str, row: dict[str, Any]) -> str | None:
    week, month = row.get("week_days"), row.get("month_days")
    six, collected = row.get("six_month_days"), row.get("collected")
    if week is not None and week >= 5:
        return "elite"
    if report == "2023":
        if week is not None and week >= 1:
            return "high"
        if month is not None and month >= 1:
            return "medium"
        return "low" if month is not None and collected is not None else None
    if month is not None and month >= 1:
        return "high"
    if six is not None and six >= 1:
        return "medium"
    return "low" if six is not None and collected is not None else None


def _span(start: str, end: str) -> str:
    """Go's computeTimeSpan: whole minutes rounded up, NULL when negative."""
    minutes = f"ceil(epoch({end} - {start}) / 60)"
    return f"CASE WHEN {minutes} >= 0 THEN {minutes} END"


def _create_lead(ctx: Context) -> None:
    """h_dl_lead: each pull request DevLake deploys, with its deployment and cycle minutes.

    change_lead_time_calculator.go: the deployment is the first (by start) successful
    production deployment that has a previous successful one and whose commits since it
    (commits_diffs) hold the pull request's merge sha; deploy time runs to its finish.
    """
    known = deploy_commits_known(ctx)
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_dl_lead AS
        WITH deps AS (SELECT * FROM h_deploy_prev WHERE prev_id IS NOT NULL),
        prs AS (SELECT *, {known} AS known FROM h_recent_changes WHERE kind = 'pull_request'),
        by_commits AS (
            SELECT p.change_id, arg_min(d.deploy_id, (d.started_at, d.deploy_id)) AS deploy_id,
                   'merge sha in its commits' AS how
            FROM prs p JOIN h_deploy_commits c ON c.sha = p.merge_sha JOIN deps d USING (deploy_id)
            WHERE p.known GROUP BY p.change_id
        ),
        by_time AS (  -- a repository whose deployments' commits are unknown: the next to start,
                      -- unless that is its first (which has no commits_diffs in DevLake)
            SELECT p.change_id, d.deploy_id, 'next deployment to start (commits unknown)' AS how
            FROM (SELECT * FROM prs WHERE NOT known) p
            ASOF JOIN h_deploy_prev d ON p.repo_id = d.repo_id AND p.landed_at <= d.started_at
            WHERE d.prev_id IS NOT NULL
        ),
        found AS (SELECT * FROM by_commits UNION ALL SELECT * FROM by_time)
        SELECT w.idx, p.change_id, p.repo_id, p.number, f.deploy_id, f.how, d.deployed_at,
               {_span("p.commit_at", "p.opened_at")} AS coding,
               {_span("p.opened_at", "p.landed_at")} AS open_to_merge,
               {_span("p.landed_at", "d.deployed_at")} AS deploy,
               coalesce(coding, 0) + coalesce(open_to_merge, 0) + coalesce(deploy, 0) AS minutes
        FROM prs p JOIN found f USING (change_id) JOIN h_deploys d ON d.deploy_id = f.deploy_id
        JOIN h_windows w ON d.deployed_at >= w.w_start AND d.deployed_at < w.w_end
        """
    )


def _lead_time(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        f"""
        SELECT m.idx, m.m AS minutes, (SELECT count(*) FROM h_dl_lead c WHERE c.idx = m.idx) AS pull_requests
        FROM {_lower_median("minutes", "h_dl_lead")} m
        """
    )


def _create_links(ctx: Context) -> None:
    """DevLake's ConnectIncidentToDeployment: the latest successful deployment before the incident.

    Incidents before the oldest window can only name deployments before it: they are not read.
    """
    oldest = "$oldest"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_devlake_links AS
        SELECT i.incident_id, i.created_at, i.resolved_at, d.deploy_id, d.deployed_at
        FROM (SELECT * FROM h_incidents WHERE created_at >= {oldest}::TIMESTAMP) i
        ASOF JOIN (SELECT * FROM h_prod WHERE status = 'success') d ON i.created_at > d.deployed_at
        """
    )


def _failure_rate(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        """
        SELECT w.idx, count(*) AS deployments,
               count(*) FILTER (WHERE d.deploy_id IN (SELECT deploy_id FROM h_devlake_links)) AS failed
        FROM h_prod d JOIN h_windows w ON d.deployed_at >= w.w_start AND d.deployed_at < w.w_end
        WHERE d.status = 'success' GROUP BY w.idx
        """
    )


def _recovery(ctx: Context, report: str) -> list[dict[str, Any]]:
    if report == "2023":
        minutes = "trunc(epoch(l.resolved_at - l.deployed_at) / 60)"
        table = f"""(SELECT w.idx, {minutes} AS minutes FROM h_devlake_links l JOIN h_windows w
                     ON l.resolved_at >= w.w_start AND l.resolved_at < w.w_end
                    AND l.deployed_at >= w.w_start AND l.deployed_at < w.w_end)"""
    else:
        table = """(SELECT w.idx, trunc(epoch(i.resolved_at - i.created_at) / 60) AS minutes
                    FROM h_incidents i JOIN h_windows w ON i.resolved_at >= w.w_start AND i.resolved_at < w.w_end)"""
    return ctx.rows(
        f"""
        WITH r AS {table}
        SELECT m.idx, m.m AS minutes, (SELECT count(*) FROM r WHERE r.idx = m.idx) AS incidents
        FROM {_lower_median("minutes", "r")} m
        """
    )


def dora(ctx: Context, report: str) -> dict[str, Any]:
    """DevLake's four DORA figures with its `report` ("2023" or "2021") benchmarks."""
    require(ctx.store, "h_incidents")
    _create_links(ctx)
    _create_lead(ctx)
    labels = LABELS[report]
    freq = {r["idx"]: r for r in _frequency(ctx)} if has_deployments(ctx) else {}
    lead, cfr, rec = _lead_time(ctx), _failure_rate(ctx), _recovery(ctx, report)
    incidents = ctx.rows("SELECT count(*) AS n FROM h_incidents")[0]["n"]
    rates = [ratio(r.get("failed"), r.get("deployments")) if incidents else None
             for r in _by_idx(ctx, cfr)]  # fmt: skip
    now_freq, now_lead = freq.get(0, {}), _by_idx(ctx, lead)[0]
    buckets = {
        "deployment_frequency": _frequency_bucket(report, now_freq),
        "lead_time": _below(now_lead.get("minutes"), LEAD_LIMITS[report]),
        "change_failure_rate": _at_most(rates[0], CFR_LIMITS[report]),
        "recovery_time": _below(_by_idx(ctx, rec)[0].get("minutes"), RECOVERY_LIMITS),
    }
    doc: dict[str, Any] = {
        "definition": f"devlake-{report}",
        "deployment_frequency": figure(
            [freq.get(k, {}).get("week_days") for k in range(len(ctx.windows))],
            "median deployment days per week", "up",
            median_deployment_days_per_month=now_freq.get("month_days"),
        ),
        "lead_time": figure([_hours(m) for m in per_window(lead, ctx, "minutes")], "hours", "down",
                            name="median pull request cycle time", pull_requests=now_lead.get("pull_requests", 0)),
        "change_failure_rate": figure(rates, "ratio", "down", digits=4,
                                      deployments=_by_idx(ctx, cfr)[0].get("deployments", 0),
                                      failed_deployments=_by_idx(ctx, cfr)[0].get("failed", 0)),
        "recovery_time": figure(
            [_hours(m) for m in per_window(rec, ctx, "minutes")], "hours", "down",
            name="failed deployment recovery time" if report == "2023" else "time to restore service",
            incidents=_by_idx(ctx, rec)[0].get("incidents", 0)),
    }  # fmt: skip
    if report == "2021":
        doc["deployment_frequency"]["median_deployment_days_per_six_months"] = now_freq.get(
            "six_month_days"
        )
    return with_buckets(doc, {k: (b, labels[k][b] if b else "N/A") for k, b in buckets.items()})


def with_buckets(doc: dict[str, Any], buckets: dict[str, tuple[str | None, str]]) -> dict[str, Any]:
    """Put each figure's bucket, and the peer's own label for it, beside the figure."""
    for key, (bucket, label) in buckets.items():
        doc[key]["bucket"] = bucket
        doc[key]["label"] = label
    return doc


def _by_idx(ctx: Context, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = {r["idx"]: r for r in rows}
    return [found.get(k, {}) for k in range(len(ctx.windows))]


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else rounded(minutes / 60)
