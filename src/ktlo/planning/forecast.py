"""Forecast a team's KTLO share from its history: trend, seasonality and an uncertainty band.

    share(t) = a + b·t + s(month of t) + ε

`a` and `b` by least squares; `s` (seasonality) is the mean residual of each calendar
month (or quarter), used only with two full years of history; the band is the residual
standard deviation × 1.2816 (an 80% interval), widening with the horizon. Back-testing
refits on every prefix of the history and scores the next three periods against what
happened, beside a naive forecast (the last value) as the reference. When the trend erred
more than the naive forecast there, the naive forecast is the one shown (`naive_series`:
the last value, with a random walk's band).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

from ktlo.periods import next_start

Z80 = 1.2816
MIN_HISTORY = 4
BACKTEST_STEPS = 3
BACKFIT_ROUNDS = 50


@dataclass(frozen=True, slots=True)
class Fit:
    intercept: float
    slope: float
    seasonal: dict[int, float]  # month (or quarter) number -> offset
    sigma: float
    n: int

    def predict(self, t: int, season: int) -> float:
        return self.intercept + self.slope * t + self.seasonal.get(season, 0.0)


def fit(shares: list[float], seasons: list[int], cycle: int) -> Fit:
    """Least-squares trend, jointly with seasonal offsets when there are two full cycles.

    The joint fit is found by backfitting: the trend on the deseasonalised series, the
    seasons on the detrended one, repeated until stable (a seasonal spike at the end of
    each cycle would otherwise tilt the trend).
    """
    n = len(shares)
    seasonal: dict[int, float] = {}
    use_seasons = n >= 2 * cycle
    intercept = slope = 0.0
    for _ in range(BACKFIT_ROUNDS if use_seasons else 1):
        adjusted = [y - seasonal.get(s, 0.0) for y, s in zip(shares, seasons, strict=True)]
        intercept, slope = _line(adjusted)
        if use_seasons:
            by_season: dict[int, list[float]] = {}
            for t, (y, s) in enumerate(zip(shares, seasons, strict=True)):
                by_season.setdefault(s, []).append(y - intercept - slope * t)
            seasonal = {s: fmean(values) for s, values in by_season.items()}
            centre = fmean(seasonal.values())
            seasonal = {s: v - centre for s, v in seasonal.items()}
    residuals = [
        y - intercept - slope * t - seasonal.get(s, 0.0)
        for t, (y, s) in enumerate(zip(shares, seasons, strict=True))
    ]
    dof = max(1, n - 2 - len(seasonal))
    sigma = math.sqrt(sum(r * r for r in residuals) / dof)
    return Fit(intercept, slope, seasonal, sigma, n)


def _line(values: list[float]) -> tuple[float, float]:
    ts = range(len(values))
    mean_t, mean_y = fmean(ts), fmean(values)
    var_t = sum((t - mean_t) ** 2 for t in ts)
    slope = (
        sum((t - mean_t) * (y - mean_y) for t, y in zip(ts, values, strict=True)) / var_t
        if var_t
        else 0.0
    )
    return mean_y - slope * mean_t, slope


def forecast_series(
    starts: list[date], shares: list[float], period: str, steps: int
) -> list[dict[str, Any]]:
    """The next `steps` periods after `starts[-1]`, each with its share and 80% band."""
    cycle = 12 if period == "month" else 4
    seasons = [_season(d, period) for d in starts]
    model = fit(shares, seasons, cycle)
    out = []
    start = starts[-1]
    for h in range(1, steps + 1):
        start = next_start(start, period)
        value = model.predict(model.n - 1 + h, _season(start, period))
        spread = Z80 * model.sigma * math.sqrt(1 + h / model.n)
        out.append(
            {
                "start": start.isoformat(),
                "share": _clip(value),
                "low": _clip(value - spread),
                "high": _clip(value + spread),
            }
        )
    return out


def backtest(starts: list[date], shares: list[float], period: str) -> dict[str, Any]:
    """Refit on each prefix; mean absolute error of the next 1..3 periods, model vs naive."""
    errors: dict[int, list[float]] = {h: [] for h in range(1, BACKTEST_STEPS + 1)}
    naive: dict[int, list[float]] = {h: [] for h in range(1, BACKTEST_STEPS + 1)}
    for cut in range(MIN_HISTORY, len(shares)):
        predicted = forecast_series(starts[:cut], shares[:cut], period, BACKTEST_STEPS)
        for h, p in enumerate(predicted, start=1):
            if cut + h - 1 < len(shares):
                actual = shares[cut + h - 1]
                errors[h].append(abs(p["share"] - actual))
                naive[h].append(abs(shares[cut - 1] - actual))
    return {
        "origins": max(0, len(shares) - MIN_HISTORY),
        "mae_by_horizon": {h: _round(fmean(v)) if v else None for h, v in errors.items()},
        "naive_mae_by_horizon": {h: _round(fmean(v)) if v else None for h, v in naive.items()},
    }


def naive_series(
    starts: list[date], shares: list[float], period: str, steps: int
) -> list[dict[str, Any]]:
    """The last value carried forward, with the 80% band of a random walk: ± Z80 · σ · √h,
    σ the root mean square of the period-to-period changes."""
    changes = [b - a for a, b in zip(shares, shares[1:], strict=False)]
    sigma = math.sqrt(fmean([c * c for c in changes])) if changes else 0.0
    out, start, last = [], starts[-1], shares[-1]
    for h in range(1, steps + 1):
        start = next_start(start, period)
        spread = Z80 * sigma * math.sqrt(h)
        out.append(
            {
                "start": start.isoformat(),
                "share": _clip(last),
                "low": _clip(last - spread),
                "high": _clip(last + spread),
            }
        )
    return out


def worse_than_naive(result: dict[str, Any]) -> tuple[float, float] | None:
    """(the trend's, the naive forecast's) mean absolute error over the horizons both were
    scored on, when the trend's is the larger; else None."""
    model, naive = result["mae_by_horizon"], result["naive_mae_by_horizon"]
    both = [h for h in model if model[h] is not None and naive.get(h) is not None]
    if not both:
        return None
    ours, theirs = fmean(model[h] for h in both), fmean(naive[h] for h in both)
    return (round(ours, 4), round(theirs, 4)) if ours > theirs else None


def _season(day: date, period: str) -> int:
    return day.month if period == "month" else (day.month - 1) // 3 + 1


def _clip(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


def _round(value: float) -> float:
    return round(value, 4)
