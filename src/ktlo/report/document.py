"""The report document (`ktlo.report/v2`): what the HTML report, the dashboard and
`ktlo report --json/--csv` all show, computed once from the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document
from ktlo.effort.error_bars import ErrorRates, measured_rates
from ktlo.metrics.common import Reuse
from ktlo.periods import Coverage
from ktlo.report import figures, ops, sections, steer
from ktlo.report.balance_types import (
    Balance,
    Choices,
    Filters,
    Hotspot,
    KtloPerson,
    LargestItem,
    Synced,
    TeamCard,
)
from ktlo.report.dependencies import DependencyPanel, dependency_rows, dependency_section
from ktlo.report.figures_types import (
    Breakdown,
    BucketsSection,
    CapitalizationSection,
    FlowSection,
)
from ktlo.report.model import (
    ReportFilters,
    apply_filters,
    prepare,
    report_coverage,
    repositories,
    services,
    team_names,
)
from ktlo.report.ops_types import (
    HealthSection,
    ModeMissing,
    ModeSection,
    RotationLoad,
    RotationSection,
)
from ktlo.report.steer_types import ForecastSection, RotationPlanSection, SprintsSection
from ktlo.store import Store
from ktlo.store.temp_tables import require

JSON_SCHEMA = "ktlo.report/v2"


class ReportDocument(Document):
    """`ktlo report --json` and the dashboard's pages (docs/report.md)."""

    schema_: Literal["ktlo.report/v2"] = Field(alias="schema", description="the schema id")
    generated_at: str = Field(description="when it was computed")
    as_of: str | None = Field(description="the latest day with effort in the filters")
    filters: Filters = Field(description="what it is restricted to")
    choices: Choices = Field(description="the teams, repositories and services the filters take")
    organisation: Balance | None = Field(
        description="the organisation's balance, or `null` with a team filter"
    )
    balance: list[Balance] = Field(description="per team shown, its balance")
    teams: list[TeamCard] = Field(description="per team shown, its card")
    error_rates: ErrorRates = Field(
        description="what the correction of every KTLO share used (docs/classification.md, "
        '"Error bars")'
    )
    hotspots: list[Hotspot] = Field(
        description="the ten directories with the most KTLO person-days, each of one repository"
    )
    people: list[KtloPerson] = Field(description="the ten people with the most KTLO person-days")
    largest: list[LargestItem] = Field(
        description="the ten KTLO items with the most effort in the last 91 days"
    )
    synced: Synced = Field(description="how many operational records the store holds")
    health: HealthSection = Field(description="`ktlo health` laid out as panels")
    ktlo_mode: ModeSection | ModeMissing = Field(
        description="`ktlo mode`'s answer for the teams shown, or why there is none"
    )
    rotation: RotationSection = Field(
        description="per team with members, `ktlo rotation review` over the last 91 days"
    )
    forecast: ForecastSection = Field(
        description="`ktlo forecast --horizon 1` for each balance shown (docs/planning.md)"
    )
    sprints: SprintsSection = Field(description="per team, its sprints or cycles")
    rotation_plan: RotationPlanSection = Field(
        description="per team with members, the next eight weekly shifts"
    )
    dependencies: DependencyPanel = Field(
        description="the dependency-risk panel, from what the store holds as of `as_of`, for "
        "the team and repository filtered (docs/dependencies.md)"
    )
    flow: FlowSection = Field(description="`ktlo flow` for the organisation and each team shown")
    buckets: BucketsSection = Field(
        description="per team shown with `targets`, its budget buckets (`ktlo budget`)"
    )
    breakdowns: list[Breakdown] = Field(
        description="the effort by initiative (`ktlo allocation --by initiative`), and by any "
        "other key of ktlo.report.figures.BREAKDOWNS"
    )
    capitalization: CapitalizationSection = Field(
        description="`ktlo capitalization` for the filters' team and period"
    )


def build_report(store: Store, config: Config, filters: ReportFilters) -> ReportDocument:
    """Compute the whole report from the store (builds `alloc_all` first)."""
    prepare(store, config)
    return report_document(store, config, filters)


