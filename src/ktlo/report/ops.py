"""The operational sections: health (DORA, incidents, bugs, builds, alerts, SLOs), KTLO mode
and rotation load. The figures come from `ktlo.metrics` and `ktlo.planning`; this module
decides, per panel, whether its data has been synced at all, so that a panel with no data
says so ("no incidents synced yet — run `ktlo sync`") instead of showing zeros.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ktlo.config import Config
from ktlo.effort.allocation import NO_TEAM
from ktlo.metrics.common import HealthOptions, Reuse
from ktlo.metrics.health import health
from ktlo.metrics.health_document import HealthDocument
from ktlo.metrics.synced import missing
from ktlo.metrics.synced import synced_counts as counts_of
from ktlo.planning.ktlo_mode import words as mode_words
from ktlo.planning.ktlo_mode.answer import ktlo_mode
from ktlo.planning.rotation_review import ktlo_items_since, rotation_review
from ktlo.report.balance_types import CardMode, HealthRisk, Synced, TeamCard
from ktlo.report.model import BASE_TABLE, ReportFilters
from ktlo.report.ops_types import (
    FollowUpCounts,
    HealthPanel,
    HealthSection,
    MetricFamily,
    MetricSample,
    ModeMissing,
    ModeSection,
    RotationLoad,
    RotationSection,
)
from ktlo.store import Store

ROTATION_DAYS = 91  # the rotation review covers the 91 days up to the newest effort


def synced_counts(store: Store) -> dict[str, int]:
    """How many records of each operational kind the store holds."""
    return counts_of(store.con)


def synced(counts: dict[str, int]) -> Synced:
    """The counts as the document writes them."""
    return Synced(**counts)


def rotation_section(
    store: Store, config: Config, filters: ReportFilters, as_of: str | None, counts: dict[str, int]
) -> RotationSection:
    """Per team with members: on-call load per person over the last 91 days, fairness, and
    which model (a rotation or shared weeks) the data supports, as `ktlo rotation review`."""
    absent = missing(counts, "alerts", "incidents")
    if absent:
        return RotationSection(missing=absent, teams=[])
    teams = [t for t in config.teams if t.members and (filters.team in (None, t.name))]
    if not teams:
        return RotationSection(
            missing="no team with members in ktlo.toml — list them under [[teams]]", teams=[]
        )
    end = date.fromisoformat(as_of) if as_of else date.today()
    since = filters.since or end - timedelta(days=ROTATION_DAYS)
    reviews = []
    items = ktlo_items_since(store, since)  # once for every team's follow-ups
    for team in teams:
        review = rotation_review(store, config, team, since, effort=BASE_TABLE, ktlo_items=items)
        reviews.append(
            RotationLoad(
                team=team.name,
                since=review.since,
                people=review.people,
                gini=review.gini,
                shifts=len(review.shifts),
                on_call_from=review.on_call_from,
                models=review.models,
                follow_ups=FollowUpCounts(**review.follow_ups.model_dump(exclude={"by_incident"})),
            )
        )
    return RotationSection(missing=None, teams=reviews)


# panel key -> (title, the records it needs)
HEALTH_PANELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dora", "DORA: delivery and stability", ("deployments",)),
    ("incidents", "Incidents and time to restore", ("incidents",)),
    ("repeats", "Repeat incidents", ("incidents",)),
    ("slos", "SLOs and error budget", ("incidents",)),
    ("bugs", "Bug backlog", ("bugs",)),
    ("builds", "Build health", ("builds",)),
    ("alerts", "Alert noise", ("alerts",)),
)
DORA_FIGURES = ("deployment_frequency", "lead_time", "change_failure_rate", "recovery_time")


def health_section(
    store: Store,
    config: Config,
    filters: ReportFilters,
    counts: dict[str, int],
    reuse: Reuse | None = None,
) -> HealthSection:
    """`ktlo health`'s scorecard for the filters, laid out as panels; a panel whose records
    were never synced says so instead."""
    panels = [
        HealthPanel(key=key, title=title, missing=missing(counts, *needs))
        for key, title, needs in HEALTH_PANELS
    ]
    if all(p.missing for p in panels):
        return HealthSection(scorecard=None, panels=panels, metrics=[])
    options = HealthOptions(
        team=filters.team if filters.team != NO_TEAM else None,
        service=filters.service,
        period=filters.period,
        until=filters.until,
    )
    card = health(store, config, options, reuse)
    panels = [
        p.model_copy(update={"missing": NO_SLOS})
        if p.key == "slos" and not p.missing and not card.slos
        else p
        for p in panels
    ]
    return HealthSection(scorecard=card, panels=panels, metrics=_metrics(card, filters))


NO_SLOS = "no SLOs configured — set `slo` under [services.NAME] in ktlo.toml"


def _metrics(card: HealthDocument, filters: ReportFilters) -> list[MetricFamily]:
    """DORA values and error budgets as Prometheus gauge families (see ktlo.server.metrics)."""
    scope = filters.team or filters.service or "organisation"
    families = []
    for name in DORA_FIGURES:
        figure = card.figure("dora", name)
        if figure.value is not None:
            families.append(
                MetricFamily(
                    name=f"ktlo_dora_{name}",
                    help=f"DORA {name.replace('_', ' ')} ({figure.unit}), "
                    f"last {card.period}, definition {card.definition}.",
                    labels=["scope"],
                    samples=[MetricSample(labels=[scope], value=float(figure.value))],
                )
            )
    budgets = [
        MetricSample(labels=[slo.service], value=float(slo.budget_remaining))
        for slo in card.slos
        if slo.budget_remaining is not None
    ]
    if budgets:
        families.append(
            MetricFamily(
                name="ktlo_error_budget_remaining",
                help="Fraction of the SLO's error budget left over its window (negative: spent).",
                labels=["service"],
                samples=budgets,
            )
        )
    return families


def mode_section(
    store: Store, config: Config, filters: ReportFilters, reuse: Reuse | None = None
) -> ModeSection | ModeMissing:
    """`ktlo mode` for the teams shown: state, risk, the reasons behind it, its history.
    It reads the report's effort over the whole history (`alloc_all`)."""
    if not config.teams:
        return ModeMissing(
            missing="no teams in ktlo.toml — KTLO mode is decided per team", teams=[]
        )
    if filters.team is not None and filters.team not in {t.name for t in config.teams}:
        return ModeMissing(missing=f"{filters.team} is not a configured team", teams=[])
    period = "week" if filters.period == "week" else "month"
    doc = ktlo_mode(store, config, filters.team, period, alloc=BASE_TABLE, reuse=reuse)
    return ModeSection(missing=None, period=period, last_period=doc.last_period,
                       enter=doc.enter, exit=doc.exit, teams=doc.teams)  # fmt: skip


