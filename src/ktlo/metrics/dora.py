"""The four DORA keys as ktlo defines them by default (docs/metrics.md, "DORA: ktlo").

    deployment frequency   production deployments that reached production, per week;
                           bucket from the median number of days with a deployment per week
    lead time for changes  first commit of a change -> the first production deployment of
                           its repository at or after it landed (median, p90)
    change failure rate    failed deployments / deployments, each deployment counted once
                           however many incidents, rollbacks or reverts name it
    recovery time          a failed deployment -> its incidents resolved, or (without an
                           incident) the first remedy shipped: the next deployment after a
                           rollback, the revert, the hotfix

Thresholds are those of the DORA 2023 report. Every figure is computed per window and per
group (the whole scope, each service, each team) from the tables of `deployments` and
`failures`.
"""

from __future__ import annotations

from typing import Any

from ktlo.metrics.common import Context, figure, has_deployments, ratio, rounded, stats_sql
from ktlo.store.temp_tables import require

BUCKET_ORDER = ("elite", "high", "medium", "low")
THRESHOLDS = {
    "deployment_frequency": "elite: median deployment days per week >= 5; high: >= 1; "
    "medium: median deployment days per month >= 1; low: fewer",
    "lead_time": "elite: < 1 day; high: < 1 week; medium: < 30 days; low: longer (median)",
    "change_failure_rate": "elite: <= 5%; high: <= 10%; medium: <= 15%; low: more",
    "recovery_time": "elite: < 1 hour; high: < 1 day; medium: < 1 week; low: longer (median)",
}


# The changes a lead time counts: shipped after a repository's first deployment, by a person
# (an automated change has no human lead time), never with a negative duration.
LEAD_COUNTED = "NOT baseline AND NOT is_bot AND lead_hours >= 0"

# When a failed deployment recovered: with incidents, when the last of them was resolved (the
# service was restored; none unresolved); otherwise at the first remedy that shipped (the
# deployment after a rollback, the revert, the hotfix).
RECOVERED_AT = """CASE WHEN bool_or(f.source = 'incident') THEN
        CASE WHEN count(f.recovered_at) FILTER (WHERE f.source = 'incident')
                  = count(*) FILTER (WHERE f.source = 'incident')
             THEN max(f.recovered_at) FILTER (WHERE f.source = 'incident') END
    ELSE min(f.recovered_at) END"""


def frequency_bucket(week_days: float | None, month_days: float | None) -> str | None:
    """The DORA 2023 bucket of a frequency, from median deployment days per week and month."""
    if week_days is None:
        return None
    if week_days >= 5:
        return "elite"
    if week_days >= 1:
        return "high"
    return "medium" if (month_days or 0) >= 1 else "low"


def lead_time_bucket(hours: float | None) -> str | None:
    """The DORA 2023 bucket of a median lead time in hours."""
    return _below(hours, (24, 24 * 7, 24 * 30))


def failure_rate_bucket(rate: float | None) -> str | None:
    """The DORA 2023 bucket of a change failure rate."""
    if rate is None:
        return None
    for limit, name in zip((0.05, 0.10, 0.15), BUCKET_ORDER, strict=False):
        if rate <= limit:
            return name
    return "low"


def recovery_bucket(hours: float | None) -> str | None:
    """The DORA 2023 bucket of a median recovery time in hours."""
    return _below(hours, (1, 24, 24 * 7))


def _below(value: float | None, limits: tuple[float, float, float]) -> str | None:
    if value is None:
        return None
    for limit, name in zip(limits, BUCKET_ORDER, strict=False):
        if value < limit:
            return name
    return "low"


