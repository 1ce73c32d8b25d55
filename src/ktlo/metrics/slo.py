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

from ktlo.metrics.common import SECONDS, Context, trend
from ktlo.metrics.health_document import Slo
from ktlo.store.temp_tables import require


def slos(ctx: Context) -> list[Slo]:
    """One entry per service with an SLO (in scope), worst burn rate first."""
    require(ctx.store, "h_downtime")
    targets = {
        name: service for name, service in ctx.config.services.items()
        if service.slo is not None and (not ctx.scoped or name.lower() in ctx.services)
    }  # fmt: skip
    if not targets:
        return []
    spans = [(name.lower(), k, ctx.until - (k + 1) * timedelta(days=s.slo_window_days),
              ctx.until - k * timedelta(days=s.slo_window_days))
             for name, s in targets.items() for k in (0, 1)]  # fmt: skip
    ctx.run(
        "CREATE OR REPLACE TEMP TABLE h_slo_span (service VARCHAR, k INTEGER, s TIMESTAMP, e TIMESTAMP)"
    )
    ctx.store.insert("h_slo_span", ["service", "k", "s", "e"], spans)
    minutes = {
        (r["service"], r["k"]): float(r["minutes"]) for r in ctx.rows(
            f"""
            SELECT p.service, p.k,
                   -- least/greatest skip NULLs in DuckDB: a window with no downtime must add nothing
                   coalesce(sum({SECONDS.format("least(d.down_to, p.e) - greatest(d.down_from, p.s)")})
                            FILTER (WHERE d.service IS NOT NULL), 0) / 60.0 AS minutes
            FROM h_slo_span p LEFT JOIN h_downtime d
              ON d.service = p.service AND d.down_from < p.e AND d.down_to > p.s
            GROUP BY ALL
            """
        )
    }  # fmt: skip
    result = []
    for name, service in targets.items():
        span = timedelta(days=service.slo_window_days)
        now = _slo(
            name, service.slo or 0, service.cost_per_minute, minutes[(name.lower(), 0)], span
        )
        before = _slo(
            name, service.slo or 0, service.cost_per_minute, minutes[(name.lower(), 1)], span
        )
        now["window_days"] = service.slo_window_days
        now["previous_availability"] = before["availability"]
        # availability moves by hundredths of a percent: its trend is that of downtime, reversed
        downtime = trend(now["downtime_minutes"], before["downtime_minutes"])
        now["trend"] = {"up": "down", "down": "up"}.get(downtime, downtime)
        now["improving"] = None if now["trend"] in ("flat", "unknown") else now["trend"] == "up"
        result.append(now)
    ordered = sorted(result, key=lambda s: (-s["burn_rate"], s["service"]))
    return [Slo.model_validate(s) for s in ordered]


def _slo(
    name: str, target: float, cost: float | None, downtime: float, span: timedelta
) -> dict[str, Any]:
    total = span.total_seconds() / 60
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
