"""Service level objectives: availability from incident downtime, against a target.

For each `[services.<name>]` with an `slo` (percent), over its own window of
`slo_window_days` ending where the report ends:

    availability       1 - downtime minutes / window minutes
    error budget       (1 - slo / 100) x window minutes
    budget remaining   1 - downtime / error budget (negative once the budget is spent)
    burn rate          (downtime / window minutes) / (1 - slo / 100): 1.0 spends the budget
                       exactly over the window, 2.0 in half of it
    downtime cost      downtime minutes x cost_per_minute, when set

The same over the window before (for the trend). Downtime comes from `h_downtime`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ktlo.metrics.common import Context, literal, trend


def slos(ctx: Context) -> list[dict[str, Any]]:
    """One entry per service with an SLO (in scope), worst burn rate first."""
    result = []
    for name, service in ctx.config.services.items():
        if service.slo is None:
            continue
        if ctx.scoped and name.lower() not in ctx.services:
            continue
        span = timedelta(days=service.slo_window_days)
        now = _slo(ctx, name, service.slo, service.cost_per_minute, ctx.until - span, span)
        before = _slo(ctx, name, service.slo, service.cost_per_minute, ctx.until - 2 * span, span)
        now["window_days"] = service.slo_window_days
        now["previous_availability"] = before["availability"]
        # availability moves by hundredths of a percent: its trend is that of downtime, reversed
        downtime = trend(now["downtime_minutes"], before["downtime_minutes"])
        now["trend"] = {"up": "down", "down": "up"}.get(downtime, downtime)
        now["improving"] = None if now["trend"] in ("flat", "unknown") else now["trend"] == "up"
        result.append(now)
    return sorted(result, key=lambda s: (-s["burn_rate"], s["service"]))


def _slo(
    ctx: Context, name: str, target: float, cost: float | None, start: Any, span: timedelta
) -> dict[str, Any]:
    end = start + span
    row = ctx.rows(
        f"""
        SELECT coalesce(sum(epoch(least(down_to, TIMESTAMP {literal(end.isoformat())})
                                  - greatest(down_from, TIMESTAMP {literal(start.isoformat())}))), 0) / 60.0 AS minutes
        FROM h_downtime
        WHERE service = ? AND down_from < TIMESTAMP {literal(end.isoformat())}
          AND down_to > TIMESTAMP {literal(start.isoformat())}
        """,
        [name.lower()],
    )[0]
    total = span.total_seconds() / 60
    downtime = float(row["minutes"])
    budget = (1 - target / 100) * total
    availability = 1 - downtime / total
    return {
        "service": name,
        "target": target,
        "availability": round(availability * 100, 4),
        "status": "met" if availability * 100 >= target else "breached",
        "downtime_minutes": round(downtime, 1),
        "error_budget_minutes": round(budget, 1),
        "budget_remaining": round(1 - downtime / budget, 4),
        "burn_rate": round(downtime / budget, 2),
        "downtime_cost": round(downtime * cost, 2) if cost is not None else None,
    }
