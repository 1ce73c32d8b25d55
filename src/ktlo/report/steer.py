"""The steering sections: the KTLO-share forecast and the upcoming rotation.

    forecast        per team (and the organisation without a team filter): `ktlo forecast`
                    over the history the report's balance already holds (by month, or by
                    quarter when the report is), the next quarter with its 80% band, and
                    the person-days it leaves for new work of the measured capacity
    sprints         per team with sprints or cycles overlapping the filters' dates: `ktlo
                    sprints --team T` (planned against actual KTLO share, work added
                    mid-sprint), with the team's budget band
    rotation_plan   per team with members: `ktlo rotation plan --secondary` for the eight
                    weeks starting the Monday after the newest day of effort (`as_of`), the
                    members' recent KTLO load taken from the report's effort table, and
                    members listed by a name or email resolved through its identities

None recomputes effort: the forecast reads the balance (one more grouped query only for a
weekly report, whose forecast is still by month), the sprints read `alloc_all` where `ktlo
sprints` computes effort afresh (the same person-days), the rotation one grouped query over
`alloc_all` for every team's load.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ktlo.config import Config
from ktlo.effort.allocation import NO_TEAM
from ktlo.effort.error_bars import estimate, measured_rates
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage
from ktlo.planning.outlook import outlook_from_history, split_in_progress, too_short
from ktlo.planning.rotation import plan_rotation, to_rows
from ktlo.planning.sprints import Sprint, SprintTrend, sprint_report
from ktlo.planning.team import LOAD_WINDOW_DAYS, recent_on_call, team_members
from ktlo.report.balance_types import Balance
from ktlo.report.model import BASE_TABLE, IDENTITY_TABLE, ReportFilters
from ktlo.report.sections import band, share_parts
from ktlo.report.steer_types import (
    AheadPeriod,
    ForecastSection,
    PastPeriod,
    PlanNote,
    PlanShift,
    RotationPlanSection,
    SprintsSection,
    SprintTeam,
    TeamForecast,
    TeamPlan,
)
from ktlo.store import Store

HORIZON_QUARTERS = 1  # the forecast looks one quarter ahead, as `ktlo forecast --horizon 1`
PLAN_WEEKS = 8  # the rotation calendar shows the next eight weekly shifts
MORE_HISTORY = "sync or analyze more history"
NO_SPRINTS = "no sprints or cycles synced yet — sync Jira or Linear"


def forecast_section(
    store: Store,
    config: Config,
    filters: ReportFilters,
    balances: dict[str | None, Balance],
    covered: Coverage | None = None,
) -> ForecastSection:
    """Per balance shown (the organisation first): history, forecast, band, room for new work.

    Only periods the data covers whole (`covered`, ktlo.periods) are fitted; the last one
    while in progress is shown, not fitted (ktlo.planning.outlook)."""
    period = "quarter" if filters.period == "quarter" else "month"
    histories = (
        {key: _history(bal) for key, bal in balances.items()}
        if filters.period == period
        else _monthly(store, list(balances))
    )
    return ForecastSection(
        period=period,
        horizon_quarters=HORIZON_QUARTERS,
        band="80%",
        teams=[
            _forecast(config, key, bal, histories.get(key, []), period, covered)
            for key, bal in balances.items()
        ],
    )


def _history(balance: Balance) -> list[dict[str, Any]]:
    return [
        {"start": p.start, "share": p.ktlo_share, "person_days": p.person_days}
        for p in balance.periods
        if p.ktlo_share is not None
    ]


def _monthly(store: Store, keys: list[str | None]) -> dict[str | None, list[dict[str, Any]]]:
    """The KTLO share per month of each team and of the organisation (a weekly report's
    balance cannot feed a monthly forecast), corrected as the balance's are."""
    rates = measured_rates(store)
    result: dict[str | None, list[dict[str, Any]]] = {key: [] for key in keys}
    found = sorted(share_parts(store, "month").items(), key=lambda kv: str(kv[0][1]))
    for (team, start), parts in found:
        share = estimate(parts, rates)
        if team in result and start is not None and share is not None:
            result[team].append(
                {"start": start.isoformat(), "share": share.share,
                 "person_days": round(parts.total, 2)}
            )  # fmt: skip
    return result


def _forecast(
    config: Config, team: str | None, bal: Balance, history: list[dict[str, Any]],
    period: str, covered: Coverage | None,
) -> TeamForecast:  # fmt: skip
    complete, in_progress = split_in_progress(history, period, covered)
    now = PastPeriod(**_labelled(in_progress, period)) if in_progress else None
    short = too_short(complete, period, None, in_progress)
    if short:
        return TeamForecast(
            team=team, low=bal.low, high=bal.high, missing=f"{short} — {MORE_HISTORY}",
            history=[PastPeriod(**_labelled(p, period)) for p in complete], in_progress=now,
            method=None, method_note=None, forecast=[], backtest=None, capacity=None,
            capacity_person_days=None, new_work_person_days=None,
        )  # fmt: skip
    doc = outlook_from_history(config, team, history, HORIZON_QUARTERS, period, covered)
    ahead = [AheadPeriod(**_labelled(f.model_dump(), period)) for f in doc.forecast]
    known = all(f.capacity_person_days is not None for f in ahead)
    return TeamForecast(
        team=team,
        low=bal.low,
        high=bal.high,
        missing=None,
        history=[PastPeriod(**_labelled(p.model_dump(), period)) for p in doc.history],
        in_progress=now,
        method=doc.method,
        method_note=doc.method_note,
        forecast=ahead,
        backtest=doc.backtest,
        capacity=doc.capacity,
        capacity_person_days=_total(ahead, "capacity_person_days") if known else None,
        new_work_person_days=_total(ahead, "new_work_person_days") if known else None,
    )


