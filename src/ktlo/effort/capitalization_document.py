"""The `ktlo capitalization --json` document (`ktlo.capitalization/v1`) as typed models.

`ktlo.effort.capitalization` builds it; the terminal and CSV renderers read its attributes;
docs/capitalization.md's field table is generated from it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ktlo.documents import Document, is_none

CostClass = Literal["capitalizable", "expensed"]


class CapitalizedItem(Document):
    """One item behind a figure (`--items`)."""

    item_id: str = Field(description="the store's key")
    ref: str = Field(description="the tool's id: an issue key, a pull request's number, a sha")
    kind: str = Field(description="commit, pull_request, issue, epic, ...")
    title: str = Field(description="its title (a commit's first line)")
    initiative: str | None = Field(description="its initiative, `null` for none")
    investment: str = Field(description="its verdict's investment")
    reason: str = Field(description="why it is in its class (the rule that placed it)")
    person_days: float = Field(description="its effort in the team and period")


class CapitalizationRow(Document):
    """One team, period and class: what a finance team books."""

    team: str = Field(description="the team (`(no team)` for effort no team owns)")
    period: str = Field(description="its label: `2026-10`")
    start: str = Field(description="its first day")
    complete: bool = Field(description="the data covers the period whole")
    in_progress: bool = Field(
        description="the period had not ended when the data did: its figures will still grow"
    )
    cost_class: CostClass = Field(description="`capitalizable` or `expensed`")
    person_days: float = Field(description="effort (docs/effort.md)")
    fte: float = Field(description="person-days ÷ the period's covered working days")
    cost: float | None = Field(
        description="person-days ÷ 21.7 × the team's `cost_per_fte_month`; `null` without one"
    )
    items: int = Field(description="work items behind the person-days")
    listed: list[CapitalizedItem] | None = Field(
        None,
        exclude_if=is_none,
        description="`--items` only (left out otherwise): the items, most effort first",
    )


class CapitalizationDocument(Document):
    """`ktlo capitalization --json`."""

    schema_: Literal["ktlo.capitalization/v1"] = Field(alias="schema", description="the schema id")
    period: Literal["week", "month", "quarter"] = Field(description="the periods' size")
    team: str | None = Field(description="the team asked for, `null` for all")
    as_of: str | None = Field(description="the newest day of effort: which periods are complete")
    capitalizable_initiatives: list[str] = Field(
        description="the initiatives ktlo.toml marks `capitalizable = true`"
    )
    rule: str = Field(description="what is capitalizable, in words (docs/capitalization.md)")
    cost_basis: str = Field(description="how cost is computed")
    missing_costs: list[str] = Field(
        description="teams with effort but no `cost_per_fte_month`: their cost is `null`"
    )
    notes: list[str] = Field(description="what to know before booking these figures")
    rows: list[CapitalizationRow] = Field(
        description="per team, period (oldest first) and class (capitalizable first)"
    )