def report_document(store: Store, config: Config, filters: ReportFilters) -> ReportDocument:
    """The report over an already prepared store (see ktlo.report.model)."""
    require(store, "alloc_all", "report_people", "report_identity", "report_item_dirs")
    apply_filters(store, config, filters)
    all_teams = team_names(store, config)
    teams = [filters.team] if filters.team else all_teams
    covered = report_coverage(store, filters)
    as_of_day = covered.as_of.isoformat() if covered.as_of else None
    balances = sections.balances(store, config, teams, filters.period, not filters.team, covered)
    counts = ops.synced_counts(store)
    reuse = Reuse()  # the health tables every scope shares, built once for the whole report
    cards = sections.team_cards(store, config, balances, teams, filters.period, covered)
    health = ops.health_section(store, config, filters, counts, reuse)  # before mode: as before
    mode = ops.mode_section(store, config, filters, reuse)
    return ReportDocument(
        schema=JSON_SCHEMA,
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        as_of=as_of_day,
        filters=Filters(**filters.as_json()),
        choices=Choices(
            teams=all_teams, repositories=repositories(store), services=services(store, config)
        ),
        organisation=balances.get(None),
        balance=[balances[team] for team in teams],
        teams=ops.with_mode(cards, mode),
        error_rates=ErrorRates.of(measured_rates(store)),
        hotspots=sections.hotspots(store, filters.team),
        people=sections.people(store, filters.team),
        largest=sections.largest_items(store, filters.team),
        synced=ops.synced(counts),
        health=health,
        ktlo_mode=mode,
        rotation=ops.rotation_section(store, config, filters, as_of_day, counts),
        forecast=steer.forecast_section(store, config, filters, balances, covered),
        sprints=steer.sprints_section(store, config, filters),
        rotation_plan=steer.rotation_plan_section(store, config, filters, as_of_day),
        dependencies=dependency_section(store, config, filters, as_of_day),
        **_planning_figures(store, config, filters, teams, covered),
    )


def _planning_figures(
    store: Store, config: Config, filters: ReportFilters, teams: list[str], covered: Coverage
) -> dict[str, Any]:
    """Flow, budget buckets, the breakdowns and capitalization (ktlo.report.figures)."""
    with figures.report_effort_as_alloc(store):
        return {
            "flow": figures.flow_section(store, config, filters, teams),
            "buckets": figures.buckets_section(store, config, filters, teams, covered),
            "breakdowns": figures.breakdowns(store, config, filters),
            "capitalization": figures.capitalization_section(store, config, filters),
        }


def report_rows(doc: ReportDocument) -> list[dict[str, Any]]:
    """Every number of the report as tidy rows: section, team, period, key, metric, value."""
    rows: list[dict[str, Any]] = []

    def add(section: str, team: Any, period: Any, key: Any, metric: str, value: Any) -> None:
        rows.append(
            {"section": section, "team": team, "period": period, "key": key,
             "metric": metric, "value": value}
        )  # fmt: skip

    for bal in ([doc.organisation] if doc.organisation else []) + doc.balance:
        team = bal.team or "(organisation)"
        for p in bal.periods:
            add("balance", team, p.period, None, "person_days", p.person_days)
            add("balance", team, p.period, None, "in_progress", p.in_progress)
            for metric in ("ktlo_share", "ktlo_share_low", "ktlo_share_high"):
                add("balance", team, p.period, None, metric, getattr(p, metric))
            for key, days in p.by_subcategory.items():
                add("balance", team, p.period, key, "person_days", days)
    for card in doc.teams:
        for metric in CARD_FIGURES:
            add("teams", card.team, card.last_period if "last" in metric else None, None,
                metric, getattr(card, metric))  # fmt: skip
    scope = doc.filters.team
    for spot in doc.hotspots:
        key = f"{spot.repo_id}:{spot.directory}"
        for metric in ("ktlo_person_days", "share_of_ktlo", "ktlo_ratio"):
            add("hotspots", scope, None, key, metric, getattr(spot, metric))
    for person in doc.people:
        for metric in ("ktlo_person_days", "share_of_ktlo", "ktlo_ratio"):
            add("people", scope, None, person.name, metric, getattr(person, metric))
    for panel, count in doc.synced.model_dump().items():
        add("synced", None, None, panel, "records", count)
    _health_rows(doc, add)
    for mode in doc.ktlo_mode.teams:
        add("ktlo_mode", mode.team, None, mode.state, "risk", mode.risk)
    for review in doc.rotation.teams:
        for load in review.people:
            add("rotation", review.team, review.since, load.person, "load", load.load)
        for metric in ("incidents", "with_follow_ups", "follow_ups", "done", "done_share"):
            add("rotation_follow_ups", review.team, review.since, None, metric,
                getattr(review.follow_ups, metric))  # fmt: skip
        _model_rows(review, add)
    _steer_rows(doc, add)
    figures.figure_rows(doc, add)
    dependency_rows(doc.dependencies, doc.filters.team, add)
    return rows


