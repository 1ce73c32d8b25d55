"""A team's capacity ahead, in person-days, as the effort measures it.

Configured capacity (working days × each member's capacity × their share of the team, less
configured time off) counts every working day in full; measured effort counts only days
with recorded activity (docs/effort.md), so a 10-person team whose configured capacity is
210 person-days a month shows about 150 in `ktlo allocation`. A forecast of the KTLO share
applies to measured effort, so the person-days it leaves for new work must be of measured
capacity too:

    capacity(P) = measured person-days of the last RECENT complete periods
                  × configured(P) / configured(those periods)

which is the measured FTE × P's working days when nothing is configured (the organisation,
`(no team)`, a team without members), and follows configured time off and capacities ahead
when they are.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import Field

from ktlo.config import Config, load_time_off
from ktlo.documents import Document
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage, period_start, workdays

RECENT = 3  # complete periods the measured capacity is read from


class CapacityBasis(Document):
    """How a forecast's capacity was measured."""

    measured_fte: float = Field(description="the FTE the effort measures over `periods`")
    periods: list[str] = Field(description="the complete periods it is read from")
    configured_fte: float | None = Field(
        description="the members' configured FTE over them; `null` when none is configured"
    )
    measured_share_of_configured: float | None = Field(
        description="measured over configured person-days"
    )


def members(config: Config, team: str | None) -> list[str]:
    """The team's configured members (none for the organisation or an unknown team)."""
    return next((t.members for t in config.teams if t.name == team), []) if team else []


def time_off(config: Config) -> dict[str, set[date]]:
    """Each person's configured days off (lower-case ids and aliases as ktlo.toml names them)."""
    off: dict[str, set[date]] = {}
    for who, start, end in load_time_off(config):
        days = off.setdefault(who.lower(), set())
        day = start
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return off


def configured(
    config: Config, team: str | None, first: date, last: date, off: dict[str, set[date]]
) -> float | None:
    """Working days × capacity × team share, less time off, over the team's configured
    members, from `first` to `last`; None when the team has no members."""
    names = members(config, team)
    if not names:
        return None
    total = 0.0
    for member in names:
        person = config.people.get(member)
        capacity = person.capacity if person else 1.0
        share = person.teams.get(team, 1.0) if person and person.teams and team else 1.0
        away = off.get(member.lower(), set())
        day, working = first, 0
        while day <= last:
            working += day.weekday() < 5 and day not in away
            day += timedelta(days=1)
        total += working * capacity * share
    return total


class Capacity:
    """Measured capacity of a team (module doc), read once from its complete history."""

    def __init__(
        self, config: Config, team: str | None, history: list[dict[str, Any]], period: str,
        covered: Coverage | None = None,
    ) -> None:  # fmt: skip
        self.config, self.team, self.period = config, team, period
        self.off = time_off(config) if members(config, team) else {}
        covered = covered or Coverage(None, None)
        spans = [
            (covered.first_day(start, period), covered.last_day(start, period), p["person_days"])
            for p in history[-RECENT:]
            for start in [date.fromisoformat(p["start"])]
        ]
        self.periods = [period_label(period_start(first, period), period) for first, _, _ in spans]
        self.measured = sum(float(days) for _, _, days in spans)
        self.days = sum(workdays(first, last) for first, last, _ in spans)
        parts = [self._configured(first, last) for first, last, _ in spans]
        self.configured = None if not parts or None in parts else sum(p or 0.0 for p in parts)

    def _configured(self, first: date, last: date) -> float | None:
        return configured(self.config, self.team, first, last, self.off)

    def of(self, first: date, last: date) -> float | None:
        """The measured capacity, in person-days, from `first` to `last`."""
        if not self.days:
            return None
        ahead = self._configured(first, last)
        if self.configured and ahead is not None:
            return round(self.measured * ahead / self.configured, 1)
        return round(self.measured / self.days * workdays(first, last), 1)

    def basis(self) -> CapacityBasis | None:
        """How the capacity was measured, for the document and the note under the forecast."""
        if not self.days:
            return None
        return CapacityBasis(
            measured_fte=round(self.measured / self.days, 2),
            periods=self.periods,
            configured_fte=round(self.configured / self.days, 2) if self.configured else None,
            measured_share_of_configured=(
                round(self.measured / self.configured, 4) if self.configured else None
            ),
        )
