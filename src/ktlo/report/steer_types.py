"""The steering parts of the report document (ktlo.report.steer): the forecast, the sprints
and the rotation calendar.
"""

from __future__ import annotations

from pydantic import Field

from ktlo.documents import Document
from ktlo.planning.capacity import CapacityBasis
from ktlo.planning.outlook import Backtest
from ktlo.planning.sprints import Sprint, SprintTrend


class PastPeriod(Document):
    """A period of the forecast's history."""

    period: str = Field(description="its label")
    start: str = Field(description="its first day")
    share: float = Field(description="its KTLO share, corrected")
    person_days: float = Field(description="its effort")


class AheadPeriod(Document):
    """A period ahead with its 80% band and the room it leaves for new work."""

    period: str = Field(description="its label")
    start: str = Field(description="its first day")
    share: float = Field(description="the KTLO share expected")
    low: float = Field(description="the band's low edge")
    high: float = Field(description="the band's high edge")
    capacity_person_days: float | None = Field(description="measured capacity")
    new_work_person_days: float | None = Field(description="what it leaves for new work")


class TeamForecast(Document):
    """`ktlo forecast --horizon 1` over one balance's own history."""

    team: str | None = Field(description="the team, `null` for the organisation")
    low: float = Field(description="its budget band's low end")
    high: float = Field(description="its band's high end")
    missing: str | None = Field(
        description='e.g. "2 complete months of history (2026-03 is in progress); a forecast '
        'needs 4 — sync or analyze more history", or `null`'
    )
    history: list[PastPeriod] = Field(description="the complete periods")
    in_progress: PastPeriod | None = Field(
        description="a last period with working days after the newest day of effort: shown, "
        "not fitted, and the forecast's first period; or `null`"
    )
    method: str | None = Field(
        description="`trend`, or `naive` when the trend did worse than the last value in back-test"
    )
    method_note: str | None = Field(description="why, or `null`")
    forecast: list[AheadPeriod] = Field(description="the periods ahead")
    backtest: Backtest | None = Field(description="the back-test errors")
    capacity: CapacityBasis | None = Field(description="how capacity was measured")
    capacity_person_days: float | None = Field(
        description="over the horizon; `null` only when no complete period was measured"
    )
    new_work_person_days: float | None = Field(description="left for new work over the horizon")


class ForecastSection(Document):
    """The forecast of each balance shown (the organisation first)."""

    period: str = Field(description="`month`, or `quarter` for a quarterly report")
    horizon_quarters: int = Field(description="1")
    band: str = Field(description="`80%`")
    teams: list[TeamForecast] = Field(description="per balance shown")


class SprintTeam(Document):
    """A team's sprints or cycles with its budget band."""

    team: str = Field(description="the team (`(no team)` for sprints of none)")
    low: float = Field(description="its band's low end (20% for a team not in ktlo.toml)")
    high: float = Field(description="its band's high end")
    sprints: list[Sprint] = Field(description="oldest first, as `ktlo sprints --json`")
    trend: SprintTrend = Field(description="the sprints' figures as series")


class SprintsSection(Document):
    """Per team with sprints or cycles in the filters' dates."""

    missing: str | None = Field(
        description='"no sprints or cycles synced yet — sync Jira or Linear", or when none '
        "is of the team or in the dates chosen a sentence saying so; or `null`"
    )
    teams: list[SprintTeam] = Field(description="configured teams first, then the others")


class PlanShift(Document):
    """One week of the planned rotation."""

    period: int = Field(description="its number, from 1")
    start: str = Field(description="its first day")
    end: str = Field(description="its last day (included)")
    region: str = Field(description="`all`, or the region when the team is split")
    hours_utc: str | None = Field(description="the region's hours")
    primary: str | None = Field(description="who is primary; `null`: uncovered")
    secondary: str | None = Field(description="who is secondary")


class PlanNote(Document):
    """A warning of the plan without its period, once."""

    text: str = Field(description="the warning")
    periods: int = Field(description="how many weeks it concerns")


class TeamPlan(Document):
    """`ktlo rotation plan --secondary` for one team."""

    team: str = Field(description="the team")
    length: str = Field(description="`week`")
    period_days: int = Field(description="days per shift")
    regions: dict[str, list[str]] = Field(description="its regions and their members")
    names: dict[str, str] = Field(description="person id → display name")
    shifts: list[PlanShift] = Field(description="the shifts")
    load: dict[str, int | float] = Field(description="each member's load at the end")
    shifts_by_person: dict[str, int] = Field(description="shifts per person")
    warnings: list[str] = Field(description="as the command prints them")
    notes: list[PlanNote] = Field(description="the warnings without their period, each once")


class RotationPlanSection(Document):
    """The coming weeks' rotation per team with members."""

    missing: str | None = Field(description="no team with members, or `null`")
    start: str | None = Field(description="the Monday after `as_of`")
    weeks: int = Field(description="8")
    teams: list[TeamPlan] = Field(description="per team with members")
