"""The `ktlo allocation --json` (`ktlo.allocation/v2`) and `ktlo budget --json`
(`ktlo.budget/v2`) documents as typed models.

`ktlo.effort.allocation` builds them; the terminal and CSV renderers and the forecast read
their attributes; docs/allocation.md's field tables are generated from them. Fields are
declared in the order the JSON has always written them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from ktlo.documents import Document, is_none
from ktlo.effort.error_bars import ErrorRates

Status = Literal["over", "likely over", "inside", "likely under", "under", "unknown"]
STATUS = (
    "the share against the band: `over` when its whole interval is above it, `likely over` "
    "when the share is above but the interval reaches into it, `under` and `likely under` "
    "alike, `inside`, `unknown`"
)


class AllocationTotals(Document):
    """Effort over the whole range asked for."""

    person_days: float = Field(description="effort (docs/effort.md)")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    ktlo_share: float | None = Field(description="KTLO share of effort, corrected")
    fte: float | None = Field(description="person-days ÷ `workdays`")
    workdays: int = Field(description="the working days the data covers: what `fte` divides by")
    people: int = Field(description="people with effort")
    first_day: str | None = Field(description="the oldest day of effort")
    last_day: str | None = Field(description="the newest day of effort")
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")
    items: int = Field(description="work items with effort")
    lines: int = Field(description="lines added + deleted by those of them that are commits")


class Group(Document):
    """One value of `by` (an investment, team, person, subcategory or repository)."""

    key: str = Field(description="the value (`other` for none)")
    investment: str | None = Field(
        None,
        exclude_if=is_none,
        description="the subcategory's investment (grouped by subcategory; left out otherwise)",
    )
    person_days: float = Field(description="effort")
    ktlo_person_days: int | float = Field(description="effort on items whose verdict is KTLO")
    items: int = Field(description="work items")
    share: float | None = Field(description="of all person-days")
    ktlo_share: float | None = Field(description="KTLO share within the group, corrected")
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")


class PeriodGroup(TypedDict):
    """One value of `by` within a period.

    A plain dict, not a model: `--by initiative` on a million items has 129,570 of them, and
    pydantic-core checks that many dicts about five times faster than it makes models
    (BENCHMARKS.md). Read it as `group["key"]`."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    key: Annotated[str, Field(description="the value (`other` for none)")]
    person_days: Annotated[float, Field(description="effort")]
    items: Annotated[int, Field(description="work items")]
    share: Annotated[float | None, Field(description="of the period's person-days")]
    fte: Annotated[float, Field(description="person-days ÷ the period's `workdays`")]


class AllocationPeriod(Document):
    """One week, month or quarter, oldest first."""

    period: str = Field(description="its label: `2026-01`, `2026-W03`, `2026-Q1`")
    start: str = Field(description="its first day")
    complete: bool = Field(description="the data covers it whole")
    in_progress: bool = Field(description="it has working days after the newest day of effort")
    workdays: int = Field(description="the working days covered: what `fte` divides by")
    person_days: float = Field(description="effort")
    fte: float = Field(description="person-days ÷ `workdays`")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    ktlo_share: float | None = Field(description="KTLO share of effort, corrected")
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")
    status: Status = Field(description=STATUS)
    groups: list[PeriodGroup] = Field(description="per value of `by`, most person-days first")


class AllocationTrend(Document):
    """The KTLO share's direction."""

    direction: Literal["up", "down", "flat", "unknown"] = Field(
        description="between the last two complete periods (a change under 2 points is flat)"
    )
    series: list[float | None] = Field(description="KTLO share per period")


class AllocationBudget(Document):
    """The last complete period against the budget band."""

    period: str | None = Field(description="the last complete period, `null` when none is")
    low: float = Field(description="the band's lower edge")
    high: float = Field(description="the band's upper edge")
    share: float | None = Field(description="that period's KTLO share, corrected")
    share_low: float | None = Field(description="low end of its 90% interval")
    share_high: float | None = Field(description="high end of its 90% interval")
    status: Status = Field(description=STATUS)


class Cost(Document):
    """What the KTLO effort costs (teams with `cost_per_fte_month`)."""

    ktlo_cost: int | float = Field(description="over every team with a cost")
    by_team: dict[str, float] = Field(description="per team")
    basis: str = Field(description="how it is computed (of the verdicts' KTLO person-days)")


class KindDays(Document):
    """Effort on one kind of item."""

    kind: str = Field(description="commit, pull_request, issue, epic, ...")
    person_days: float = Field(description="effort")
    items: int = Field(description="work items")


class Unassigned(Document):
    """What the group of items with no value holds: `(no initiative)` of `--by initiative`,
    `(uncategorised)` of `--by category`."""

    key: str = Field(description="the group's key: `(no initiative)` or `(uncategorised)`")
    holds: str = Field(description="what it holds, in words")
    by_kind: list[KindDays] = Field(description="its effort per kind of item, most first")


class CategoryOverlap(Document):
    """Effort on items matching two custom categories: counted in the first in ktlo.toml."""

    category: str = Field(description="the category it is counted in (the first it matches)")
    also: str = Field(description="a later category its items match too, not counted there")
    person_days: float = Field(description="the effort on those items (within `category`)")
    items: int = Field(description="work items")