CARD_FIGURES = ("person_days", "ktlo_share", "ktlo_share_low", "ktlo_share_high", "fte",
                "last_period_share", "last_period_share_low", "last_period_share_high",
                "last_period_status", "quarter_share", "quarter_share_low",
                "quarter_share_high", "quarter_status", "drifting", "trend",
                "ktlo_cost")  # fmt: skip
FORECAST_FIGURES = (("share", "ktlo_share"), ("low", "low"), ("high", "high"),
                    ("capacity_person_days", "capacity_person_days"),
                    ("new_work_person_days", "new_work_person_days"))  # fmt: skip


SPRINT_FIGURES = ("planned_items", "planned_basis", "planned_ktlo_share", "actual_ktlo_share",
                  "actual_basis", "actual_person_days", "in_progress", "unplanned_items",
                  "unplanned_ktlo_items", "done_items")  # fmt: skip
MODEL_FIGURES = ("rotation", "shared", "p_value", "verdict")


def _model_rows(review: RotationLoad, add: Any) -> None:
    """Which model works: the weeks of each kind, then per figure both means, p and verdict."""
    models, team, since = review.models, review.team, review.since
    add("rotation_model", team, since, None, "rotation_weeks", models.rotation_weeks)
    add("rotation_model", team, since, None, "shared_weeks", models.shared_weeks)
    for name, result in models.metrics.items():
        for metric in MODEL_FIGURES:
            add("rotation_model", team, since, name, metric, getattr(result, metric))


def _steer_rows(doc: ReportDocument, add: Any) -> None:
    """The forecast (history, then the periods ahead), the sprints (one row per figure of
    each sprint, `period` its first day) and the planned rotation's shifts."""
    for team in doc.sprints.teams:
        for sprint in team.sprints:
            start = sprint.starts_at[:10] if sprint.starts_at else None
            for metric in SPRINT_FIGURES:
                add("sprints", team.team, start, sprint.sprint, metric, getattr(sprint, metric))
    for outlook in doc.forecast.teams:
        who = outlook.team or "(organisation)"
        for past in outlook.history:
            add("forecast", who, past.period, "history", "ktlo_share", past.share)
        if outlook.in_progress:
            now = outlook.in_progress
            add("forecast", who, now.period, "in_progress", "ktlo_share", now.share)
        for ahead in outlook.forecast:
            for field, metric in FORECAST_FIGURES:
                if getattr(ahead, field) is not None:
                    add("forecast", who, ahead.period, "forecast", metric, getattr(ahead, field))
    for plan in doc.rotation_plan.teams:
        for shift in plan.shifts:
            where = "" if shift.region == "all" else f" {shift.region}"
            if shift.primary is None:  # nobody available: the week is uncovered
                add("rotation_plan", plan.team, shift.start, None, "primary" + where, 0)
            for role in ("primary", "secondary"):
                person = getattr(shift, role)
                if person is not None:
                    add("rotation_plan", plan.team, shift.start, person, role + where,
                        plan.period_days)  # fmt: skip


def _health_rows(doc: ReportDocument, add: Any) -> None:
    card = doc.health.scorecard
    if not card:
        return
    scope, window = doc.filters.team, card.window.start
    data = card.to_json()  # the sections' figures by name, as the JSON names them
    for section in ("dora", "incidents", "bugs", "builds", "alerts"):
        for name, figure in data[section].items():
            if isinstance(figure, dict) and "value" in figure:
                add("health", scope, window, f"{section}.{name}", "value", figure["value"])
                if figure.get("bucket"):
                    add("health", scope, window, f"{section}.{name}", "bucket", figure["bucket"])
    for slo in card.slos:
        for metric in ("availability", "budget_remaining", "burn_rate", "downtime_minutes"):
            add("health", scope, window, f"slo.{slo.service}", metric, getattr(slo, metric))