def with_mode(cards: list[TeamCard], mode: ModeSection | ModeMissing) -> list[TeamCard]:
    """Each team card with its KTLO-mode answer and its top health risks, in words
    (ktlo.planning.ktlo_mode.words): the card answers "should this team put reliability first,
    and why" where its KTLO share is, not sections further down."""
    answers = {t.team: t for t in mode.teams}
    last = mode.last_period if isinstance(mode, ModeSection) else None
    found = []
    for card in cards:
        answer = answers.get(card.team)
        if answer is None:
            note = mode.missing or "no KTLO-mode answer for this team"
            found.append(card.model_copy(update={"health_note": note}))
            continue
        reasons = [r.to_json() for r in answer.reasons]
        risks = [HealthRisk(**r) for r in mode_words.health_risks(reasons)]
        shown = CardMode(state=answer.state, state_text=answer.state_text, risk=answer.risk,
                         risk_text=answer.risk_text, period=last,
                         history_text=answer.history_text)  # fmt: skip
        found.append(
            card.model_copy(
                update={
                    "ktlo_mode": shown,
                    "health_risks": risks,
                    "health_note": _health_note(reasons, risks, last),
                }  # fmt: skip
            )
        )
    return found


def _health_note(
    reasons: list[dict[str, Any]], risks: list[HealthRisk], last_period: str | None
) -> str | None:
    """What the card says when no operational signal adds to the risk."""
    if risks:
        return None
    if not mode_words.has_health_data(reasons):
        return (
            "no health data for its services and repositories (incidents, deployments, builds, "
            "bugs, alerts; ktlo.toml names them)"
        )
    return f"no health signal above its threshold in {last_period or 'the last period'}"
