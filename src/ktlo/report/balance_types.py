"""The investment parts of the report document (`ktlo.report/v2`, ktlo.report.sections):
filters and choices, each balance, the team cards, hotspots, people and the largest items.
"""

from __future__ import annotations

from pydantic import Field

from ktlo.documents import Document
from ktlo.effort.allocation_document import Drivers
from ktlo.planning.ktlo_mode.answer import State

STATUS = (
    "the share read with its interval: `over`, `likely over`, `inside`, `likely under`, `under`"
)


class Filters(Document):
    """What the report is restricted to; `null` means everything."""

    team: str | None = Field(description="a team from ktlo.toml, or `(no team)`")
    period: str = Field(description="the bucket: `week`, `month` or `quarter`")
    since: str | None = Field(description="the first day")
    until: str | None = Field(description="the day after the last (excluded)")
    repo: str | None = Field(description="a repository id")
    service: str | None = Field(description="a service (the repositories that deploy it)")


class Choices(Document):
    """The values the filters can take."""

    teams: list[str] = Field(description="configured teams, then `(no team)` when it has effort")
    repositories: list[str] = Field(description="repository ids with effort")
    services: list[str] = Field(description="services named by records or by ktlo.toml")


class StackKind(Document):
    """One kind of the balance's stack, in the stack's order (KTLO at the bottom)."""

    key: str = Field(description="a subcategory as shown (renamed), or `other`")
    investment: str = Field(description="`ktlo`, `new_work` or `other`")


class BalancePeriod(Document):
    """One period of a balance."""

    period: str = Field(description="its label (`2026-03`, `2026-W11`, `2026-Q1`)")
    start: str = Field(description="its first day")
    complete: bool = Field(description="the data covers it whole")
    in_progress: bool = Field(
        description='the newest day of effort is inside it (shown "so far"); a period the '
        'data begins inside is neither complete nor in progress and shows "partial"'
    )
    workdays: int = Field(description="the working days the data covers: what `fte` divides by")
    person_days: float = Field(description="effort")
    fte: float = Field(description="person-days ÷ `workdays`")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    ktlo_share: float | None = Field(
        description="KTLO share, corrected for the verdicts' measured error"
    )
    status: str = Field(description=STATUS)
    by_subcategory: dict[str, float] = Field(
        description="person-days of verdicts per kind (as `subcategories` names them), most first"
    )
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")


class BalanceTotals(Document):
    """A balance's effort over the whole span shown."""

    person_days: float = Field(description="effort")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    ktlo_share: float | None = Field(description="KTLO share, corrected")
    fte: float | None = Field(description="person-days ÷ `workdays`")
    workdays: int = Field(description="the working days between the first and the last day")
    people: int = Field(description="people with effort")
    first_day: str | None = Field(description="the oldest day of effort")
    last_day: str | None = Field(description="the newest day of effort")
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")


class BalanceTrend(Document):
    """The KTLO share over the periods."""

    direction: str = Field(
        description="the last complete period against the one before: `up`, `down`, `flat` "
        "(within 2 points), `unknown`"
    )
    series: list[float | None] = Field(description="the KTLO share per period, oldest first")


class Balance(Document):
    """A team's (or the organisation's) effort per period and kind, against its band."""

    team: str | None = Field(description="the team; `null` for the organisation")
    period: str = Field(description="`week`, `month` or `quarter`")
    low: float = Field(description="its KTLO budget band's low end")
    high: float = Field(description="its band's high end")
    subcategories: list[StackKind] = Field(description="the stack's order")
    periods: list[BalancePeriod] = Field(description="oldest first")
    totals: BalanceTotals = Field(description="the whole span")
    trend: BalanceTrend = Field(description="the KTLO share's direction and series")


class CardMode(Document):
    """A team's KTLO-mode answer, as its card shows it."""

    state: State = Field(description="`enter`, `stay`, `exit` or `normal`")
    state_text: str = Field(description="the answer in words")
    risk: float | None = Field(description="the risk, 0 to 1")
    risk_text: str = Field(description="the risk as shown")
    period: str | None = Field(description="the period assessed")
    history_text: str = Field(description="the history as runs, in words")


