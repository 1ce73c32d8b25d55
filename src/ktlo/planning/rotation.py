"""A fair KTLO / on-call rotation for one team.

For each period, per region, the primary is the available member with the least load so
far, where load starts at the person's recent KTLO effort and grows with every shift.
Nobody serves during their time off; nobody serves two periods in a row unless nobody
else is available (the plan then says so). With a secondary, the next least-loaded
available member backs the primary up. When a team spans time zones far apart, each
region covers its own daytime hours (follow-the-sun) with a rotation of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PERIOD_DAYS = {"day": 1, "week": 7}
SECONDARY_LOAD = 0.5  # a secondary shift weighs half a primary
REGION_GAP_HOURS = 6  # members this far apart in UTC offset work in different regions
LOCAL_START_HOUR = 9


@dataclass(frozen=True, slots=True)
class Member:
    person: str
    name: str
    timezone: str | None = None
    time_off: tuple[tuple[date, date], ...] = ()  # inclusive
    past_load: float = 0.0  # recent KTLO person-days

    def available(self, start: date, end: date) -> bool:
        """Free for the whole of [start, end)."""
        last = end - timedelta(days=1)
        return not any(
            off_start <= last and start <= off_end for off_start, off_end in self.time_off
        )

    def utc_offset_hours(self, on: date) -> float:
        if not self.timezone:
            return 0.0
        moment = datetime(on.year, on.month, on.day, 12, tzinfo=ZoneInfo(self.timezone))
        offset = moment.utcoffset()
        return offset.total_seconds() / 3600 if offset else 0.0


@dataclass(frozen=True, slots=True)
class Shift:
    period: int
    start: date
    end: date  # exclusive
    region: str
    hours_utc: str | None  # "07:00-15:00" when the day is split between regions
    primary: str | None
    secondary: str | None


@dataclass(slots=True)
class RotationPlan:
    team: str
    length: str
    period_days: int
    regions: dict[str, list[str]]
    shifts: list[Shift] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    load: dict[str, float] = field(default_factory=dict)
    shifts_by_person: dict[str, int] = field(default_factory=dict)


def plan_rotation(
    team: str,
    members: Sequence[Member],
    start: date,
    periods: int,
    length: str = "week",
    sprint_days: int = 14,
    secondary: bool = False,
) -> RotationPlan:
    """Plan `periods` consecutive periods starting on `start`."""
    days = sprint_days if length == "sprint" else PERIOD_DAYS[length]
    regions = group_regions(members, start)
    plan = RotationPlan(
        team, length, days, {name: [m.person for m in group] for name, group in regions.items()}
    )
    load = {m.person: m.past_load for m in members}
    shifts_count = {m.person: 0 for m in members}
    windows = _hours(regions, start)
    for region, group in regions.items():
        if len(group) == 1:
            plan.warnings.append(
                f"{region}: only {group[0].name} is in this region, so they serve every period"
            )
        previous: set[str] = set()
        for index in range(periods):
            period_start = start + timedelta(days=index * days)
            period_end = period_start + timedelta(days=days)
            primary, backup = _assign(
                plan, region, group, index, period_start, period_end, previous, load, secondary
            )
            shift = Shift(
                index + 1, period_start, period_end, region, windows.get(region), primary, backup
            )
            plan.shifts.append(shift)
            for person, weight in ((shift.primary, 1.0), (shift.secondary, SECONDARY_LOAD)):
                if person:
                    load[person] += weight * days
                    shifts_count[person] += 1
            previous = {p for p in (shift.primary, shift.secondary) if p}
    plan.shifts.sort(key=lambda s: (s.start, s.region))
    plan.load = {person: round(value, 2) for person, value in load.items()}
    plan.shifts_by_person = shifts_count
    return plan


def _assign(
    plan: RotationPlan,
    region: str,
    group: Sequence[Member],
    index: int,
    start: date,
    end: date,
    previous: set[str],
    load: dict[str, float],
    secondary: bool,
) -> tuple[str | None, str | None]:
    available = [m for m in group if m.available(start, end)]
    label = f"period {index + 1} ({start.isoformat()})" + (
        f" in {region}" if len(plan.regions) > 1 else ""
    )
    if not available:
        plan.warnings.append(
            f"{label}: nobody is available (all on time off); the period is uncovered"
        )
        return None, None
    rested = [m for m in available if m.person not in previous]
    if not rested:
        plan.warnings.append(
            f"{label}: the team is too small to avoid back-to-back shifts; "
            f"{', '.join(m.name for m in available)} "
            f"{'serves' if len(available) == 1 else 'serve'} again"
        )
        rested = available
    ranked = sorted(rested, key=lambda m: (load[m.person], m.person))
    primary = ranked[0].person
    if not secondary:
        return primary, None
    backups = ranked[1:]
    if not backups:
        backups = [m for m in available if m.person != primary]
        if not backups:
            plan.warnings.append(f"{label}: no second person is available for secondary")
            return primary, None
        plan.warnings.append(
            f"{label}: the team is too small to avoid back-to-back shifts; "
            f"{', '.join(m.name for m in backups)} may serve again as secondary"
        )
    backups = sorted(backups, key=lambda m: (load[m.person], m.person))
    return primary, backups[0].person


def group_regions(members: Sequence[Member], on: date) -> dict[str, list[Member]]:
    """Members grouped by UTC offset; a gap of 6 hours or more starts a new region."""
    ordered = sorted(members, key=lambda m: (m.utc_offset_hours(on), m.person))
    regions: list[list[Member]] = []
    for member in ordered:
        if (
            regions
            and member.utc_offset_hours(on) - regions[-1][-1].utc_offset_hours(on)
            < REGION_GAP_HOURS
        ):
            regions[-1].append(member)
        else:
            regions.append([member])
    if len(regions) == 1:
        return {"all": regions[0]} if regions else {}
    return {_region_name(group, on): group for group in regions}


def _region_name(group: Sequence[Member], on: date) -> str:
    offset = group[0].utc_offset_hours(on)
    return f"UTC{offset:+g}"


def _hours(regions: dict[str, list[Member]], on: date) -> dict[str, str]:
    """With several regions, each covers from its 09:00 local to the next region's."""
    if len(regions) < 2:
        return {}
    starts = sorted(
        ((LOCAL_START_HOUR - group[0].utc_offset_hours(on)) % 24, name)
        for name, group in regions.items()
    )
    windows = {}
    for i, (begin, name) in enumerate(starts):
        finish = starts[(i + 1) % len(starts)][0]
        windows[name] = f"{_hhmm(begin)}-{_hhmm(finish)}"
    return windows