def _labelled(row: dict[str, Any], period: str) -> dict[str, Any]:
    """A row with the label of its period (`2026-03`, `2026-Q1`)."""
    return {"period": period_label(date.fromisoformat(row["start"]), period), **row}


def _total(rows: list[AheadPeriod], key: str) -> float:
    return round(sum(float(getattr(r, key)) for r in rows), 1)


def sprints_section(store: Store, config: Config, filters: ReportFilters) -> SprintsSection:
    """Per team with sprints or cycles in the filters' dates (configured teams first): its
    sprints as `ktlo sprints` gives them, oldest first, and its budget band. Sprints of no
    team are shown under `(no team)`, and the `(no team)` filter picks them."""
    row = store.con.execute("SELECT count(*) FROM sprints").fetchone()
    if not row or not row[0]:
        return SprintsSection(missing=NO_SPRINTS, teams=[])
    team = None if filters.team == NO_TEAM else filters.team
    doc = sprint_report(
        store, config, team, effort=BASE_TABLE, since=filters.since, until=filters.until
    )
    by_team: dict[str, list[Sprint]] = {}
    for sprint in doc.sprints:
        by_team.setdefault(sprint.team or NO_TEAM, []).append(sprint)
    if filters.team == NO_TEAM:
        by_team = {NO_TEAM: by_team[NO_TEAM]} if NO_TEAM in by_team else {}
    if not by_team:
        return SprintsSection(missing=_no_sprints_here(filters), teams=[])
    configured = [t.name for t in config.teams]
    order = sorted(
        by_team, key=lambda t: (configured.index(t) if t in configured else len(configured), t)
    )
    return SprintsSection(missing=None, teams=[_sprint_team(config, t, by_team[t]) for t in order])


def _sprint_team(config: Config, team: str, sprints: list[Sprint]) -> SprintTeam:
    budget = band(config, team)
    return SprintTeam(
        team=team,
        low=budget.low,
        high=budget.high,
        sprints=sprints,
        trend=SprintTrend(
            planned=[s.planned_ktlo_share for s in sprints],
            actual=[s.actual_ktlo_share for s in sprints],
            unplanned_items=[s.unplanned_items for s in sprints],
        ),
    )


def _no_sprints_here(filters: ReportFilters) -> str:
    """The empty state when sprints were synced but none is of this team in these dates."""
    dates = "".join(
        f" {word} {day.isoformat()}"
        for word, day in (("from", filters.since), ("until", filters.until))
        if day
    )
    team = f" of {filters.team}" if filters.team else ""
    return f"no sprints or cycles{team}{dates} — `ktlo sprints` lists the teams they belong to"


def plan_start(as_of: str | None) -> date:
    """The Monday after the newest day of effort (after today when the store has none)."""
    day = date.fromisoformat(as_of) if as_of else date.today()
    return day + timedelta(days=7 - day.weekday())


def rotation_plan_section(
    store: Store, config: Config, filters: ReportFilters, as_of: str | None
) -> RotationPlanSection:
    """Per team with members: the next PLAN_WEEKS weekly shifts, primary and secondary."""
    teams = [t for t in config.teams if t.members and filters.team in (None, t.name)]
    if not teams:
        return RotationPlanSection(
            missing="no team with members in ktlo.toml — list them under [[teams]]",
            start=None, weeks=PLAN_WEEKS, teams=[],
        )  # fmt: skip
    start = plan_start(as_of)
    loads = recent_ktlo(store, start)
    aliases = dict(store.con.execute(f"SELECT alias, person FROM {IDENTITY_TABLE}").fetchall())
    plans = []
    for team in teams:
        on_call = recent_on_call(store, config, team, start)
        members = team_members(config, team, None, start, loads, aliases, on_call)
        plan = plan_rotation(team.name, members, start, PLAN_WEEKS, "week", secondary=True)
        plans.append(
            TeamPlan(
                team=team.name,
                length=plan.length,
                period_days=plan.period_days,
                regions=plan.regions,
                names={m.person: m.name for m in members},
                shifts=[PlanShift.model_validate(row) for row in to_rows(plan)],
                load=plan.load,
                shifts_by_person=plan.shifts_by_person,
                warnings=plan.warnings,
                notes=notes(plan.warnings),
            )
        )
    return RotationPlanSection(missing=None, start=start.isoformat(), weeks=PLAN_WEEKS, teams=plans)


def recent_ktlo(store: Store, start: date) -> dict[str, float]:
    """KTLO person-days per person over the LOAD_WINDOW_DAYS before `start`, from the report's
    effort table (what `ktlo rotation plan` computes afresh for the same window)."""
    rows = store.con.execute(
        f"""
        SELECT person, sum(person_days) FROM {BASE_TABLE}
        WHERE investment = 'ktlo' AND day >= ?::DATE - INTERVAL {LOAD_WINDOW_DAYS} DAY
          AND day < ?::DATE
        GROUP BY person
        """,
        [start, start],
    ).fetchall()
    return {str(person): float(days) for person, days in rows}


def notes(warnings: list[str]) -> list[PlanNote]:
    """The plan's warnings without their period labels, each once, with how often it came up.

    Each warning reads `<period or region>: <what>`; a two-person team with a secondary
    gets the same "too small to avoid back-to-back shifts" for nearly every week.
    """
    counted: dict[str, int] = {}
    for warning in warnings:
        text = warning.split(": ", 1)[-1]
        counted[text] = counted.get(text, 0) + 1
    return [PlanNote(text=text, periods=count) for text, count in counted.items()]