def create_groups(ctx: Context) -> None:
    """`h_deploy_team(deploy_id, team)` (the teams whose services or repositories a deployment
    is of) and `h_counted` (the deployments a failure rate counts), from the oldest window on."""
    require(ctx.store, "h_deploys")
    rows = [(t.name, "service", s.lower()) for t in ctx.config.teams for s in t.services]
    rows += [(t.name, "repo", r) for t in ctx.config.teams for r in t.repositories]
    ctx.run("CREATE OR REPLACE TEMP TABLE h_team_key (team VARCHAR, kind VARCHAR, value VARCHAR)")
    ctx.store.insert("h_team_key", ["team", "kind", "value"], rows)
    oldest = "$oldest::TIMESTAMP"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_deploy_team AS
        SELECT DISTINCT d.deploy_id, t.team
        FROM (SELECT * FROM h_deploys WHERE deployed_at >= {oldest}) d JOIN h_team_key t
          ON (t.kind = 'service' AND d.service = t.value)
          OR (t.kind = 'repo' AND (d.repo_id = t.value OR ends_with(d.repo_id, '/' || t.value)))
        """
    )
    failed = ("failed",) if "failed" in ctx.settings.failure_sources else ()
    ctx.run(
        "CREATE OR REPLACE TEMP TABLE h_counted AS SELECT * FROM h_deploys "
        f"WHERE production AND list_contains($counted, status) AND deployed_at >= {oldest}",
        counted=["success", "rolled_back", *failed],
    )


def _groups(key: str | None) -> str:
    if key == "service":
        return "SELECT deploy_id, service AS grp FROM h_deploys"
    if key == "team":
        return "SELECT deploy_id, team AS grp FROM h_deploy_team"
    return "SELECT deploy_id, 'all' AS grp FROM h_deploys"


def dora_rows(
    ctx: Context, key: str | None, current_only: bool
) -> dict[tuple[int, str], dict[str, Any]]:
    """Every DORA figure per (window, group), as one dict per pair."""
    windows = "WHERE idx = 0" if current_only else ""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for query in (_frequency_sql, _lead_time_sql, _failure_sql, _recovery_sql):
        for row in ctx.rows(query(ctx, _groups(key), windows)):
            found.setdefault((row.pop("idx"), row.pop("grp")), {}).update(row)
    return found


def _frequency_sql(ctx: Context, groups: str, windows: str) -> str:
    return f"""
        WITH g AS ({groups}),
        w AS (SELECT * FROM h_windows {windows}),
        dep AS (
            SELECT w.idx, g.grp, d.deploy_id, d.deployed_at FROM h_prod d JOIN g USING (deploy_id)
            JOIN w ON d.deployed_at >= w.w_start AND d.deployed_at < w.w_end
        ),
        names AS (SELECT DISTINCT grp FROM g UNION SELECT 'all' WHERE (SELECT count(*) FROM g) = 0),
        days AS (SELECT idx, unnest(range(w_start, w_end, INTERVAL 1 DAY)) AS day FROM w),
        deployed AS (SELECT DISTINCT idx, grp, date_trunc('day', deployed_at) AS day FROM dep),
        grid AS (
            SELECT days.idx, n.grp, days.day, deployed.day IS NOT NULL AS deployed
            FROM days CROSS JOIN names n
            LEFT JOIN deployed ON deployed.idx = days.idx AND deployed.grp = n.grp AND deployed.day = days.day
        ),
        weeks AS (SELECT idx, grp, count(*) FILTER (WHERE deployed) AS n FROM grid GROUP BY idx, grp, date_trunc('week', day)),
        months AS (SELECT idx, grp, count(*) FILTER (WHERE deployed) AS n FROM grid GROUP BY idx, grp, date_trunc('month', day)),
        sizes AS (SELECT idx, grp, count(*) AS days, count(*) FILTER (WHERE deployed) AS deployment_days FROM grid GROUP BY ALL)
        SELECT s.idx, s.grp, s.days, s.deployment_days,
               (SELECT count(*) FROM dep WHERE dep.idx = s.idx AND dep.grp = s.grp) AS deployments,
               (SELECT quantile_cont(n::DOUBLE, 0.5) FROM weeks WHERE weeks.idx = s.idx AND weeks.grp = s.grp) AS week_days,
               (SELECT quantile_cont(n::DOUBLE, 0.5) FROM months WHERE months.idx = s.idx AND months.grp = s.grp) AS month_days
        FROM sizes s
    """


def _lead_time_sql(ctx: Context, groups: str, windows: str) -> str:
    return f"""
        WITH g AS ({groups}), w AS (SELECT * FROM h_windows {windows})
        SELECT w.idx, g.grp,
               count(*) FILTER (WHERE {LEAD_COUNTED}) AS changes,
               count(*) FILTER (WHERE NOT baseline AND NOT is_bot AND lead_hours < 0) AS negative,
               count(*) FILTER (WHERE baseline) AS baseline,
               count(*) FILTER (WHERE NOT baseline AND is_bot) AS bots,
               {stats_sql("lead_hours", ctx.options.mean, "lead_", LEAD_COUNTED)}
        FROM h_shipped s JOIN g USING (deploy_id)
        JOIN w ON s.deployed_at >= w.w_start AND s.deployed_at < w.w_end
        GROUP BY ALL
    """


def _failure_sql(ctx: Context, groups: str, windows: str) -> str:
    return f"""
        WITH g AS ({groups}), w AS (SELECT * FROM h_windows {windows}),
        failed AS (SELECT deploy_id, list(DISTINCT source) AS sources FROM h_failures GROUP BY deploy_id)
        SELECT w.idx, g.grp, count(*) AS counted, count(f.deploy_id) AS failed,
               count(*) FILTER (WHERE list_contains(f.sources, 'incident')) AS by_incident,
               count(*) FILTER (WHERE list_contains(f.sources, 'rollback')) AS by_rollback,
               count(*) FILTER (WHERE list_contains(f.sources, 'revert')) AS by_revert,
               count(*) FILTER (WHERE list_contains(f.sources, 'hotfix')) AS by_hotfix,
               count(*) FILTER (WHERE list_contains(f.sources, 'failed')) AS by_failed_deployment
        FROM h_counted d JOIN g USING (deploy_id)
        JOIN w ON d.deployed_at >= w.w_start AND d.deployed_at < w.w_end
        LEFT JOIN failed f USING (deploy_id)
        GROUP BY ALL
    """


def _recovery_sql(ctx: Context, groups: str, windows: str) -> str:
    return f"""
        WITH g AS ({groups}), w AS (SELECT * FROM h_windows {windows}),
        per_deploy AS (
            SELECT d.deploy_id, d.deployed_at, {RECOVERED_AT} AS recovered_at
            FROM h_counted d JOIN h_failures f USING (deploy_id) GROUP BY ALL
        ),
        hours AS (
            -- an open incident leaves its deployment unrecovered (greatest() would read NULL as 0)
            SELECT w.idx, g.grp, CASE WHEN p.recovered_at IS NOT NULL
                   THEN greatest(epoch(p.recovered_at - p.deployed_at), 0) / 3600.0 END AS h
            FROM per_deploy p JOIN g USING (deploy_id)
            JOIN w ON p.deployed_at >= w.w_start AND p.deployed_at < w.w_end
        )
        SELECT idx, grp, count(h) AS recovered, count(*) - count(h) AS unrecovered,
               {stats_sql("h", ctx.options.mean, "recovery_")}
        FROM hours GROUP BY ALL
    """


def ktlo_dora(ctx: Context) -> dict[str, Any]:
    """The DORA section of the health document under ktlo's own definition."""
    rows = dora_rows(ctx, None, current_only=False)
    series = [rows.get((k, "all"), {}) for k in range(len(ctx.windows))]
    if not has_deployments(ctx):
        series = [{k: v for k, v in s.items() if k not in ("days", "week_days")} for s in series]
    doc = dora_figures(ctx, series)
    doc["incident_links"] = _incident_links(ctx)
    doc["failures"] = failure_list(ctx)
    doc["by_service"] = _breakdown(ctx, "service")
    doc["by_team"] = _breakdown(ctx, "team") if ctx.config.teams and not ctx.scoped else []
    doc["thresholds"] = THRESHOLDS
    return doc


