"""Alerts: how many, how many per incident, how much noise, who gets woken, from where.

Per window, by the alert's creation time:

    alerts               alerts created
    per incident         alerts that belong to an incident / the incidents they belong to
    noise ratio          alerts closed within `noise_minutes` with no incident and no
                         acknowledgement / alerts
    after-hours pages    alerts with a responder created outside `[health.on_call]` hours or
                         days (in its time zone), per responder
    noisiest sources     service and title with the most alerts, with their noise
"""

from __future__ import annotations

from typing import Any

from ktlo.metrics.common import Context, figure, in_scope, per_window, ratio, window_of
from ktlo.metrics.health_document import Alerts
from ktlo.store.temp_tables import require

DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
TOP = 10


def build_alerts(ctx: Context) -> None:
    """`h_alerts`: alerts in scope and range, with noise and after-hours flags."""
    require(ctx.store, "h_incidents")
    s = ctx.settings
    on_call = s.on_call
    start, end = (_minutes(t) for t in on_call.hours.split("-"))
    minute = "(hour(local_at) * 60 + minute(local_at))"
    inside = (
        f"{minute} >= {start} AND {minute} < {end}"
        if start <= end
        else f"({minute} >= {start} OR {minute} < {end})"
    )
    days = ", ".join(str(DAYS[d]) for d in on_call.days) or "0"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_alerts AS
        SELECT * EXCLUDE (local_at), NOT (isodow(local_at) IN ({days}) AND {inside}) AS after_hours
        FROM (
            SELECT a.alert_id, a.source, lower(nullif(a.service, '')) AS service, a.title, a.created_at,
                   a.incident_id, coalesce(a.responders, []) AS responders,
                   a.incident_id IS NULL AND a.acknowledged_at IS NULL AND a.closed_at IS NOT NULL
                       AND a.closed_at <= a.created_at + INTERVAL {int(s.noise_minutes)} MINUTE AS noisy,
                   timezone($time_zone, a.created_at AT TIME ZONE 'UTC') AS local_at
            FROM alerts a
            WHERE a.created_at < $until::TIMESTAMP
              AND a.created_at >= $oldest::TIMESTAMP
              AND ({in_scope(ctx, "lower(a.service)")}
                   OR a.incident_id IN (SELECT incident_id FROM h_incidents)))
        """,
        time_zone=on_call.time_zone,
    )


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def alerts(ctx: Context) -> Alerts:
    """The alerts section of the health document."""
    require(ctx.store, "h_alerts")
    rows = ctx.rows(
        f"""
        SELECT idx, count(*) AS alerts, count(*) FILTER (WHERE noisy) AS noisy,
               count(*) FILTER (WHERE incident_id IS NOT NULL) AS with_incident,
               count(DISTINCT incident_id) AS incidents,
               count(*) FILTER (WHERE after_hours AND len(responders) > 0) AS after_hours_pages
        FROM (SELECT *, {window_of(ctx, "created_at")} AS idx FROM h_alerts)
        WHERE idx IS NOT NULL GROUP BY idx
        """
    )
    by_idx = {r["idx"]: r for r in rows}
    series = [by_idx.get(k, {}) for k in range(len(ctx.windows))]
    now = series[0]
    return Alerts.model_validate({
        "count": figure(per_window(rows, ctx, "alerts", 0), "alerts", "down"),
        "per_incident": figure([ratio(r.get("with_incident"), r.get("incidents"), 2) for r in series],
                               "alerts per incident", "down"),
        "noise_ratio": figure([ratio(r.get("noisy"), r.get("alerts")) for r in series], "ratio", "down",
                              digits=4, noisy=now.get("noisy", 0),
                              definition=f"closed within {ctx.settings.noise_minutes} min, "
                                         "no incident, no acknowledgement"),
        "after_hours_pages": figure(per_window(rows, ctx, "after_hours_pages", 0), "pages", "down",
                                    per_person=_after_hours(ctx)),
        "noisiest": _noisiest(ctx),
    })  # fmt: skip


def _window(ctx: Context) -> str:
    """A SQL condition: `created_at` in the current window (`$start0`..`$end0`)."""
    return "created_at >= $start0::TIMESTAMP AND created_at < $end0::TIMESTAMP"


def _after_hours(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(
        f"""
        SELECT person, count(*) AS pages FROM (
            SELECT unnest(responders) AS person FROM h_alerts WHERE after_hours AND {_window(ctx)})
        GROUP BY person ORDER BY pages DESC, person
        """
    )


def _noisiest(ctx: Context) -> list[dict[str, Any]]:
    rows = ctx.rows(
        f"""
        SELECT service, title, any_value(source) AS source, count(*) AS alerts,
               count(*) FILTER (WHERE noisy) AS noisy,
               count(*) FILTER (WHERE incident_id IS NOT NULL) AS with_incident
        FROM h_alerts WHERE {_window(ctx)}
        GROUP BY service, title ORDER BY alerts DESC, noisy DESC, service, title LIMIT {TOP}
        """
    )
    for r in rows:
        r["noise_ratio"] = ratio(r["noisy"], r["alerts"])
    return rows
