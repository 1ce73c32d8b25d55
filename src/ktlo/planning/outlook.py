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
from typing import Any, Literal

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document
from ktlo.effort.allocation import AllocationOptions, allocation
from ktlo.errors import InputError
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage, period_end
from ktlo.planning.capacity import Capacity, CapacityBasis
from ktlo.planning.forecast import (
    MIN_HISTORY,
    backtest,
    forecast_series,
    naive_series,
    worse_than_naive,
)
from ktlo.planning.patch_work import PatchWork, patch_work
from ktlo.store import Store

JSON_SCHEMA = "ktlo.forecast/v1"


class PastShare(Document):
    """One period's measured KTLO share."""

    start: str = Field(description="the period's first day")
    share: float = Field(description="KTLO share of effort, corrected for the measured error")
    person_days: float = Field(description="the effort measured in it")


class ForecastPoint(Document):
    """One period ahead, with its 80% band."""

    start: str = Field(description="the period's first day")
    share: float = Field(description="the KTLO share expected")
    low: float = Field(description="the band's low edge")
    high: float = Field(description="the band's high edge")


class ForecastPeriod(ForecastPoint):
    """One period ahead, with its band and the room it leaves for new work."""

    capacity_person_days: float | None = Field(
        description="measured capacity (docs/planning.md); `null` without history to measure it"
    )
    new_work_person_days: float | None = Field(
        description="the capacity the expected KTLO share leaves for new work"
    )


class Backtest(Document):
    """The forecast refitted on each prefix of the history, against the naive forecast."""

    origins: int = Field(description="the prefixes it was refitted on")
    mae_by_horizon: dict[int, float | None] = Field(
        description="mean absolute error of the trend, by periods ahead (1, 2, 3)"
    )
    naive_mae_by_horizon: dict[int, float | None] = Field(
        description="the same of the naive forecast (the last value carried forward)"
    )


class ForecastDocument(Document):
    """`ktlo forecast --json`: a team's KTLO share ahead and what it leaves for new work."""

    schema_: Literal["ktlo.forecast/v1"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team, `null` for the organisation")
    period: str = Field(description="`month` or `quarter`")
    as_of: str | None = Field(
        default=None,
        description="the newest day of effort stored: the history ends and the forecast "
        "starts there, whatever today is",
    )
    history: list[PastShare] = Field(description="the complete periods fitted, oldest first")
    in_progress: PastShare | None = Field(
        description="the period in progress, its share so far (not fitted)"
    )
    method: Literal["trend", "naive"] = Field(description="the forecast shown")
    method_note: str | None = Field(description="why the naive forecast is shown, when it is")
    forecast: list[ForecastPeriod] = Field(description="the periods ahead")
    trend_forecast: list[ForecastPoint] | None = Field(
        description="the trend's own forecast, when the naive one is shown"
    )
    band: str = Field(description="the band's coverage (`80%`)")
    backtest: Backtest = Field(description="the back-test errors")
    capacity: CapacityBasis | None = Field(description="how the capacity was measured")
    patch_work: PatchWork | None = Field(
        default=None,
        description="the security patch work coming at the team (docs/planning.md); "
        "`null` where not computed (the report's forecasts)",
    )


def outlook(
    store: Store, config: Config, team: str | None, horizon_quarters: int, period: str
) -> ForecastDocument:
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
    found = outlook_from_history(config, team, history, horizon_quarters, period, covered)
    return found.model_copy(update={"patch_work": patch_work(store, config, team)})


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
) -> ForecastDocument:
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
    forecast = []
    for row in ahead:
        start = date.fromisoformat(row["start"])
        room = capacity.of(start, period_end(start, period))
        left = round(room * (1 - row["share"]), 1) if room is not None else None
        forecast.append(ForecastPeriod(**row, capacity_person_days=room, new_work_person_days=left))
    return ForecastDocument(
        schema=JSON_SCHEMA,
        team=team,
        period=period,
        as_of=covered.as_of.isoformat() if covered and covered.as_of else None,
        history=[_past(p) for p in history],
        in_progress=_past(in_progress) if in_progress else None,
        method="naive" if worse else "trend",
        method_note=_naive_note(worse, history[-1], period) if worse else None,
        forecast=forecast,
        trend_forecast=[ForecastPoint(**p) for p in trend] if worse else None,
        band="80%",
        backtest=Backtest(**scores),
        capacity=capacity.basis(),
    )


def _past(period: dict[str, Any]) -> PastShare:
    return PastShare(
        start=period["start"], share=period["share"], person_days=period["person_days"]
    )


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
