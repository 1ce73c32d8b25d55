"""The `ktlo rotation review` document (`ktlo.rotation_review/v1`, docs/planning.md): what
past on-call shifts cost each person, whether it was fair, the follow-ups of incidents, and
which on-call model the data supports. ktlo.planning.rotation_review computes it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ktlo.documents import Document


class Shift(Document):
    """One person's week on call."""

    week: str = Field(description="the week's Monday")
    person: str = Field(description="who was on call (a ktlo.toml person id)")
    pages: int = Field(description="alerts and incidents of the team that week")
    after_hours_pages: int = Field(
        description="of them created outside 09:00–18:00 on a weekday, in the person's time zone"
    )
    incident_hours: int | float = Field(
        description="hours from created to resolved of the incidents the person took part in"
    )
    ktlo_person_days: float = Field(description="the person's KTLO effort that week")
    load: float = Field(description="pages + after-hours pages + incident hours / 4")


class PersonLoad(Document):
    """One member's load over the span, most loaded first."""

    person: str = Field(description="a ktlo.toml person id")
    load: float = Field(description="the sum of the person's shifts' load")
    overloaded: bool = Field(description="load above 1.5 × the mean load")


class IncidentFollowUps(Document):
    """One incident resolved in the span and its follow-ups."""

    incident: str = Field(description="the incident's id at its source")
    title: str = Field(description="its title")
    follow_ups: int = Field(description="KTLO items following it up")
    done: int = Field(description="of them closed")


class FollowUps(Document):
    """Postmortem follow-ups of the team's incidents."""

    incidents: int = Field(description="incidents resolved in the span")
    with_follow_ups: int = Field(description="of them with at least one follow-up")
    follow_ups: int = Field(description="follow-ups in all (each item counts once)")
    done: int = Field(description="of them closed")
    done_share: float | None = Field(description="done / follow-ups; `null` without any")
    by_incident: list[IncidentFollowUps] = Field(description="per incident")


class ModelComparison(Document):
    """One figure's means in rotation and in shared weeks, with the permutation test."""

    rotation: float | None = Field(description="its mean over rotation weeks")
    shared: float | None = Field(description="its mean over shared weeks")
    p_value: float | None = Field(description="`null` with fewer than 4 weeks of either")
    verdict: str = Field(description="what the data supports, in words")


class OnCallModels(Document):
    """Weeks one person handled (rotation) against weeks many did (shared)."""

    rotation_weeks: int = Field(description="weeks in which one person acknowledged ≥ 60% of pages")
    shared_weeks: int = Field(description="the other weeks with pages")
    metrics: dict[str, ModelComparison] = Field(
        description="`mttr_hours`, `people_interrupted` and `ktlo_share`"
    )


class RotationReviewDocument(Document):
    """`ktlo rotation review --json`: a team's past on-call shifts."""

    schema_: Literal["ktlo.rotation_review/v1"] = Field(alias="schema", description="the schema id")
    team: str = Field(description="the team")
    since: str = Field(description="the first day reviewed")
    on_call_from: Literal["schedule", "acknowledgements"] = Field(
        description="who was on call: read from `--schedule`, or inferred from acknowledgements"
    )
    shifts: list[Shift] = Field(description="one per week on call, oldest first")
    people: list[PersonLoad] = Field(description="each member's load, most first")
    gini: float = Field(description="the Gini coefficient of load (0 = equal)")
    follow_ups: FollowUps = Field(description="postmortem follow-ups")
    models: OnCallModels = Field(description="which on-call model the data supports")
    warnings: list[str] = Field(description="weeks of the schedule left out, and why")
