"""The planning figures of the report document (ktlo.report.figures): KTLO flow, budget
buckets, allocation by a breakdown key (initiative, and others as they come) and R&D
capitalization, each as its own command computes it.
"""

from __future__ import annotations

from pydantic import Field

from ktlo.documents import Document
from ktlo.effort.allocation_document import AllocationPeriod, Buckets, Group, Unassigned
from ktlo.effort.capitalization_document import CapitalizationDocument
from ktlo.planning.flow_document import FlowDocument


class FlowSection(Document):
    """`ktlo flow` for the organisation and each team shown (docs/flow.md)."""

    missing: str | None = Field(
        description='"no tracker status changes or pull requests synced yet — …", or `null`'
    )
    period: str = Field(description="the window's length: the report's period")
    organisation: FlowDocument | None = Field(
        description="every team's work together (`ktlo flow`); `null` with a team filter"
    )
    teams: list[FlowDocument] = Field(
        description="per team shown, `ktlo flow --team T` (configured teams, then `(no team)` "
        "when it has work)"
    )


class BucketPeriod(Document):
    """One period of a team's buckets."""

    period: str = Field(description="its label")
    start: str = Field(description="its first day")
    complete: bool = Field(description="the data covers it whole")
    in_progress: bool = Field(description='the newest day of effort is inside it ("so far")')
    person_days: float = Field(description="the team's effort in it")
    shares: dict[str, float | None] = Field(
        description="per bucket (in the order of `targets`, `(rest)` last), its person-days ÷ "
        "the team's"
    )


class TeamBuckets(Document):
    """A team's budget buckets: `ktlo budget`'s figures and their history."""

    team: str = Field(description="the team")
    buckets: Buckets = Field(
        description="the last complete period against the targets, as `ktlo budget --json` "
        "gives them (docs/allocation.md#budget-buckets)"
    )
    periods: list[BucketPeriod] = Field(description="each period's shares, oldest first")


class BucketsSection(Document):
    """Per team shown with `targets` in ktlo.toml."""

    missing: str | None = Field(
        description='"no team shown has `targets` in ktlo.toml — …", or `null`'
    )
    teams: list[TeamBuckets] = Field(description="per team with targets")


class Breakdown(Document):
    """The filtered effort by one breakdown key, as `ktlo allocation --by KEY` gives it."""

    by: str = Field(description="the key: `initiative` (`ktlo allocation --by initiative`)")
    title: str = Field(description="the panel's title")
    groups: list[Group] = Field(
        description="per value of the key over the whole span, most person-days first: "
        "person-days, KTLO person-days and share (corrected, with its interval), items"
    )
    periods: list[AllocationPeriod] = Field(
        description="per period, oldest first: person-days and FTE per value"
    )
    unassigned: Unassigned | None = Field(
        description="what the group of no value holds (`(no initiative)`), or `null`"
    )


class CapitalizationSection(Document):
    """`ktlo capitalization` for the filters' team and period (docs/capitalization.md)."""

    document: CapitalizationDocument = Field(
        description="its document (`ktlo.capitalization/v1`), without the items behind it"
    )
    capitalizable_share: float | None = Field(
        description="capitalizable person-days ÷ all person-days, over the span shown"
    )
