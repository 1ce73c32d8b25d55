"""`ktlo forecast`: a team's expected KTLO share and what it leaves for new work.

The last period is left out of the fit while it is still in progress (it ends after the
newest day of effort in the store): a month seen for a week has a share as noisy as a
week's, and would tilt the trend. It is reported as `in_progress`, with its share so far,
and the forecast starts with it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ktlo.allocation import AllocationOptions, allocation, newest_day
from ktlo.analysis import period_label
from ktlo.config import Config, load_time_off
from ktlo.errors import InputError
from ktlo.planning.forecast import MIN_HISTORY, backtest, forecast_series, period_end
from ktlo.store import Store

JSON_SCHEMA = "ktlo.forecast/v1"


def outlook(
    store: Store, config: Config, team: str | None, horizon_quarters: int, period: str
) -> dict[str, Any]:
    """History, forecast with its band, new-work capacity per future period, back-test errors."""
    doc = allocation(store, config, AllocationOptions(team=team, period=period))
    history = [
        {"start": p["start"], "share": p["ktlo_share"], "person_days": p["person_days"]}
        for p in doc["periods"]
        if p["ktlo_share"] is not None
    ]
    complete_until = newest_day(store)
    complete, in_progress = split_in_progress(history, period, complete_until)
    short = too_short(complete, period, team, in_progress)
    if short:
        raise InputError(short, "sync or analyze more history, or use --period month")
    return outlook_from_history(config, team, history, horizon_quarters, period, complete_until)


def split_in_progress(
    history: list[dict[str, Any]], period: str, complete_until: date | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(the complete periods, the last one when it ends after `complete_until`, else None)."""
    if history and complete_until is not None:
        last = history[-1]
        if period_end(date.fromisoformat(last["start"]), period) > complete_until:
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
    complete_until: date | None = None,
) -> dict[str, Any]:
    """`outlook` over a history the caller already has: `start`, `share`, `person_days` per
    period, oldest first, at least MIN_HISTORY complete ones (the report takes it from its
    balance). A last period that ends after `complete_until` is in progress (module doc)."""
    history, in_progress = split_in_progress(history, period, complete_until)
    starts = [date.fromisoformat(p["start"]) for p in history]
    shares = [p["share"] for p in history]
    steps = horizon_quarters * (3 if period == "month" else 1)
    ahead = forecast_series(starts, shares, period, steps)
    off = _time_off(config) if _members(config, team) else {}
    for row in ahead:
        start = date.fromisoformat(row["start"])
        capacity = _capacity(config, team, start, period_end(start, period), off)
        row["capacity_person_days"] = capacity
        row["new_work_person_days"] = (
            round(capacity * (1 - row["share"]), 1) if capacity is not None else None
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
        "forecast": ahead,
        "band": "80%",
        "backtest": backtest(starts, shares, period),
    }


def _members(config: Config, team: str | None) -> list[str]:
    return next((t.members for t in config.teams if t.name == team), []) if team else []


def _time_off(config: Config) -> dict[str, set[date]]:
    off: dict[str, set[date]] = {}
    for who, start, end in load_time_off(config):
        days = off.setdefault(who.lower(), set())
        day = start
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return off


def _capacity(
    config: Config, team: str | None, first: date, last: date, off: dict[str, set[date]]
) -> float | None:
    """Working days × capacity × team share, less time off, over the team's configured members;
    None for the organisation, `(no team)` and a team without members (capacity unknown)."""
    members = _members(config, team)
    if not members:
        return None
    total = 0.0
    for member in members:
        person = config.people.get(member)
        capacity = person.capacity if person else 1.0
        share = person.teams.get(team, 1.0) if person and person.teams and team else 1.0
        away = off.get(member.lower(), set())
        day, working = first, 0
        while day <= last:
            working += day.weekday() < 5 and day not in away
            day += timedelta(days=1)
        total += working * capacity * share
    return round(total, 1)
