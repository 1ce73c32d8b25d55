"""`ktlo capitalization`: each team's effort per period split into capitalizable R&D and
expensed work, with its cost, in SQL over the allocation (docs/capitalization.md).

The rule, per item and person-day of effort (`alloc`, ktlo.effort.allocation):

    capitalizable   new work (the verdict's investment is new work) on an initiative that
                    ktlo.toml marks `capitalizable = true` (ktlo.effort.initiatives), unless
                    the item is a bug or an incident by its type
    expensed        everything else: KTLO (bugs, incidents, maintenance, ...) on any
                    initiative, new work on initiatives not marked, work on no initiative,
                    and what the classifier could not place (`other`)

Cost is person-days ÷ 21.7 (working days per month) × the team's `cost_per_fte_month`, the
rule `ktlo allocation`'s KTLO cost uses; a team without one has a `null` cost, named.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ktlo.choices import PERIODS
from ktlo.classify.taxonomy import NEW_WORK
from ktlo.config import Config
from ktlo.effort.allocation import NO_TEAM, WORKDAYS_PER_MONTH, build_allocation
from ktlo.effort.capitalization_document import CapitalizationDocument, CapitalizationRow
from ktlo.errors import ConfigError
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage, coverage
from ktlo.store import Store
from ktlo.store.temp_tables import require

SCHEMA = "ktlo.capitalization/v1"
RULE = (
    "capitalizable: new work on an initiative ktlo.toml marks capitalizable = true, except "
    "items typed bug or incident; expensed: everything else (KTLO on any initiative, new work "
    "on other initiatives or none, unclassified work)"
)
COST_BASIS = f"person-days / {WORKDAYS_PER_MONTH} × the team's cost_per_fte_month"
NEVER = ("bug", "incident")  # standard types that are never capitalized
# Why a row of effort is in its class: code-chosen SQL, the order the rule reads.
_REASON = f"""CASE
    WHEN a.initiative IS NULL OR a.initiative NOT IN (SELECT initiative FROM cap_initiative)
        THEN 'not a capitalizable initiative'
    WHEN a.investment = 'ktlo' THEN 'KTLO'
    WHEN coalesce(w.standard_type, '') IN {NEVER!r} THEN 'a ' || w.standard_type
    WHEN a.investment <> '{NEW_WORK}' THEN 'not classified as new work'
    ELSE 'new work on a capitalizable initiative' END"""


def capitalization(
    store: Store, config: Config, period: str = "month", team: str | None = None,
    items: bool = False,
) -> CapitalizationDocument:  # fmt: skip
    """The `ktlo capitalization` document: per team, period and class (docs/capitalization.md)."""
    if period not in PERIODS:
        raise ConfigError(f"unknown period {period!r}", f"use one of {', '.join(PERIODS)}")
    if team and team != NO_TEAM and team not in {t.name for t in config.teams}:
        known = ", ".join(t.name for t in config.teams) or "none configured"
        raise ConfigError(f"unknown team {team!r}", f"teams in ktlo.toml: {known}")
    build_allocation(store, config, None, None, categories=False, cached=True)
    return capitalization_from_alloc(store, config, period, team, items)


def capitalization_from_alloc(
    store: Store, config: Config, period: str, team: str | None, items: bool
) -> CapitalizationDocument:
    """`capitalization` over an `alloc` table already built."""
    require(store, "alloc")
    marked = sorted(k for k, i in config.initiatives.items() if i.capitalizable)
    _classify(store, marked, team)
    covered = coverage(store.con, "alloc")
    costs = {t.name: t.cost_per_fte_month for t in config.teams if t.cost_per_fte_month is not None}
    listed = _items(store, period) if items else {}
    rows = [
        _row(found, period, covered, costs, listed.get(_key(found)) if items else None)
        for found in store.query(
            f"""
            SELECT team, date_trunc('{period}', day)::DATE AS start, cost_class,
                   sum(person_days) AS person_days, count(DISTINCT item_id) AS items
            FROM cap GROUP BY ALL ORDER BY team, start, cost_class
            """
        )
    ]
    missing = sorted({r.team for r in rows} - costs.keys())
    return CapitalizationDocument.model_validate(
        {
            "schema": SCHEMA,
            "period": period,
            "team": team,
            "as_of": covered.as_of.isoformat() if covered.as_of else None,
            "capitalizable_initiatives": marked,
            "rule": RULE,
            "cost_basis": COST_BASIS,
            "missing_costs": missing,
            "notes": _notes(marked, missing, rows),
            "rows": rows,
        }
    )


def _classify(store: Store, marked: list[str], team: str | None) -> None:
    """The temporary table `cap`: `alloc` (of `team`, or all) with each row's class and reason."""
    store.con.execute("CREATE OR REPLACE TEMP TABLE cap_initiative (initiative VARCHAR)")
    store.insert("cap_initiative", ["initiative"], [(m,) for m in marked])
    # Only the items of a capitalizable initiative need their standard type: joining those,
    # not the whole of work_items, saves a hash join of a million items (every item with
    # effort is in work_items, so the LEFT JOIN loses no row the inner join kept).
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cap AS
        SELECT *, CASE WHEN reason = 'new work on a capitalizable initiative'
                       THEN 'capitalizable' ELSE 'expensed' END AS cost_class
        FROM (
            SELECT a.team, a.day, a.item_id, a.person_days, a.initiative, a.investment, a.kind,
                   {_REASON} AS reason
            FROM alloc a
            LEFT JOIN (
                SELECT item_id, standard_type FROM work_items
                SEMI JOIN (SELECT item_id FROM alloc
                           WHERE initiative IN (SELECT initiative FROM cap_initiative)) m
                USING (item_id)
            ) w USING (item_id)
            WHERE a.team = ? OR ?::VARCHAR IS NULL
        )
        """,
        [team, team],
    )


def _row(
    found: dict[str, Any], period: str, covered: Coverage, costs: dict[str, float],
    listed: list[dict[str, Any]] | None,
) -> CapitalizationRow:  # fmt: skip
    start: date = found["start"]
    calendar = covered.fields(start, period)
    days = found["person_days"]
    cost = costs.get(found["team"])
    return CapitalizationRow(
        team=found["team"],
        period=period_label(start, period),
        start=start.isoformat(),
        complete=calendar["complete"],
        in_progress=calendar["in_progress"],
        cost_class=found["cost_class"],
        person_days=round(days, 2),
        fte=round(days / calendar["workdays"], 2) if calendar["workdays"] else 0.0,
        cost=round(days / WORKDAYS_PER_MONTH * cost, 2) if cost is not None else None,
        items=found["items"],
        listed=listed if listed is not None else None,
    )


def _key(row: dict[str, Any]) -> tuple[str, date, str]:
    return row["team"], row["start"], row["cost_class"]


def _items(store: Store, period: str) -> dict[tuple[str, date, str], list[dict[str, Any]]]:
    found: dict[tuple[str, date, str], list[dict[str, Any]]] = {}
    for row in store.query(
        f"""
        SELECT c.team, date_trunc('{period}', c.day)::DATE AS start, c.cost_class, c.item_id,
               coalesce(w.external_id, c.item_id) AS ref, c.kind,
               split_part(w.title, chr(10), 1) AS title, any_value(c.initiative) AS initiative,
               any_value(c.investment) AS investment, any_value(c.reason) AS reason,
               round(sum(c.person_days), 2) AS person_days
        FROM cap c JOIN work_items w USING (item_id)
        GROUP BY ALL ORDER BY c.team, start, c.cost_class, person_days DESC, c.item_id
        """
    ):
        found.setdefault(_key(row), []).append(
            {k: v for k, v in row.items() if k not in ("team", "start", "cost_class")}
        )
    return found


def _notes(marked: list[str], missing: list[str], rows: list[CapitalizationRow]) -> list[str]:
    notes = []
    if not marked:
        notes.append(
            "no initiative is marked capitalizable: every figure is expensed (set "
            '[initiatives."KEY"] capitalizable = true in ktlo.toml)'
        )
    if missing:
        notes.append(f"no cost_per_fte_month for {', '.join(missing)}: their cost is null")
    unfinished = sorted({r.period for r in rows if not r.complete})
    if unfinished:
        notes.append(
            f"not complete (in progress or partly covered): {', '.join(unfinished)}; "
            "book complete periods only"
        )
    return notes


def capitalization_rows(doc: CapitalizationDocument) -> list[dict[str, Any]]:
    """The CSV a finance team takes: one row per team, period and class."""
    return [
        {
            "team": r.team,
            "period": r.period,
            "start": r.start,
            "class": r.cost_class,
            "person_days": r.person_days,
            "fte": r.fte,
            "cost": "" if r.cost is None else r.cost,
            "items": r.items,
            "complete": r.complete,
            "in_progress": r.in_progress,
            "cost_note": "" if r.cost is not None else "no cost_per_fte_month for the team",
        }  # fmt: skip
        for r in doc.rows
    ]
