"""The operational parts of the report document (ktlo.report.ops): health panels and their
Prometheus families, KTLO mode, and each team's on-call load with its model comparison.
"""

from __future__ import annotations

from pydantic import Field

from ktlo.documents import Document
from ktlo.metrics.health_document import HealthDocument
from ktlo.planning.ktlo_mode.answer import ModeTeam
from ktlo.planning.rotation_review_document import OnCallModels, PersonLoad


class HealthPanel(Document):
    """One panel of the health section."""

    key: str = Field(
        description="`dora`, `incidents`, `repeats`, `slos`, `bugs`, `builds`, `alerts`"
    )
    title: str = Field(description="its title")
    missing: str | None = Field(
        description='the sentence shown instead of the panel (e.g. "no incidents synced yet — '
        'run `ktlo sync`"), or `null`'
    )


class MetricSample(Document):
    """One sample of a gauge family."""

    labels: list[str] = Field(description="its label values, in the family's order")
    value: float = Field(description="its value")


class MetricFamily(Document):
    """A Prometheus gauge family `/metrics` serves (ktlo.server.metrics)."""

    name: str = Field(description="its name, `ktlo_…`")
    help: str = Field(description="its help text")
    labels: list[str] = Field(description="its label names")
    samples: list[MetricSample] = Field(description="its samples")


class HealthSection(Document):
    """`ktlo health` for the same filters, laid out as panels."""

    scorecard: HealthDocument | None = Field(
        description="the `ktlo health` document for the same team, service, period and `until` "
        "(docs/metrics.md), or `null` when nothing operational was synced"
    )
    panels: list[HealthPanel] = Field(description="the panels, in the page's order")
    metrics: list[MetricFamily] = Field(
        description="DORA values and error budgets as Prometheus gauge families"
    )


class ModeMissing(Document):
    """KTLO mode when it cannot answer."""

    missing: str = Field(description="why (no teams configured, a team not configured)")
    teams: list[ModeTeam] = Field(description="empty")


class ModeSection(Document):
    """`ktlo mode`'s answer for the teams shown (docs/ktlo-mode.md)."""

    missing: None = Field(description="`null`")
    period: str = Field(description="`week` for a weekly report, else `month`")
    last_period: str | None = Field(description="the last complete period assessed")
    enter: float = Field(description="the risk at which a team enters KTLO mode")
    exit: float = Field(description="the risk below which it leaves")
    teams: list[ModeTeam] = Field(description="per team: state, risk, reasons, history")


class FollowUpCounts(Document):
    """Postmortem follow-ups of a team's incidents (`ktlo rotation review`)."""

    incidents: int = Field(description="incidents resolved in the span")
    with_follow_ups: int = Field(description="of them with at least one follow-up")
    follow_ups: int = Field(description="follow-ups in all")
    done: int = Field(description="of them closed")
    done_share: float | None = Field(description="done / follow-ups; `null` without any")


class RotationLoad(Document):
    """A team's on-call review over the last 91 days (from `since` when the filters set it)."""

    team: str = Field(description="the team")
    since: str = Field(description="the first day reviewed")
    people: list[PersonLoad] = Field(description="each member's load, most first")
    gini: float = Field(description="the Gini coefficient of load (0 = equal)")
    shifts: int = Field(description="weeks on call reviewed")
    on_call_from: str = Field(description="`schedule` or `acknowledgements`")
    models: OnCallModels = Field(description="which model works (docs/planning.md)")
    follow_ups: FollowUpCounts = Field(description="postmortem follow-ups and how many are done")


class RotationSection(Document):
    """Per team with members, its on-call load."""

    missing: str | None = Field(description="why there is none, or `null`")
    teams: list[RotationLoad] = Field(description="per team with members")
