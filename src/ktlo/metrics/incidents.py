"""Incidents: how many, how fast they are acknowledged and resolved, downtime, people, repeats.

Per window, by the incident's creation time:

    count          incidents created, and per severity
    MTTA / MTTR    created -> acknowledged / resolved, in minutes (median, p90; mean on request)
    downtime       minutes during which a service had an incident open, overlapping incidents
                   of one service merged (an incident without a service counts alone)
    person-hours   for each person with an event on the incident (acknowledged, assigned,
                   a note ...): their first event -> resolution; an incident with no person
                   recorded counts one person from acknowledgement (or creation)
    repeats        incidents of the same service alike an earlier one within the repeat
                   window: same fingerprint, or titles sharing enough words (Jaccard)
"""

from __future__ import annotations

from typing import Any

from ktlo.metrics.common import (
    SECONDS,
    Context,
    figure,
    per_window,
    rounded,
    stats_sql,
    window_of,
)
from ktlo.metrics.health_document import Incidents
from ktlo.store.temp_tables import require

REASONS = 10  # reasons listed per group of repeats
WORDS = "list_distinct(list_filter(string_split_regex(lower(title), '[^a-z]+'), lambda x: length(x) > 2))"


def build_downtime(ctx: Context) -> None:
    """`h_downtime(service, down_from, down_to)`: merged spans of open incidents per service."""
    require(ctx.store, "h_incidents")
    severity = ctx.settings.downtime_severity
    only = "AND regexp_matches(severity, $downtime_severity)" if severity else ""
    until = "$until"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_downtime AS
        WITH spans AS (
            SELECT service, coalesce(service, incident_id) AS unit, created_at AS s,
                   least(coalesce(resolved_at, {until}::TIMESTAMP), {until}::TIMESTAMP) AS e
            FROM h_incidents WHERE coalesce(resolved_at, {until}::TIMESTAMP) > created_at {only}
        ),
        ordered AS (
            SELECT *, max(e) OVER (PARTITION BY unit ORDER BY s, e
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
            FROM spans
        ),
        islands AS (
            SELECT *, sum(CASE WHEN reached IS NULL OR s > reached THEN 1 ELSE 0 END)
                          OVER (PARTITION BY unit ORDER BY s, e) AS island
            FROM ordered
        )
        SELECT any_value(service) AS service, unit, min(s) AS down_from, max(e) AS down_to
        FROM islands GROUP BY unit, island
        """
    )


def downtime_minutes(ctx: Context) -> list[dict[str, Any]]:
    """Downtime minutes per window and service (NULL service: incidents without one)."""
    require(ctx.store, "h_downtime", "h_windows")
    return ctx.rows(
        f"""
        SELECT w.idx, d.service,
               sum({SECONDS.format("least(d.down_to, w.w_end) - greatest(d.down_from, w.w_start)")}) / 60.0 AS minutes
        FROM h_downtime d JOIN h_windows w ON d.down_from < w.w_end AND d.down_to > w.w_start
        GROUP BY ALL
        """
    )


def incidents(ctx: Context) -> Incidents:
    """The incidents section of the health document."""
    require(ctx.store, "h_incidents")
    mean = ctx.options.mean
    rows = ctx.rows(
        f"""
        SELECT idx, count(*) AS incidents, count(*) FILTER (WHERE resolved_at IS NULL) AS open,
               {stats_sql("epoch(acknowledged_at - created_at) / 60", mean, "ack_")},
               {stats_sql("epoch(resolved_at - created_at) / 60", mean, "res_")}
        FROM (SELECT *, {window_of(ctx, "created_at")} AS idx FROM h_incidents)
        WHERE idx IS NOT NULL GROUP BY idx
        """
    )
    severities = ctx.rows(
        f"""
        SELECT idx, severity, count(*) AS n
        FROM (SELECT *, {window_of(ctx, "created_at")} AS idx FROM h_incidents)
        WHERE idx IS NOT NULL GROUP BY ALL
        """
    )
    now = next((r for r in rows if r["idx"] == 0), {})
    return Incidents.model_validate({
        "count": figure(per_window(rows, ctx, "incidents", 0), "incidents", "down",
                        by_severity=_by_severity(ctx, severities), open=now.get("open", 0)),
        "mtta": _duration(ctx, rows, "ack_", "minutes"),
        "mttr": _duration(ctx, rows, "res_", "minutes"),
        "downtime": _downtime(ctx),
        "person_hours": _person_hours(ctx),
        "repeats": repeats(ctx),
    })  # fmt: skip


def _by_severity(ctx: Context, rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for row in rows:
        found.setdefault(row["severity"], [0] * len(ctx.windows))[row["idx"]] = row["n"]
    return {sev: series[::-1] for sev, series in sorted(found.items())}


def _duration(ctx: Context, rows: list[dict[str, Any]], prefix: str, unit: str) -> dict[str, Any]:
    now = next((r for r in rows if r["idx"] == 0), {})
    extra = {"mean": rounded(now.get(f"{prefix}mean"))} if ctx.options.mean else {}
    return figure(per_window(rows, ctx, f"{prefix}median"), unit, "down",
                  p90=rounded(now.get(f"{prefix}p90")), **extra)  # fmt: skip


def _downtime(ctx: Context) -> dict[str, Any]:
    rows = downtime_minutes(ctx)
    totals = [0.0] * len(ctx.windows)
    for row in rows:
        totals[row["idx"]] += row["minutes"]
    costs = {name.lower(): s.cost_per_minute for name, s in ctx.config.services.items()
             if s.cost_per_minute is not None}  # fmt: skip
    cost = [0.0] * len(ctx.windows)
    for row in rows:
        if row["service"] in costs:
            cost[row["idx"]] += row["minutes"] * costs[row["service"]]
    by_service = sorted(
        ({"service": r["service"], "minutes": round(r["minutes"], 1)} for r in rows
         if r["idx"] == 0 and r["service"] is not None),
        key=lambda r: (-r["minutes"], r["service"]),
    )  # fmt: skip
    return figure(totals, "minutes", "down", digits=1, by_service=by_service,
                  cost=round(cost[0], 2) if costs else None,
                  cost_series=[round(c, 2) for c in cost[::-1]] if costs else None)  # fmt: skip


def _person_hours(ctx: Context) -> dict[str, Any]:
    until = "$until"
    rows = ctx.rows(
        f"""
        WITH people AS (
            SELECT e.incident_id, e.person, min(e.occurred_at) AS joined
            FROM incident_events e SEMI JOIN h_incidents i USING (incident_id)
            WHERE e.person IS NOT NULL AND e.person <> '' GROUP BY ALL
        ),
        per_incident AS (
            SELECT i.incident_id, i.created_at, count(p.person) AS people,
                   CASE WHEN count(p.person) > 0
                        THEN sum(greatest({SECONDS.format(f"coalesce(i.resolved_at, {until}::TIMESTAMP) - p.joined")}, 0))
                        ELSE greatest({SECONDS.format(f"coalesce(i.resolved_at, {until}::TIMESTAMP) - coalesce(i.acknowledged_at, i.created_at)")}, 0)
                   END AS seconds
            FROM h_incidents i LEFT JOIN people p USING (incident_id)
            GROUP BY i.incident_id, i.created_at, i.resolved_at, i.acknowledged_at
        )
        SELECT idx, sum(seconds) / 3600.0 AS hours, count(*) FILTER (WHERE people = 0) AS estimated
        FROM (SELECT *, {window_of(ctx, "created_at")} AS idx FROM per_incident)
        WHERE idx IS NOT NULL GROUP BY idx
        """
    )
    now = next((r for r in rows if r["idx"] == 0), {})
    return figure(per_window(rows, ctx, "hours", 0.0), "person-hours", "down", digits=1,
                  incidents_without_people=now.get("estimated", 0))  # fmt: skip


def repeats(ctx: Context, limit: int = 20) -> dict[str, Any]:
    """Repeat incidents of the current and previous windows, grouped, each group with why."""
    require(ctx.store, "h_incidents")
    s = ctx.settings
    days = s.repeat_window_days
    oldest = f"$start{min(1, len(ctx.windows) - 1)}::TIMESTAMP"  # the previous window's start
    later = "(a.created_at < b.created_at OR (a.created_at = b.created_at AND a.incident_id < b.incident_id))"
    pairs = ctx.rows(
        f"""
        WITH pool AS (
            SELECT incident_id, service, created_at, fingerprint, {WORDS} AS words
            FROM h_incidents
            WHERE service IS NOT NULL
              AND created_at >= {oldest} - INTERVAL {days} DAY
        ),
        words AS (SELECT incident_id, service, created_at, unnest(words) AS word, len(words) AS n FROM pool),
        alike AS (  -- word-set Jaccard through a join on shared words: far faster than list functions
            SELECT a.incident_id AS first_id, b.incident_id AS later_id, any_value(b.created_at) AS later_at,
                   count(*) / (any_value(a.n) + any_value(b.n) - count(*))::DOUBLE AS similarity
            FROM words a JOIN words b ON a.service = b.service AND a.word = b.word AND {later}
             AND b.created_at <= a.created_at + INTERVAL {days} DAY
             AND b.created_at >= {oldest}
            GROUP BY a.incident_id, b.incident_id
        ),
        same AS (
            SELECT a.incident_id AS first_id, b.incident_id AS later_id, b.created_at AS later_at, a.fingerprint
            FROM pool a JOIN pool b ON a.service = b.service AND a.fingerprint = b.fingerprint AND {later}
             AND b.created_at <= a.created_at + INTERVAL {days} DAY
             AND b.created_at >= {oldest}
        )
        SELECT first_id, later_id, coalesce(s.later_at, l.later_at) AS later_at,
               s.first_id IS NOT NULL AS same_fingerprint, s.fingerprint, l.similarity
        FROM same s FULL JOIN (SELECT * FROM alike WHERE similarity >= {float(s.repeat_similarity)}) l
          USING (first_id, later_id)
        """
    )
    series = _repeat_counts(ctx, pairs)
    groups = _group(ctx, pairs, limit)
    return figure(series, "incidents", "down", window_days=days, groups=groups["groups"],
                  group_count=groups["count"])  # fmt: skip


def _repeat_counts(ctx: Context, pairs: list[dict[str, Any]]) -> list[int | None]:
    counts: list[int | None] = [None] * len(ctx.windows)
    for k in range(min(2, len(ctx.windows))):
        w = ctx.windows[k]
        counts[k] = len({p["later_id"] for p in pairs if w.start <= p["later_at"] < w.end})
    return counts


def _group(ctx: Context, pairs: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """Connected incidents (alike, directly or through others), with the reasons that join them."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p["later_id"])] = root(p["first_id"])
    members: dict[str, list[str]] = {}
    for node in parent:
        members.setdefault(root(node), []).append(node)
    why: dict[str, list[dict[str, Any]]] = {}
    for p in pairs:
        why.setdefault(root(p["later_id"]), []).append(p)
    if not members:
        return {"count": 0, "groups": []}
    info = {r["incident_id"]: r for r in ctx.rows(
        "SELECT incident_id, external_id, title, service, created_at FROM h_incidents "
        "WHERE incident_id IN (SELECT unnest(?))", [sorted(parent)])}  # fmt: skip
    w = ctx.current
    groups = []
    for top, nodes in members.items():
        rows = sorted((info[n] for n in nodes), key=lambda r: (r["created_at"], r["incident_id"]))
        if any(w.start <= r["created_at"] < w.end for r in rows):
            groups.append((top, rows))
    groups.sort(key=lambda g: (-len(g[1]), g[1][0]["created_at"], g[1][0]["incident_id"]))
    return {
        "count": len(groups),
        "groups": [_describe(rows, why.get(top, []), info) for top, rows in groups[:limit]],
    }


def _describe(
    rows: list[dict[str, Any]], pairs: list[dict[str, Any]], info: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    reasons = sorted({_reason(p, info) for p in pairs})
    return {
        "service": rows[0]["service"],
        "incidents": [{"id": r["external_id"], "title": r["title"], "created_at": r["created_at"].isoformat()}
                      for r in rows],
        "why": reasons[:REASONS],
        "more_reasons": max(len(reasons) - REASONS, 0),
    }  # fmt: skip


def _reason(pair: dict[str, Any], info: dict[str, dict[str, Any]]) -> str:
    a, b = info[pair["first_id"]]["external_id"], info[pair["later_id"]]["external_id"]
    if pair["same_fingerprint"]:
        return f"{b} repeats {a}: same fingerprint {pair['fingerprint']!r}"
    return f"{b} repeats {a}: titles alike ({pair['similarity']:.2f} of words shared)"
