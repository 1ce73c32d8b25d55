"""`ktlo flow --json`: the typed document (schema `ktlo.flow/v1`), built by ktlo.planning.flow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ktlo.documents import Document, is_none


class FlowGroup(Document):
    """One investment and subcategory: how its work flows."""

    investment: str = Field(description="`ktlo`, `new_work` or `other`")
    subcategory: str | None = Field(description="its KTLO or new-work subcategory")
    throughput: int = Field(description="items finished in the window")
    cycle_items: int = Field(
        description="of them, items with a start: the ones cycle time is measured on"
    )
    cycle_median_days: float | None = Field(
        description="median of done − first started, days, over the items finished in the window"
    )
    cycle_p85_days: float | None = Field(
        description="85th percentile of the same (linear interpolation, DuckDB `quantile_cont`)"
    )
    wip: int = Field(description="items in progress at `as_of`")
    wip_age_median_days: float | None = Field(
        description="median age of the items in progress: as_of − first started, days"
    )
    wip_oldest_days: float | None = Field(description="age of the oldest item in progress, days")
    sle_days: float | None = Field(
        description="the service-level expectation of this kind of work, days; `null`: none set"
    )
    past_sle: int = Field(description="items in progress for longer than `sle_days`")
    finished_late: int = Field(
        description="items finished in the window whose cycle time exceeded `sle_days`"
    )


class FlowItem(Document):
    """An item in progress past its service-level expectation."""

    item_id: str = Field(description="its id in the store")
    ref: str = Field(description="its key or number as its source shows it")
    title: str = Field(description="its title")
    team: str = Field(description="the team owning its repository or project, or `(no team)`")
    investment: str = Field(description="its investment")
    subcategory: str | None = Field(description="its subcategory")
    started_at: str = Field(description="when it first entered a started status (UTC)")
    age_days: float = Field(description="as_of − started_at, days")
    sle_days: float = Field(description="the expectation it is past, days")


class FlowTeam(Document):
    """A team's KTLO work in progress against its limit."""

    team: str = Field(description="the team, or `(no team)` for items no team owns")
    ktlo_wip: int = Field(description="KTLO items in progress at `as_of`")
    wip: int = Field(description="all items in progress at `as_of`")
    ktlo_wip_limit: int | None = Field(
        description="`ktlo_wip_limit` of the team in ktlo.toml; `null`: none set"
    )
    over_limit: bool = Field(description="`ktlo_wip` is above `ktlo_wip_limit`")


class FlowPeriod(Document):
    """One calendar period's finished work."""

    period: str = Field(description="its label: 2026-W14, 2026-04, 2026-Q2")
    start: str = Field(description="its first day")
    throughput: int = Field(description="items finished in it")
    ktlo_throughput: int = Field(description="of them KTLO")
    ktlo_cycle_median_days: float | None = Field(
        description="median cycle time of the KTLO items finished in it, days"
    )


class FlowDocument(Document):
    """`ktlo flow --json`: cycle time, throughput, work in progress and its age, per
    investment and subcategory, from status changes and pull requests."""

    schema_: Literal["ktlo.flow/v1"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team asked for, `null` for all")
    period: Literal["week", "month", "quarter"] = Field(description="the window's length")
    at_period: str | None = Field(
        None,
        exclude_if=is_none,
        description="the period asked for by its label (`--period 2026-09`): the window is "
        "that period and `as_of` its end; left out for the window up to the newest event",
    )
    as_of: str | None = Field(
        description="the newest status change or pull request event stored (UTC): `now` for "
        "every age; `null` when there is none"
    )
    window_start: str | None = Field(
        description="throughput and cycle time count items finished from this, up to `as_of`"
    )
    groups: list[FlowGroup] = Field(description="one per investment and subcategory, KTLO first")
    teams: list[FlowTeam] = Field(description="each team's KTLO work in progress and its limit")
    past_sle: list[FlowItem] = Field(
        description="items in progress past their expectation, oldest first"
    )
    trend: list[FlowPeriod] = Field(description="the last 12 calendar periods, oldest first")
    reasons: list[str] = Field(description="what to look at: limits exceeded, items past SLE")
