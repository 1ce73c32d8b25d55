"""`ktlo forecast`: a team's expected KTLO share and what it leaves for new work."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ktlo.allocation import AllocationOptions, allocation
from ktlo.config import Config, load_time_off
from ktlo.errors import InputError
from ktlo.planning.forecast import MIN_HISTORY, backtest, forecast_series, period_end
from ktlo.planning.team import find_team
from ktlo.store import Store


def outlook(
    store: Store, config: Config, team: str | None, horizon_quarters: int, period: str
) -> dict[str, Any]:
    """History, forecast with its band, new-work capacity per future period, back-test errors."""
    doc = allocation(store, config, AllocationOptions(team=team, period=period))
    history = [p for p in doc["periods"] if p["ktlo_share"] is not None]
    if len(history) < MIN_HISTORY:
        raise InputError(
            f"{len(history)} {period}(s) of history{' for ' + team if team else ''}; a forecast needs {MIN_HISTORY}",
            "sync or analyze more history, or use --period month",
        )
    starts = [date.fromisoformat(p["start"]) for p in history]
    shares = [p["ktlo_share"] for p in history]
    steps = horizon_quarters * (3 if period == "month" else 1)
    ahead = forecast_series(starts, shares, period, steps)
    for row in ahead:
        start = date.fromisoformat(row["start"])
        capacity = _capacity(config, team, start, period_end(start, period))
        row["capacity_person_days"] = capacity
        row["new_work_person_days"] = (
            round(capacity * (1 - row["share"]), 1) if capacity is not None else None
        )
    return {
        "schema": "ktlo.forecast/v1",
        "team": team,
        "period": period,
        "history": [
            {"start": p["start"], "share": p["ktlo_share"], "person_days": p["person_days"]}
            for p in history
        ],
        "forecast": ahead,
        "band": "80%",
        "backtest": backtest(starts, shares, period),
    }


def _capacity(config: Config, team: str | None, first: date, last: date) -> float | None:
    """Working days × capacity × team share, less time off, over the team's configured members."""
    if team is None:
        return None
    chosen = find_team(config, team)
    off: dict[str, set[date]] = {}
    for who, start, end in load_time_off(config):
        days = off.setdefault(who.lower(), set())
        day = start
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    total = 0.0
    for member in chosen.members:
        person = config.people.get(member)
        capacity = person.capacity if person else 1.0
        share = person.teams.get(team, 1.0) if person and person.teams else 1.0
        away = off.get(member.lower(), set())
        day, working = first, 0
        while day <= last:
            working += day.weekday() < 5 and day not in away
            day += timedelta(days=1)
        total += working * capacity * share
    return round(total, 1)
