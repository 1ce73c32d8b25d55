"""The planning figures of the report (issue 19), each computed by its own command's library
over the report's filtered effort, so the report, the dashboard and `/metrics` show what the
command shows:

    flow             `ktlo flow` (ktlo.planning.flow) for the organisation and each team
                     shown: cycle time, throughput, WIP and its age, items past their SLE,
                     KTLO WIP against the limit; the window is the report's period, and it
                     ends at the newest status change, whatever the date filters
    buckets          per team with `targets`: `ktlo budget`'s buckets (ktlo.effort.buckets)
                     and each period's share per bucket
    breakdowns       `ktlo allocation --by KEY` for each key of BREAKDOWNS (initiative, and
                     category when ktlo.toml has custom categories; a new key needs only its
                     entry there and in `allocation`'s GROUP_COLUMNS)
    capitalization   `ktlo capitalization` for the filters' team and period

The allocation commands read a table named `alloc`; here it is a temporary view of
`report_alloc`, the filtered effort every section reads, built once per report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from ktlo.config import Config
from ktlo.effort.allocation import AllocationOptions, allocation_from_alloc
from ktlo.effort.buckets import BucketPlan, bucket_plan, team_buckets
from ktlo.effort.capitalization import capitalization_from_alloc
from ktlo.effort.error_bars import Estimate, estimate, measured_rates
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage
from ktlo.planning.flow import build_flow, flow_as_of, flow_document
from ktlo.report.figures_types import (
    Breakdown,
    BucketPeriod,
    BucketsSection,
    CapitalizationSection,
    FlowSection,
    TeamBuckets,
)
from ktlo.report.model import ReportFilters
from ktlo.report.sections import share_parts
from ktlo.store import Store
from ktlo.store.temp_tables import require

if TYPE_CHECKING:
    from ktlo.report.document import ReportDocument

# The keys the report breaks the effort down by: (`ktlo allocation --by` key, panel title).
BREAKDOWNS: tuple[tuple[str, str], ...] = (
    ("initiative", "Effort by initiative"),
    ("category", "Effort by custom category"),  # only when ktlo.toml defines custom categories
)
NO_FLOW = (
    "no tracker status changes or pull requests synced yet — sync Jira, Linear, GitHub or "
    "GitLab (docs/flow.md)"
)
NO_TARGETS = (
    "no team shown has `targets` in ktlo.toml — set [teams.NAME] targets = { ktlo = 20, ... } "
    "(docs/allocation.md#budget-buckets)"
)


@contextmanager
def report_effort_as_alloc(store: Store) -> Iterator[None]:
    """The allocation commands' `alloc` as a view of the report's filtered effort, dropped
    afterwards: the connection may build a real `alloc` table later (`ktlo allocation` after
    the report, in one process)."""
    require(store, "report_alloc")
    store.con.execute("CREATE OR REPLACE TEMP VIEW alloc AS SELECT * FROM report_alloc")
    try:
        yield
    finally:
        store.con.execute("DROP VIEW IF EXISTS temp.alloc")


def flow_section(
    store: Store, config: Config, filters: ReportFilters, teams: list[str]
) -> FlowSection:
    """`ktlo flow` for the organisation (without a team filter) and each team shown."""
    as_of = flow_as_of(store)
    if as_of is None:
        return FlowSection(missing=NO_FLOW, period=filters.period, organisation=None, teams=[])
    build_flow(store, config, as_of)
    whole = None if filters.team else flow_document(store, config, None, filters.period, as_of)
    return FlowSection(
        missing=None,
        period=filters.period,
        organisation=whole,
        teams=[flow_document(store, config, team, filters.period, as_of) for team in teams],
    )


def buckets_section(
    store: Store, config: Config, filters: ReportFilters, teams: list[str], covered: Coverage
) -> BucketsSection:
    """Per team shown with `targets`: its buckets in the last complete period (as `ktlo
    budget`) and its share per bucket in every period."""
    plans = [
        (t.name, plan)
        for t in config.teams
        if t.name in teams and (plan := bucket_plan(config, t)) is not None
    ]
    if not plans:
        return BucketsSection(missing=NO_TARGETS, teams=[])
    rates = measured_rates(store)
    parts = share_parts(store, filters.period)
    found = []
    for team, plan in plans:
        corrected: dict[date, Estimate | None] = {
            start: estimate(p, rates) for (who, start), p in parts.items() if who == team and start
        }
        found.append(
            TeamBuckets(
                team=team,
                buckets=team_buckets(store, plan, team, filters.period, covered, corrected),
                periods=_bucket_periods(store, plan, team, filters.period, covered),
            )
        )
    return BucketsSection(missing=None, teams=found)


def _bucket_periods(
    store: Store, plan: BucketPlan, team: str, period: str, covered: Coverage
) -> list[BucketPeriod]:
    """Each period's person-days per bucket ÷ the team's (verdicts, as the buckets' shares)."""
    days: dict[date, dict[str, float]] = {}
    for row in store.query(
        f"SELECT date_trunc('{period}', day)::DATE AS start, investment, subcategory, "
        "sum(person_days) AS person_days FROM report_alloc WHERE team = ? GROUP BY ALL",
        [team],
    ):
        spent = days.setdefault(row["start"], {})
        name = plan.of(row["investment"], row["subcategory"])
        spent[name] = spent.get(name, 0.0) + row["person_days"]
    result = []
    for start in sorted(days):
        total = sum(days[start].values())
        result.append(
            BucketPeriod(
                period=period_label(start, period),
                start=start.isoformat(),
                complete=covered.complete(start, period),
                in_progress=covered.in_progress(start, period),
                person_days=round(total, 2),
                shares={
                    name: round(days[start].get(name, 0.0) / total, 4) if total else None
                    for name in plan.names
                },
            )
        )
    return result


def breakdowns(store: Store, config: Config, filters: ReportFilters) -> list[Breakdown]:
    """The filtered effort by each key of BREAKDOWNS, as `ktlo allocation --by KEY`."""
    found = []
    for by, title in BREAKDOWNS:
        if by == "category" and not config.custom_categories:
            continue
        options = AllocationOptions(team=filters.team, period=filters.period, by=by)
        doc = allocation_from_alloc(store, config, options)
        unassigned = doc.no_category if by == "category" else doc.no_initiative
        found.append(
            Breakdown(
                by=by, title=title, groups=doc.groups, periods=doc.periods, unassigned=unassigned
            )
        )
    return found


def capitalization_section(
    store: Store, config: Config, filters: ReportFilters
) -> CapitalizationSection:
    """`ktlo capitalization --period P [--team T]` over the filtered effort."""
    doc = capitalization_from_alloc(store, config, filters.period, filters.team, items=False)
    days = {"capitalizable": 0.0, "expensed": 0.0}
    for row in doc.rows:
        days[row.cost_class] += row.person_days
    total = sum(days.values())
    return CapitalizationSection(
        document=doc,
        capitalizable_share=round(days["capitalizable"] / total, 4) if total else None,
    )


FLOW_FIGURES = ("throughput", "cycle_median_days", "cycle_p85_days", "wip",
                "wip_age_median_days", "past_sle")  # fmt: skip
BUCKET_FIGURES = ("target", "person_days", "status", "drift")


def figure_rows(doc: ReportDocument, add: Callable[..., None]) -> None:
    """The planning figures as the report's CSV rows (section, team, period, key, metric,
    value): flow per kind (`period` the window's first day) and each team's WIP, each
    bucket's share per period and its last complete period's target, status and drift, each
    breakdown per value (whole range, then per period) and capitalization per team, period
    and class."""
    for flow in doc.flow.teams:
        start = flow.window_start[:10] if flow.window_start else None
        for group in flow.groups:
            for metric in FLOW_FIGURES:
                add("flow", flow.team, start, group.subcategory or group.investment, metric,
                    getattr(group, metric))  # fmt: skip
        for found in flow.teams:
            for metric in ("ktlo_wip", "wip", "ktlo_wip_limit", "over_limit"):
                add("flow_wip", found.team, flow.as_of[:10] if flow.as_of else None, None,
                    metric, getattr(found, metric))  # fmt: skip
    for team in doc.buckets.teams:
        for p in team.periods:
            for name, share in p.shares.items():
                add("buckets", team.team, p.period, name, "share", share)
        for bucket in team.buckets.buckets:
            for metric in BUCKET_FIGURES:
                add("buckets", team.team, team.buckets.period, bucket.bucket, metric,
                    getattr(bucket, metric))  # fmt: skip
    for breakdown in doc.breakdowns:
        for value in breakdown.groups:
            for metric in ("person_days", "ktlo_share", "items"):
                add(breakdown.by, doc.filters.team, None, value.key, metric,
                    getattr(value, metric))  # fmt: skip
        for period in breakdown.periods:
            for part in period.groups:
                add(breakdown.by, doc.filters.team, period.period, part["key"], "person_days",
                    part["person_days"])  # fmt: skip
                add(breakdown.by, doc.filters.team, period.period, part["key"], "fte", part["fte"])
    for row in doc.capitalization.document.rows:
        for metric in ("person_days", "fte", "cost"):
            add("capitalization", row.team, row.period, row.cost_class, metric,
                getattr(row, metric))  # fmt: skip