def _hhmm(hours: float) -> str:
    whole = int(hours) % 24
    return f"{whole:02d}:{int(round((hours - int(hours)) * 60)):02d}"


def to_ics(plan: RotationPlan) -> bytes:
    """One all-day event per shift, importable into any calendar."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//ktlo//rotation//EN")
    calendar.add("version", "2.0")
    stamp = datetime.now(UTC)
    for shift in plan.shifts:
        event = Event()
        who = shift.primary or "uncovered"
        summary = f"KTLO on-call ({plan.team}): {who}"
        if shift.secondary:
            summary += f", secondary {shift.secondary}"
        if shift.hours_utc:
            summary += f" [{shift.region} {shift.hours_utc} UTC]"
        event.add("summary", summary)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("dtstamp", stamp)
        event.add("uid", f"ktlo-rotation-{plan.team}-{shift.region}-{shift.start.isoformat()}@ktlo")
        event.add(
            "description",
            f"Period {shift.period} of the {plan.length} rotation of team {plan.team}.",
        )
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def to_rows(plan: RotationPlan) -> list[dict[str, object]]:
    """The plan as flat rows (CSV and JSON)."""
    return [
        {
            "period": s.period,
            "start": s.start.isoformat(),
            "end": (s.end - timedelta(days=1)).isoformat(),
            "region": s.region,
            "hours_utc": s.hours_utc,
            "primary": s.primary,
            "secondary": s.secondary,
        }
        for s in plan.shifts
    ]