class HealthRisk(Document):
    """An operational signal adding to a team's KTLO-mode risk."""

    signal: str = Field(description="the signal (docs/ktlo-mode.md)")
    text: str = Field(description="the sentence shown")
    share_of_risk: float | None = Field(description="its share of the risk")
    panel: str | None = Field(description="the health panel showing it")


class TeamCard(Document):
    """A team's card: `ktlo budget`'s figures, cost and its KTLO-mode answer."""

    team: str = Field(description="the team")
    low: float = Field(description="its band's low end")
    high: float = Field(description="its band's high end")
    person_days: float = Field(description="effort over the span shown")
    ktlo_person_days: float = Field(description="of it on KTLO verdicts")
    ktlo_share: float | None = Field(description="KTLO share over the span, corrected")
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")
    fte: float | None = Field(description="person-days ÷ working days covered")
    people: int = Field(description="people with effort")
    last_period: str | None = Field(description="the last complete period")
    last_period_share: float | None = Field(description="its KTLO share")
    last_period_share_low: float | None = Field(description="low end of its 90% interval")
    last_period_share_high: float | None = Field(description="high end of its 90% interval")
    last_period_status: str = Field(description=STATUS + ", `unknown`")
    quarter_share: float | None = Field(description="the KTLO share of the last 91 days")
    quarter_share_low: float | None = Field(description="low end of its 90% interval")
    quarter_share_high: float | None = Field(description="high end of its 90% interval")
    quarter_status: str = Field(description="its status, as `last_period_status`")
    drifting: bool = Field(
        description="the last three complete periods rise, by 5 points or more in all"
    )
    recent_shares: list[float] = Field(description="the last three complete periods' shares")
    trend: str = Field(description="`up`, `down`, `flat` within 2 points, `unknown`")
    series: list[float | None] = Field(description="the KTLO share per period")
    drivers: Drivers = Field(description="its top KTLO kinds and places of the last 91 days")
    ktlo_cost: float | None = Field(
        description="KTLO person-days ÷ 21 × `cost_per_fte_month`; `null` without a cost"
    )
    ktlo_mode: CardMode | None = Field(
        description="the team's KTLO-mode answer; `null` for a team KTLO mode does not assess"
    )
    health_risks: list[HealthRisk] = Field(description="up to three, most of the risk first")
    health_note: str | None = Field(description="why there are none, or `null`")


class Hotspot(Document):
    """A directory of one repository, by the KTLO person-days spent there."""

    repo_id: str | None = Field(description="the repository")
    directory: str = Field(description='the directory (`.`: the root files, "(root files)")')
    ktlo_person_days: float = Field(description="KTLO effort there (a commit's split over files)")
    share_of_ktlo: float | None = Field(description="of all KTLO person-days shown")
    ktlo_ratio: float | None = Field(description="of the effort there")
    kinds: list[str] = Field(description="its top three KTLO kinds")


class KtloPerson(Document):
    """A person, by the KTLO person-days they carry."""

    person: str = Field(description="the person's id")
    name: str = Field(description="as shown")
    ktlo_person_days: float = Field(description="their KTLO effort")
    person_days: float = Field(description="all their effort")
    share_of_ktlo: float | None = Field(description="of all KTLO person-days shown")
    ktlo_ratio: float | None = Field(description="of their effort")


class LargestItem(Document):
    """A KTLO item with much effort in the last 91 days."""

    item_id: str = Field(description="its id")
    title: str | None = Field(description="its title")
    kind: str = Field(description="commit, pull request, issue…")
    repo_id: str | None = Field(description="its repository")
    person_days: float = Field(description="effort on it in the last 91 days")
    subcategory: str | None = Field(description="its KTLO kind")
    reasons: list[str] = Field(description="why the verdict")
    overridden: bool = Field(description="a person corrected it")


class Synced(Document):
    """How many records of each operational kind the store holds."""

    deployments: int = Field(description="deployments")
    incidents: int = Field(description="incidents")
    builds: int = Field(description="CI builds")
    alerts: int = Field(description="alerts")
    bugs: int = Field(description="bug reports")
