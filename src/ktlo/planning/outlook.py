"""`ktlo forecast`: a team's expected KTLO share and what it leaves for new work.

The last period is left out of the fit while it is still in progress (ktlo.periods: it has
working days after the newest day of effort in the store), since a month seen for a week
has a share as noisy as a week's and would tilt the trend; it is reported as `in_progress`,
with its share so far, and the forecast starts with it.

The trend is shown only when it did at least as well as the naive forecast (the last value)
in back-test; otherwise the naive forecast is shown and the document says why (`method`,
`method_note`), keeping the trend's own forecast beside it (`trend_forecast`). Capacity is
measured capacity (ktlo.planning.capacity), so that the person-days left for new work are
of the same effort `ktlo allocation` shows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ktlo.config import Config
from ktlo.effort.allocation import AllocationOptions, allocation
from ktlo.errors import InputError
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage, period_end
from ktlo.planning.capacity import Capacity
from ktlo.planning.forecast import (
    MIN_HISTORY,
    backtest,
    forecast_series,
    naive_series,
    worse_than_naive,
)
from ktlo.store import Store

JSON_SCHEMA = "ktlo.forecast/v1"


def outlook(
    store: Store, config: Config, team: str | None, horizon_quarters: int, period: str
) -> dict[str, Any]:
    """History, forecast with its band, new-work capacity per future period, back-test errors."""
    doc = allocation(store, config, AllocationOptions(team=team, period=period))
    history = [
        {"start": p.start, "share": p.ktlo_share, "person_days": p.person_days}
        for p in doc.periods
        if p.ktlo_share is not None
    ]
    covered = Coverage(
        date.fromisoformat(doc.data_from) if doc.data_from else None,
        date.fromisoformat(doc.as_of) if doc.as_of else None,
    )
    complete, in_progress = split_in_progress(history, period, covered)
    short = too_short(complete, period, team, in_progress)
    if short:
        raise InputError(short, "sync or analyze more history, or use --period month")
    return outlook_from_history(config, team, history, horizon_quarters, period, covered)


def split_in_progress(
    history: list[dict[str, Any]], period: str, covered: Coverage | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(the periods to fit, the last one when it is in progress, else None). Without
    `covered`, no period is in progress."""
    last = history[-1] if history else None
    if covered and last and covered.in_progress(date.fromisoformat(last["start"]), period):
        return history[:-1], last
    return history, None


def too_short(
    history: list[dict[str, Any]], period: str, team: str | None,
    in_progress: dict[str, Any] | None = None,
) -> str | None:  # fmt: skip
    """Why `history` (complete periods) is too short to forecast from, or None when it is
    long enough; `in_progress`, the period left out, is named."""
    if len(history) >= MIN_HISTORY:
        return None
    complete = " complete" if in_progress else ""
    have = f"{len(history)}{complete} {period}{'' if len(history) == 1 else 's'} of history"
    label = period_label(date.fromisoformat(in_progress["start"]), period) if in_progress else ""
    now = f" ({label} is in progress)" if in_progress else ""
    return f"{have}{' for ' + team if team else ''}{now}; a forecast needs {MIN_HISTORY}"


def outlook_from_history(
    config: Config,
    team: str | None,
    history: list[dict[str, Any]],
    horizon_quarters: int,
    period: str,
    covered: Coverage | None = None,
) -> dict[str, Any]:
    """`outlook` over a history the caller already has: `start`, `share`, `person_days` per
    period, oldest first, at least MIN_HISTORY complete ones (the report takes it from its
    balance). `covered` tells complete periods from the others (module doc)."""
    history, in_progress = split_in_progress(history, period, covered)
    starts = [date.fromisoformat(p["start"]) for p in history]
    shares = [p["share"] for p in history]
    steps = horizon_quarters * (3 if period == "month" else 1)
    scores = backtest(starts, shares, period)
    trend = forecast_series(starts, shares, period, steps)
    worse = worse_than_naive(scores)
    ahead = naive_series(starts, shares, period, steps) if worse else trend
    capacity = Capacity(config, team, history, period, covered)
    for row in ahead:
        start = date.fromisoformat(row["start"])
        row["capacity_person_days"] = capacity.of(start, period_end(start, period))
        row["new_work_person_days"] = (
            round(row["capacity_person_days"] * (1 - row["share"]), 1)
            if row["capacity_person_days"] is not None
            else None
        )
    return {
        "schema": JSON_SCHEMA,
        "team": team,
        "period": period,
        "history": [
            {"start": p["start"], "share": p["share"], "person_days": p["person_days"]}
            for p in history
        ],
        "in_progress": (
            {k: in_progress[k] for k in ("start", "share", "person_days")} if in_progress else None
        ),
        "method": "naive" if worse else "trend",
        "method_note": _naive_note(worse, history[-1], period) if worse else None,
        "forecast": ahead,
        "trend_forecast": trend if worse else None,
        "band": "80%",
        "backtest": scores,
        "capacity": capacity.basis(),
    }


def _naive_note(errors: tuple[float, float], last: dict[str, Any], period: str) -> str:
    """Why the forecast shown is the naive one."""
    ours, theirs = errors
    digits = 1 if f"{ours * 100:.1f}" != f"{theirs * 100:.1f}" else 2
    label = period_label(date.fromisoformat(last["start"]), period)
    return (
        f"in back-test the trend erred more than the last value (mean absolute error "
        f"{ours * 100:.{digits}f} against {theirs * 100:.{digits}f} points), so the forecast "
        f"shown is the naive one: {label}'s share, {last['share'] * 100:.0f}%, carried forward"
    )
