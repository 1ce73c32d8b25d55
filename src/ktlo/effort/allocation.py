"""`ktlo allocation` and `ktlo budget`: person-days per investment, team and period, in SQL.

Effort (src/ktlo/effort/person_days.py) gives person-days per person, day and item. Here it is
split across teams (a member of two teams by their configured shares; someone in no
team goes to the team owning the item's repository or paths, else "(no team)"),
joined with each item's verdict, and summed per period and group. Every KTLO share is
corrected for the verdicts' measured error and has a 90% interval (ktlo.effort.error_bars); the
budget status reads the interval.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

from pydantic import TypeAdapter

from ktlo.choices import GROUPINGS, PERIODS
from ktlo.config import Config
from ktlo.effort import alloc_cache
from ktlo.effort.allocation_document import (
    AllocationBudget,
    AllocationDocument,
    AllocationPeriod,
    AllocationTotals,
    AllocationTrend,
    Buckets,
    BudgetDocument,
    CategoryOverlap,
    Cost,
    PeriodGroup,
    Unassigned,
)
from ktlo.effort.categories import UNCATEGORISED, UNCATEGORISED_HOLDS, build_categories
from ktlo.effort.error_bars import (
    ITEM_DAYS_SQL,
    ErrorRates,
    Estimate,
    Parts,
    Rates,
    estimate,
    measured_rates,
    part_columns,
    parts_sql,
    share_json,
)
from ktlo.effort.initiatives import NO_INITIATIVE, NO_INITIATIVE_HOLDS, build_initiatives
from ktlo.effort.person_days import compute_effort, prepare_effort
from ktlo.errors import ConfigError
from ktlo.metrics.repository import Budget, period_label
from ktlo.periods import FTE_NOTE, Coverage, coverage, workdays
from ktlo.store import Store
from ktlo.store.temp_tables import drop_temp, require

NO_TEAM = "(no team)"
WORKDAYS_PER_MONTH = 21.7  # 5 × 52.14 / 12: converts person-days to FTE-months for cost
JSON_SCHEMA = "ktlo.allocation/v2"
DRIFT_POINTS = 0.05  # a share rising this much across the last periods is drifting
WHOLE = "item_days"  # an item's whole effort, for the error bars (ktlo.effort.error_bars.parts_sql)
# What `--by` groups on, when it is not the column of its name; code-chosen SQL only.
GROUP_COLUMNS = {
    "repo": "repo_id",
    "initiative": f"coalesce(initiative, '{NO_INITIATIVE}')",
    "category": f"coalesce(category, '{UNCATEGORISED}')",
}
# `--by` groupings with a group for the items that have no value: (its key, what it holds).
_GROUPS = TypeAdapter(list[PeriodGroup])
UNASSIGNED = {
    "initiative": (NO_INITIATIVE, NO_INITIATIVE_HOLDS),
    "category": (UNCATEGORISED, UNCATEGORISED_HOLDS),
}


@dataclass(frozen=True, slots=True)
class AllocationOptions:
    team: str | None = None
    period: str = "month"
    by: str = "investment"
    since: date | None = None
    until: date | None = None


def build_allocation(
    store: Store, config: Config, since: date | None, until: date | None,
    categories: bool = True, initiatives: bool = True, cached: bool = False,
) -> None:  # fmt: skip
    """The temporary table `alloc(person, day, item_id, team, person_days, investment, ...)`;
    `predicted` (the classifier's investment), `answered` (an override) and `item_days`
    (the item's whole effort) ride along for the error bars (ktlo.effort.error_bars);
    `initiative` is the item's (ktlo.effort.initiatives), `category` its custom category
    (ktlo.effort.categories; NULL for none, and for all without `[custom_categories]`);
    `item_key` is the effort's number per item (ktlo.effort.person_days), what the figures
    count items by.
    A caller that reads no category passes `categories=False` and saves finding them
    (then `category` is NULL throughout); `initiatives=False` likewise. `cached`: over the
    whole history, read the table a command saved before when nothing it is made of has
    changed, and save it when it had to be built (ktlo.effort.alloc_cache); then only
    `alloc` (and `category_match`) are built, not the tables it is made of."""
    categorised = categories and bool(config.custom_categories)
    prepare_effort(store, config)
    _load_teams(store, config)
    kind = f"i{int(initiatives)}c{int(categorised)}"
    key = None
    if cached and since is None and until is None:
        key = alloc_cache.fingerprint(
            store, config, initiatives=initiatives, categorised=categorised
        )
        if alloc_cache.load(store, kind, key, categorised):
            return
    compute_effort(store, config, since, until, prepared=True)
    if initiatives:
        build_initiatives(store)
    if categorised:
        build_categories(store, config)
    drop_temp(store, "alloc")  # a view when a saved table was read before (alloc_cache)
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE alloc AS
        WITH teamless AS (  -- items touched by someone in no team
            SELECT DISTINCT e.item_id FROM effort e ANTI JOIN team_member m ON m.person = e.person
        ),
        owner AS (  -- the team owning such an item's repository, or most of its files
            SELECT o.item_id, arg_max(o.team, o.weight) AS team
            FROM (
                SELECT w.item_id, t.team, 1000 AS weight
                FROM teamless JOIN work_items w USING (item_id) JOIN team_repo t
                  ON w.repo_id = t.repo OR w.repo_id LIKE '%/' || t.repo OR w.project = t.repo
                UNION ALL
                SELECT f.item_id, t.team, count(*) AS weight
                FROM teamless JOIN commit_files f USING (item_id)
                JOIN team_path t ON starts_with(f.path, t.prefix)
                GROUP BY ALL
            ) o
            GROUP BY o.item_id
        )
        SELECT e.person, e.day, e.item_id,
               coalesce(m.team, owner.team, '{NO_TEAM}') AS team,
               e.person_days * coalesce(m.share, 1.0) AS person_days,
               v.investment, v.subcategory, e.repo_id, e.kind, v.predicted,
               v.overridden AS answered, coalesce(d.item_days, e.person_days) AS item_days,
               {"ii.initiative" if initiatives else "NULL::VARCHAR AS initiative"},
               {"ic.category" if categorised else "NULL::VARCHAR AS category"}, e.item_key
        FROM effort e
        JOIN effective_verdicts v USING (item_id)
        {"LEFT JOIN item_initiative ii USING (item_id)" if initiatives else ""}
        {"LEFT JOIN item_category ic USING (item_id)" if categorised else ""}
        LEFT JOIN team_member m ON m.person = e.person
        LEFT JOIN owner USING (item_id)
        LEFT JOIN {ITEM_DAYS_SQL} d USING (item_id)
        """
    )
    if key is not None:
        alloc_cache.save(store, kind, key, categorised)


# Items: below this, every allocation is computed in well under a second, so a sync
# prepares nothing for the commands after it (`prepare_allocations`).
PREPARE_FROM_ITEMS = 100_000


def prepare_allocations(store: Store, config: Config) -> int:
    """After a sync that stored something: build and save (ktlo.effort.alloc_cache) each
    table `allocation`, `budget` and `capitalization` start from under this ktlo.toml, so
    the first of them after the sync reads its table back instead of building it (on a
    million items ≈ 2.5 s each). The number of tables prepared; none for a store under
    PREPARE_FROM_ITEMS items."""
    row = store.con.execute("SELECT count(*) FROM work_items").fetchone()
    if row is None or row[0] < PREPARE_FROM_ITEMS:
        return 0
    targets = category_targets(config)
    # (initiatives, categories) as the commands ask: allocation and budget; --by
    # initiative; capitalization; --by category
    kinds = {(False, targets), (True, targets), (True, False)}
    if config.custom_categories:
        kinds.add((False, True))
    for initiatives, categories in sorted(kinds):
        build_allocation(
            store, config, None, None, categories=categories, initiatives=initiatives,
            cached=True,
        )  # fmt: skip
    return len(kinds)


def allocation(store: Store, config: Config, options: AllocationOptions) -> AllocationDocument:
    """The `ktlo allocation` document (docs/allocation-json.md)."""
    _check(config, options)
    needed = options.by == "category" or category_targets(config)
    build_allocation(
        store, config, options.since, options.until, categories=needed,
        initiatives=options.by == "initiative", cached=True,
    )  # fmt: skip
    return allocation_from_alloc(store, config, options)


def newest_day(store: Store) -> date | None:
    """The newest day of effort in the `alloc` table `build_allocation` just built."""
    return coverage(store.con, "alloc").as_of


def allocation_from_alloc(
    store: Store, config: Config, options: AllocationOptions
) -> AllocationDocument:
    """`allocation` over an `alloc` table or view already built (the dashboard filters it)."""
    require(store, "alloc")
    where = "WHERE team = ?" if options.team else ""
    params = [options.team] if options.team else []
    key = GROUP_COLUMNS.get(options.by, options.by)
    budget = _band(config, options.team)
    rates = measured_rates(store)
    covered = coverage(store.con, "alloc")
    by = options.by
    # The queries run one after another on a thread, the connection its own until the last
    # answer is in, while the answers already in are worked on here (DuckDB releases the
    # GIL as it works): by initiative on a million items, 0.5 s of SQL beside the 0.45 s of
    # Python that the periods and the groups' error bars take.
    with ThreadPoolExecutor(1, thread_name_prefix="ktlo-allocation") as sql:
        period_rows = sql.submit(_period_rows, store, options.period, key, where, params)
        group_rows = sql.submit(_group_rows, store, key, where, params)
        total_rows = sql.submit(_total_rows, store, where, params)
        unassigned = sql.submit(_unassigned, store, by, where, params) if by in UNASSIGNED else None
        overlaps = sql.submit(_overlaps, store, where, params) if by == "category" else None
        cost = sql.submit(_cost, store, config, where, params)
        periods = _periods(*period_rows.result(), options.period, budget, rates, covered)
        found = group_rows.result()
        groups = _groups(found, rates)
        totals = _totals(*total_rows.result(), rates)
        for group, row in zip(groups, found, strict=True):
            group["share"] = _ratio(row["person_days"], totals.person_days)
    if options.by == "subcategory":
        _rename(config, groups, *(p["groups"] for p in periods))
    complete = [p for p in periods if p["complete"]]
    last = complete[-1] if complete else {}
    return AllocationDocument.model_validate(
        {
            "schema": JSON_SCHEMA,
            "team": options.team,
            "period": options.period,
            "by": options.by,
            "since": options.since.isoformat() if options.since else None,
            "until": options.until.isoformat() if options.until else None,
            "as_of": covered.as_of.isoformat() if covered.as_of else None,
            "data_from": covered.first.isoformat() if covered.first else None,
            "totals": totals,
            "fte_note": FTE_NOTE,
            "groups": groups,
            "periods": [_period(p) for p in periods],
            "trend": _trend(periods),
            "budget": AllocationBudget(
                period=last.get("period"),
                low=budget.low,
                high=budget.high,
                share=last.get("ktlo_share"),
                share_low=last.get("ktlo_share_low"),
                share_high=last.get("ktlo_share_high"),
                status=last.get("status", "unknown"),
            ),
            "error_rates": ErrorRates.of(rates),
            "cost": cost.result(),
            "no_initiative": unassigned.result() if unassigned and by == "initiative" else None,
            "no_category": unassigned.result() if unassigned and by == "category" else None,
            "category_overlaps": overlaps.result() if overlaps else None,
        }
    )


def _unassigned(store: Store, column: str, where: str, params: list[Any]) -> Unassigned:
    """What the group of items with no `column` (initiative, category) holds: its
    person-days by kind of item. `column` is chosen by the code."""
    rows = store.query(
        f"""
        SELECT kind, round(sum(person_days), 2) AS person_days, count(DISTINCT item_key) AS items
        FROM alloc {where} {"AND" if where else "WHERE"} {column} IS NULL
        GROUP BY kind ORDER BY person_days DESC, kind
        """,
        params,
    )
    key, holds = UNASSIGNED[column]
    return Unassigned(key=key, holds=holds, by_kind=rows)


def _overlaps(store: Store, where: str, params: list[Any]) -> list[CategoryOverlap]:
    """Effort counted in one category whose items also match a later one (first match wins)."""
    require(store, "category_match")
    rows = store.query(
        f"""
        SELECT a.category, m.category AS also, round(sum(a.person_days), 2) AS person_days,
               count(DISTINCT a.item_key) AS items
        FROM alloc a JOIN category_match m ON m.item_id = a.item_id AND m.category <> a.category
        {where.replace("team", "a.team")}
        GROUP BY ALL ORDER BY person_days DESC, a.category, also
        """,
        params,
    )
    return [CategoryOverlap(**row) for row in rows]


def _rename(config: Config, *group_lists: list[dict[str, Any]]) -> None:
    """Show built-in subcategories under the names `[categories] rename` gives them."""
    names = config.categories.rename
    for groups in group_lists:
        for group in groups:
            group["key"] = names.get(group["key"], group["key"])


def _check(config: Config, options: AllocationOptions) -> None:
    if options.period not in PERIODS:
        raise ConfigError(f"unknown period {options.period!r}", f"use one of {', '.join(PERIODS)}")
    if options.by not in GROUPINGS:
        raise ConfigError(f"cannot group by {options.by!r}", f"use one of {', '.join(GROUPINGS)}")
    if options.by == "category" and not config.custom_categories:
        raise ConfigError(
            "no custom categories: ktlo.toml has no [custom_categories] table",
            'define some, e.g. [custom_categories."Compliance"] match = { label = "compliance" }'
            " (docs/allocation.md#custom-categories)",
        )
    if (
        options.team
        and options.team != NO_TEAM
        and options.team not in {t.name for t in config.teams}
    ):
        known = ", ".join(t.name for t in config.teams) or "none configured"
        raise ConfigError(f"unknown team {options.team!r}", f"teams in ktlo.toml: {known}")


def _band(config: Config, team: str | None) -> Budget:
    for t in config.teams:
        if t.name == team:
            return Budget(t.budget.low / 100, t.budget.high / 100)
    return Budget()


def _total_rows(
    store: Store, where: str, params: list[Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole allocation's sums, people, span, items and error bars' parts; its lines."""
    row = store.query(
        f"""
        SELECT coalesce(sum(person_days), 0) AS person_days,
               coalesce(sum(person_days) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_person_days,
               count(DISTINCT person) AS people, min(day) AS first_day, max(day) AS last_day,
               count(DISTINCT item_key) AS items, {parts_sql("person_days", "p_", WHOLE)}
        FROM alloc {where}
        """,
        params,
    )[0]
    lines = store.query(  # a semi join: an item's rows need not be made distinct first
        f"""
        SELECT coalesce(sum(lines_added + lines_deleted), 0) AS lines
        FROM commits SEMI JOIN (SELECT item_id FROM alloc {where}) a USING (item_id)
        """,
        params,
    )[0]
    return row, lines


def _totals(row: dict[str, Any], lines: dict[str, Any], rates: Rates) -> AllocationTotals:
    corrected = share_json(estimate(Parts.of(row, "p_"), rates))  # replaces the verdicts' share
    return AllocationTotals(
        **{**effort_totals(row), **corrected}, items=row["items"], lines=lines["lines"]
    )


def effort_totals(row: dict[str, Any]) -> dict[str, Any]:
    """Person-days, KTLO person-days and share, FTE over the span's working days, people and
    span, from a row with `person_days`, `ktlo_person_days`, `people`, `first_day`, `last_day`."""
    days = workdays(row["first_day"], row["last_day"])
    return {
        "person_days": round(row["person_days"], 2),
        "ktlo_person_days": round(row["ktlo_person_days"], 2),
        "ktlo_share": _ratio(row["ktlo_person_days"], row["person_days"]),
        "fte": round(row["person_days"] / days, 2) if days else None,
        "workdays": days,
        "people": row["people"],
        "first_day": row["first_day"].isoformat() if row["first_day"] else None,
        "last_day": row["last_day"].isoformat() if row["last_day"] else None,
    }


def _group_rows(store: Store, key: str, where: str, params: list[Any]) -> list[dict[str, Any]]:
    """Each value of `key`'s effort, items and error bars' parts, most effort first."""
    return store.query(
        f"""
        SELECT {key} AS key,
               {"any_value(investment)" if key == "subcategory" else "NULL"} AS investment,
               sum(person_days) AS person_days,
               sum(person_days) FILTER (WHERE investment = 'ktlo') AS ktlo_person_days,
               count(DISTINCT item_key) AS items, {parts_sql("person_days", "p_", WHOLE)}
        FROM alloc {where} GROUP BY {key} ORDER BY person_days DESC, key
        """,
        params,
    )


def _groups(rows: list[dict[str, Any]], rates: Rates) -> list[dict[str, Any]]:
    """The groups of `_group_rows` with their corrected KTLO share (their `share` of the
    whole is set once the totals are in)."""
    result = []
    for found in rows:
        row = {k: v for k, v in found.items() if not k.startswith("p_")}
        row["key"] = row["key"] if row["key"] is not None else "other"
        row.update(share_json(estimate(Parts.of(found, "p_"), rates)))
        row["person_days"] = round(row["person_days"], 2)
        row["ktlo_person_days"] = round(row["ktlo_person_days"] or 0, 2)
        if row["investment"] is None:
            row.pop("investment")
        result.append(row)
    return result


# A period's sums (start, person_days, ktlo_person_days, then the error bars' parts at the
# columns of the list), and its groups' rows (start, key, person_days, items).
PeriodRows = tuple[dict[date, tuple[Any, ...]], list[int], list[tuple[Any, ...]]]


def _period_rows(store: Store, period: str, key: str, where: str, params: list[Any]) -> PeriodRows:
    """What `_periods` is made of, in two queries: each period's own sums (a few rows), and
    its groups' effort and items (129,570 rows by initiative on a million items), each
    item's effort summed first so that its items are counted by rows rather than as a
    distinct count."""
    start = f"date_trunc('{period}', day)::DATE"
    totals = store.con.execute(
        f"""
        SELECT {start} AS start, sum(person_days) AS person_days,
               coalesce(sum(person_days) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_person_days,
               {parts_sql("person_days", "p_", WHOLE)}
        FROM alloc {where} GROUP BY start ORDER BY start
        """,
        params,
    )
    names = [d[0] for d in totals.description]
    order = [names.index(c) for c in part_columns("p_")]  # the parts in `Parts`' order
    sums = {row[0]: row for row in totals.fetchall()}
    groups = store.con.execute(
        f"""
        WITH per_item AS (
            SELECT {start} AS start, {key} AS key, item_key, sum(person_days) AS person_days
            FROM alloc {where} GROUP BY ALL
        )
        SELECT start, key, sum(person_days) AS person_days, count(*) AS items
        FROM per_item GROUP BY start, key ORDER BY start, person_days DESC, key
        """,
        params,
    ).fetchall()
    return sums, order, groups


def _periods(
    sums: dict[date, tuple[Any, ...]], order: list[int], groups: list[tuple[Any, ...]],
    period: str, budget: Budget, rates: Rates, covered: Coverage,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each period's figures from `_period_rows`; one the data does not cover whole says so
    (in progress, or partial), and its FTE divides by the working days covered
    (ktlo.periods)."""
    return [
        _period_entry(day, sums[day], list(rows), order, period, budget, rates, covered)
        for day, rows in groupby(groups, key=itemgetter(0))
    ]


def _period_entry(
    start: date, sums: tuple[Any, ...], rows: list[tuple[Any, ...]], order: list[int],
    period: str, budget: Budget, rates: Rates, covered: Coverage,
) -> dict[str, Any]:  # fmt: skip
    """One period of `_periods` from its sums (start, person_days, ktlo_person_days, then the
    error bars' parts at the columns `order` lists) and its groups' rows (start, key,
    person_days, items)."""
    person_days, ktlo_person_days = sums[1], sums[2]
    t, a, k, w0, w1, w2, s0, s1, s2 = (float(sums[i]) for i in order)
    found = estimate(Parts(t, a, k, (w0, w1, w2), (s0, s1, s2)), rates)
    calendar = covered.fields(start, period)
    days_in_period = calendar["workdays"]
    groups = []
    for _, key, days, items in rows:
        shown = round(days, 2)
        groups.append(
            {"key": key if key is not None else "other", "person_days": shown, "items": items,
             "share": round(shown / person_days, 4) if person_days else None,
             "fte": round(shown / days_in_period, 2)}
        )  # fmt: skip
    return {
        "period": period_label(start, period),
        "start": start.isoformat(),
        **calendar,
        "person_days": round(person_days, 2),
        "fte": round(person_days / days_in_period, 2),
        "ktlo_person_days": round(ktlo_person_days, 2),
        **share_json(found),
        "status": budget.status_of(found),
        "groups": groups,
    }


def _period(entry: dict[str, Any]) -> AllocationPeriod:
    """A period of `_periods` as its model. Its groups (129,570 of them by initiative on a
    million items) are checked as one list of dicts by pydantic-core (PeriodGroup)."""
    return AllocationPeriod(**{**entry, "groups": _GROUPS.validate_python(entry["groups"])})


def _trend(periods: list[dict[str, Any]]) -> AllocationTrend:
    """The direction between the last two complete periods; the series of every period."""
    shares = [p["ktlo_share"] for p in periods if p["ktlo_share"] is not None and p["complete"]]
    direction = "unknown"
    if len(shares) >= 2:
        delta = shares[-1] - shares[-2]
        direction = "flat" if abs(delta) < 0.02 else ("up" if delta > 0 else "down")
    return AllocationTrend(direction=direction, series=[p["ktlo_share"] for p in periods])


def _cost(store: Store, config: Config, where: str, params: list[Any]) -> Cost | None:
    costs = {t.name: t.cost_per_fte_month for t in config.teams if t.cost_per_fte_month}
    if not costs:
        return None
    rows = store.query(
        f"SELECT team, sum(person_days) FILTER (WHERE investment = 'ktlo') AS ktlo_days, "
        f"sum(person_days) AS days FROM alloc {where} GROUP BY team ORDER BY team",
        params,
    )
    per_team = {
        r["team"]: round((r["ktlo_days"] or 0) / WORKDAYS_PER_MONTH * costs[r["team"]], 2)
        for r in rows
        if r["team"] in costs
    }
    return Cost(ktlo_cost=round(sum(per_team.values()), 2), by_team=per_team,
                basis=f"KTLO person-days / {WORKDAYS_PER_MONTH} × cost_per_fte_month")  # fmt: skip


def _load_teams(store: Store, config: Config) -> None:
    person_of = dict(store.con.execute("SELECT alias, person FROM identity").fetchall())
    members: dict[str, dict[str, float]] = {}
    for team in config.teams:
        for member in team.members:
            person = person_of.get(member.lower(), member)
            members.setdefault(person, {})[team.name] = 1.0
    for person_id, person in config.people.items():
        if person.teams:
            members[person_id] = dict(person.teams)
    for table, columns in (("team_member", "person VARCHAR, team VARCHAR, share DOUBLE"),
                           ("team_repo", "team VARCHAR, repo VARCHAR"),
                           ("team_path", "team VARCHAR, prefix VARCHAR")):  # fmt: skip
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({columns})")
    store.insert(
        "team_member",
        ["person", "team", "share"],
        [
            (p, t, share / sum(teams.values()))
            for p, teams in members.items()
            for t, share in teams.items()
        ],
    )
    store.insert(
        "team_repo", ["team", "repo"], [(t.name, r) for t in config.teams for r in t.repositories]
    )
    store.insert(
        "team_path", ["team", "prefix"], [(t.name, p) for t in config.teams for p in t.paths]
    )


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def allocation_rows(doc: AllocationDocument) -> list[dict[str, Any]]:
    """The allocation as flat rows (one per period and group), for CSV."""
    return [
        {
            "period": p.period,
            "start": p.start,
            doc.by: g["key"],
            "person_days": g["person_days"],
            "fte": g["fte"],
            "share": g["share"],
            "items": g["items"],
            "period_ktlo_share": p.ktlo_share,
            "period_ktlo_share_low": p.ktlo_share_low,
            "period_ktlo_share_high": p.ktlo_share_high,
            "period_status": p.status,
            "period_complete": p.complete,
            "period_in_progress": p.in_progress,
            "period_workdays": p.workdays,
        }  # fmt: skip
        for p in doc.periods
        for g in p.groups
    ]


def budget_report(store: Store, config: Config, period: str = "month") -> BudgetDocument:
    """Per team: the last complete period and the last 91 days against the band, drift, drivers."""
    if period not in PERIODS:
        raise ConfigError(f"unknown period {period!r}", f"use one of {', '.join(PERIODS)}")
    build_allocation(
        store, config, None, None, categories=category_targets(config), initiatives=False,
        cached=True,
    )  # fmt: skip
    return budget_from_alloc(store, config, period)


def category_targets(config: Config) -> bool:
    """Whether a team's `targets` name a custom category: its buckets then need them."""
    return any(name in config.custom_categories for t in config.teams for name in t.targets)


def budget_from_alloc(store: Store, config: Config, period: str) -> BudgetDocument:
    """`budget_report` over an `alloc` table or view already built (the dashboard filters it)."""
    require(store, "alloc")
    teams = [t.name for t in config.teams] or [
        r[0] for r in store.con.execute("SELECT DISTINCT team FROM alloc ORDER BY 1").fetchall()
    ]
    covered = coverage(store.con, "alloc")
    today = covered.as_of or date.today()
    driving = drivers(store, teams)
    rates = measured_rates(store)
    return BudgetDocument.model_validate(
        {
            "schema": "ktlo.budget/v2",
            "period": period,
            "as_of": today.isoformat(),
            "teams": [
                {
                    **_team_budget(store, config, team, period, covered, rates),
                    "drivers": driving[team],
                }
                for team in teams
            ],
        }
    )


def _team_budget(
    store: Store, config: Config, team: str, period: str, covered: Coverage, rates: Rates
) -> dict[str, Any]:
    band = _band(config, team)
    today = covered.as_of or date.today()
    shares: list[tuple[date, Estimate | None]] = [
        (row["start"], estimate(Parts.of(row), rates))
        for row in store.query(
            f"SELECT date_trunc('{period}', day)::DATE AS start, {parts_sql('person_days', whole=WHOLE)} "
            "FROM alloc WHERE team = ? GROUP BY start ORDER BY start",
            [team],
        )
    ]
    full = [s for s in shares if covered.complete(s[0], period)]  # ktlo.periods
    last = full[-1] if full else None
    quarter = estimate(
        Parts.of(
            store.query(
                f"SELECT {parts_sql('person_days', whole=WHOLE)} FROM alloc "
                "WHERE team = ? AND day > ?::DATE - INTERVAL 91 DAY",
                [team, today],
            )[0]
        ),
        rates,
    )
    recent = [found.share for _, found in full[-3:] if found is not None]
    drifting = (
        len(recent) == 3
        and recent[0] < recent[1] < recent[2]
        and recent[2] - recent[0] >= DRIFT_POINTS
    )
    last_share = last[1] if last else None
    return {
        "team": team,
        "low": band.low,
        "high": band.high,
        "last_period": period_label(last[0], period) if last else None,
        **share_json(last_share, "last_period_share"),
        "last_period_status": band.status_of(last_share),
        **share_json(quarter, "quarter_share"),
        "quarter_status": band.status_of(quarter),
        "drifting": drifting,
        "recent_shares": recent,
        "buckets": _buckets(store, config, team, period, covered, dict(shares)),
    }


def _buckets(
    store: Store, config: Config, team: str, period: str, covered: Coverage,
    corrected: dict[date, Estimate | None],
) -> Buckets | None:  # fmt: skip
    """The team's budget buckets (ktlo.effort.buckets), None when it has no `targets`."""
    from ktlo.effort.buckets import bucket_plan, team_buckets

    found = next((t for t in config.teams if t.name == team), None)
    plan = bucket_plan(config, found) if found else None
    return team_buckets(store, plan, team, period, covered, corrected) if plan else None


def drivers(store: Store, teams: list[str], table: str = "alloc") -> dict[str, dict[str, Any]]:
    """Per team: its top three KTLO subcategories and directories over the last 91 days of
    `table` (an allocation table: `alloc`, or the report's `alloc_all`), in one pass. A
    directory is of one repository (`repo_id`, `directory`; `.` its root files)."""
    if not teams:
        return {}
    require(store, table)
    recent = f"""
        SELECT * FROM {table}
        WHERE team IN (SELECT unnest(?::VARCHAR[])) AND investment = 'ktlo'
          AND day > (SELECT max(day) FROM {table}) - INTERVAL 91 DAY"""
    kinds = store.query(
        f"""
        SELECT team, subcategory, round(sum(person_days), 2) AS person_days FROM ({recent})
        GROUP BY team, subcategory
        QUALIFY row_number() OVER (PARTITION BY team ORDER BY sum(person_days) DESC, subcategory) <= 3
        ORDER BY team, person_days DESC, subcategory
        """,
        [teams],
    )
    hotspots = store.query(
        f"""
        WITH a AS ({recent}),
        n AS (SELECT item_id, count(*) AS files FROM commit_files SEMI JOIN a USING (item_id)
              GROUP BY item_id)
        SELECT a.team, a.repo_id, coalesce(nullif(parse_dirpath(f.path), ''), '.') AS directory,
               round(sum(a.person_days / n.files), 2) AS person_days
        FROM a JOIN commit_files f USING (item_id) JOIN n USING (item_id)
        GROUP BY a.team, a.repo_id, directory
        QUALIFY row_number() OVER (PARTITION BY a.team ORDER BY sum(a.person_days / n.files) DESC,
                                   a.repo_id, directory) <= 3
        ORDER BY a.team, person_days DESC, a.repo_id, directory
        """,
        [teams],
    )
    found: dict[str, dict[str, Any]] = {t: {"subcategories": [], "hotspots": []} for t in teams}
    for row in kinds:
        found[row.pop("team")]["subcategories"].append(row)
    for row in hotspots:
        found[row.pop("team")]["hotspots"].append(row)
    return found