class AllocationDocument(Document):
    """`ktlo allocation --json`."""

    schema_: Literal["ktlo.allocation/v2"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team asked for, `null` for all")
    period: Literal["week", "month", "quarter"] = Field(description="the periods' size")
    by: str = Field(
        description="what `groups` are of: investment, team, person, subcategory, repo, "
        "initiative, category"
    )
    since: str | None = Field(description="the range asked for: its first day")
    until: str | None = Field(description="the range asked for: its end (exclusive)")
    as_of: str | None = Field(description="the newest day of effort: which periods are complete")
    data_from: str | None = Field(description="the oldest day of effort")
    totals: AllocationTotals = Field(description="effort over the whole range")
    fte_note: str = Field(description="what FTE divides by, and why it is below headcount")
    groups: list[Group] = Field(description="per value of `by`, most person-days first")
    periods: list[AllocationPeriod] = Field(description="oldest first")
    trend: AllocationTrend = Field(description="the KTLO share's direction")
    budget: AllocationBudget = Field(description="the last complete period against the band")
    error_rates: ErrorRates = Field(
        description="what the correction used (as in [analyze-json.md](analyze-json.md))"
    )
    cost: Cost | None = Field(description="`null` when no team has a `cost_per_fte_month`")
    no_initiative: Unassigned | None = Field(
        None,
        exclude_if=is_none,
        description="`--by initiative` only (left out otherwise): what `(no initiative)` holds",
    )
    no_category: Unassigned | None = Field(
        None,
        exclude_if=is_none,
        description="`--by category` only (left out otherwise): what `(uncategorised)` holds",
    )
    category_overlaps: list[CategoryOverlap] | None = Field(
        None,
        exclude_if=is_none,
        description="`--by category` only (left out otherwise): effort whose items match a "
        "later category too, most first (empty: the categories do not overlap)",
    )


class DriverKind(Document):
    """A KTLO subcategory that drives a team's share."""

    subcategory: str | None = Field(description="the subcategory")
    person_days: float = Field(description="KTLO effort on it over the last 91 days")


class DriverPlace(Document):
    """A directory of one repository that drives a team's share."""

    repo_id: str = Field(description="the repository")
    directory: str = Field(description="the directory (`.`: the repository's root files)")
    person_days: float = Field(
        description="KTLO effort there over the last 91 days (a commit's split over its files)"
    )


class Drivers(Document):
    """Where a team's KTLO effort goes, over the last 91 days."""

    subcategories: list[DriverKind] = Field(description="its top three KTLO subcategories")
    hotspots: list[DriverPlace] = Field(description="its top three directories")


class Bucket(Document):
    """One budget bucket of a team with `targets`, in the last complete period."""

    bucket: str = Field(
        description="an investment or subcategory of `targets` (as renamed), or `(rest)`: "
        "every kind no other bucket takes"
    )
    target: float = Field(
        description="its target, of the team's person-days (`(rest)`: what the others leave)"
    )
    low: float = Field(
        description="target − `target_tolerance`, not below 0: the band's lower edge"
    )
    high: float = Field(
        description="target + `target_tolerance`, not above 1: the band's upper edge"
    )
    person_days: float = Field(description="its effort in the last complete period")
    share: float | None = Field(
        description="its person-days ÷ all the team's person-days in that period (verdicts)"
    )
    corrected_share: float | None = Field(
        description="the bucket holding all of KTLO only: its share corrected for the "
        "verdicts' error (`null` for the others)"
    )
    corrected_share_low: float | None = Field(description="low end of its 90% interval")
    corrected_share_high: float | None = Field(description="high end of its 90% interval")
    status: Status = Field(
        description="the share against the band (the corrected share and its interval where "
        "there is one, as `last_period_status`; else `over`, `inside`, `under`)"
    )
    previous_share: float | None = Field(description="its share in the previous complete period")
    drift: float | None = Field(description="`share` − `previous_share`")


class Buckets(Document):
    """A team's effort split against its `targets` (docs/allocation.md#budget-buckets)."""

    period: str | None = Field(description="the last complete period, `null` when none is")
    previous_period: str | None = Field(description="the complete period before it")
    tolerance: float = Field(
        description="`target_tolerance`: a share this close to its target is inside"
    )
    buckets: list[Bucket] = Field(description="in the order of `targets`, `(rest)` last")


class TeamBudget(Document):
    """One team against its band."""

    team: str = Field(description="the team")
    low: float = Field(description="its band's lower edge")
    high: float = Field(description="its band's upper edge")
    last_period: str | None = Field(description="the last complete period")
    last_period_share: float | None = Field(description="its KTLO share, corrected")
    last_period_share_low: float | None = Field(description="low end of its 90% interval")
    last_period_share_high: float | None = Field(description="high end of its 90% interval")
    last_period_status: Status = Field(description=STATUS)
    quarter_share: float | None = Field(description="KTLO share of the last 91 days, corrected")
    quarter_share_low: float | None = Field(description="low end of its 90% interval")
    quarter_share_high: float | None = Field(description="high end of its 90% interval")
    quarter_status: Status = Field(description=STATUS)
    drifting: bool = Field(
        description="the share rose over the last three complete periods, by 5 points or more"
    )
    recent_shares: list[float] = Field(description="the last three complete periods' shares")
    drivers: Drivers = Field(description="where its KTLO effort goes")
    buckets: Buckets | None = Field(
        None,
        exclude_if=is_none,
        description="its budget buckets (teams with `targets` only; left out otherwise)",
    )


class BudgetDocument(Document):
    """`ktlo budget --json`."""

    schema_: Literal["ktlo.budget/v2"] = Field(alias="schema", description="the schema id")
    period: Literal["week", "month", "quarter"] = Field(description="the periods' size")
    as_of: str = Field(description="the latest day with effort")
    teams: list[TeamBudget] = Field(description="each team (configured teams in their order)")