def _value(series: list[dict[str, Any]], key: str) -> list[Any]:
    return [s.get(key) for s in series]


def _per_week(row: dict[str, Any]) -> float | None:
    return row["deployments"] * 7 / row["days"] if row.get("days") else None


def _cfr(row: dict[str, Any]) -> float | None:
    return ratio(row.get("failed"), row.get("counted"))


def dora_figures(ctx: Context, series: list[dict[str, Any]]) -> dict[str, Any]:
    """The four figures from per-window rows (index 0 = current)."""
    now = series[0]
    return {
        "definition": "ktlo",
        "deployment_frequency": figure(
            [_per_week(s) for s in series],
            "deployments per week",
            "up",
            bucket=frequency_bucket(now.get("week_days"), now.get("month_days")),
            deployments=now.get("deployments", 0),
            deployment_days=now.get("deployment_days", 0),
            median_deployment_days_per_week=rounded(now.get("week_days")),
            median_deployment_days_per_month=rounded(now.get("month_days")),
        ),
        "lead_time": figure(
            _value(series, "lead_median"),
            "hours",
            "down",
            bucket=lead_time_bucket(now.get("lead_median")),
            p90=rounded(now.get("lead_p90")),
            changes=now.get("changes", 0),
            excluded_negative=now.get("negative", 0),
            excluded_first_deployment=now.get("baseline", 0),
            excluded_bots=now.get("bots", 0),
            **({"mean": rounded(now.get("lead_mean"))} if ctx.options.mean else {}),
        ),
        "change_failure_rate": figure(
            [_cfr(s) for s in series],
            "ratio",
            "down",
            digits=4,
            bucket=failure_rate_bucket(_cfr(now)),
            failed_deployments=now.get("failed", 0),
            deployments=now.get("counted", 0),
            by_source={
                k.removeprefix("by_"): now.get(k, 0)
                for k in (
                    "by_incident",
                    "by_rollback",
                    "by_revert",
                    "by_hotfix",
                    "by_failed_deployment",
                )
            },
        ),  # fmt: skip
        "recovery_time": figure(
            _value(series, "recovery_median"),
            "hours",
            "down",
            name="failed deployment recovery time",
            bucket=recovery_bucket(now.get("recovery_median")),
            p90=rounded(now.get("recovery_p90")),
            recovered=now.get("recovered", 0),
            unrecovered=now.get("unrecovered", 0),
            **({"mean": rounded(now.get("recovery_mean"))} if ctx.options.mean else {}),
        ),
    }


def _breakdown(ctx: Context, key: str) -> list[dict[str, Any]]:
    rows = dora_rows(ctx, key, current_only=True)
    result = []
    ordered = sorted(rows.items(), key=lambda kv: (-kv[1].get("deployments", 0), kv[0][1]))
    for (_, grp), r in ordered:
        if not (r.get("deployments") or r.get("counted") or r.get("changes")):
            continue
        cfr = _cfr(r)
        result.append({
            key: grp, "deployments": r.get("deployments", 0), "per_week": rounded(_per_week(r)),
            "deployment_frequency_bucket": frequency_bucket(r.get("week_days"), r.get("month_days")),
            "lead_time_hours": rounded(r.get("lead_median")),
            "lead_time_bucket": lead_time_bucket(r.get("lead_median")),
            "change_failure_rate": cfr, "change_failure_rate_bucket": failure_rate_bucket(cfr),
            "recovery_hours": rounded(r.get("recovery_median")),
            "recovery_bucket": recovery_bucket(r.get("recovery_median")),
        })  # fmt: skip
    return result


def _incident_links(ctx: Context) -> dict[str, Any]:
    row = ctx.rows(
        """
        SELECT count(*) AS incidents, count(l.incident_id) AS linked,
               count(*) FILTER (WHERE l.incident_id IS NULL AND i.service IS NULL) AS unlinked_without_service,
               count(*) FILTER (WHERE l.incident_id IS NULL AND i.service IS NOT NULL) AS unlinked_without_deployment,
               count(*) FILTER (WHERE l.how LIKE 'deployment %' OR l.how LIKE 'root cause %') AS by_reference,
               count(*) FILTER (WHERE l.how LIKE 'last production deployment %') AS by_service_window,
               count(*) FILTER (WHERE i.incident_id IN (SELECT incident_id FROM h_incident_candidates
                                                        WHERE NOT valid)) AS references_to_later_deployments
        FROM h_incidents i LEFT JOIN h_incident_links l USING (incident_id)
        WHERE i.created_at >= $start0::TIMESTAMP AND i.created_at < $end0::TIMESTAMP
        """
    )[0]
    return row


def failure_list(ctx: Context, limit: int = 20) -> list[dict[str, Any]]:
    """The failed deployments of the current window, each with why it counts as failed."""
    require(ctx.store, "h_counted", "h_failures")
    return [
        {
            **r,
            "deployed_at": r["deployed_at"].isoformat(),
            "recovered_at": r["recovered_at"].isoformat() if r["recovered_at"] else None,
        }  # fmt: skip
        for r in ctx.rows(
            f"""
            SELECT d.deploy_id, d.service, d.deployed_at, list(f.detail ORDER BY f.source, f.ref) AS reasons,
                   {RECOVERED_AT} AS recovered_at
            FROM h_counted d JOIN h_failures f USING (deploy_id)
            WHERE d.deployed_at >= $start0::TIMESTAMP AND d.deployed_at < $end0::TIMESTAMP
            GROUP BY ALL ORDER BY d.deployed_at, d.deploy_id LIMIT {int(limit)}
            """
        )
    ]
