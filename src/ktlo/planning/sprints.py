"""`ktlo sprints`: planned against actual KTLO share per sprint or cycle, and unplanned work.

An item is **planned** for a sprint when it was in the sprint when the sprint started: its
sprint was set before the start (from the item's `sprint` history in `state_changes`), or
it carries the sprint and was created before the start with no later change into it. An
item that entered the sprint after the start is **unplanned** (added mid-sprint).

- planned KTLO share: KTLO among planned items, by estimate (story points) when every
  planned item has one, else by count
- actual KTLO share: KTLO person-days / person-days spent during the sprint on its items
  and on the changes that name them (commits and pull requests whose text or links carry the
  item's key, docs/effort.md); always by effort, in every view. With no effort recorded the
  share is unknown (None), never a count of done items: three done items swing it 0–100%
- in progress: the sprint ends after the newest day of effort (ktlo.periods), its actual
  share is so far
- unplanned: items added mid-sprint, how many of them are KTLO

A sprint belongs to the ktlo.toml team whose name, or one of whose `repositories` (a Jira
project key such as `PAY`, a Linear team key), is the sprint's team as its source named
it (case-insensitive; the first such team in ktlo.toml); `source_team` keeps that name.

The report reads the same figures from its own effort table (`alloc_all`, the same
person-days split across teams) instead of computing effort again; `effort=` names it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document, is_none
from ktlo.effort.person_days import compute_effort
from ktlo.periods import coverage
from ktlo.store import Store


class SprintBucket(Document):
    """One budget bucket of a sprint's team (docs/allocation.md#budget-buckets)."""

    bucket: str = Field(description="an investment or subcategory of `targets`, or `(rest)`")
    target: float = Field(description="its target, of the team's effort")
    planned_share: float | None = Field(
        description="of the planned items, on the sprint's `planned_basis` (points or items)"
    )
    actual_share: float | None = Field(
        description="of the person-days spent on the sprint; `null` with no effort recorded"
    )
    actual_person_days: float = Field(description="the person-days spent on it")


class Sprint(Document):
    """One sprint (Jira) or cycle (Linear) with its planned and actual KTLO share."""

    sprint: str = Field(description="its name")
    sprint_id: str = Field(description="its id in the store")
    team: str | None = Field(
        description="the ktlo.toml team it belongs to, else as its source names it"
    )
    source_team: str | None = Field(description="the team as its source named it")
    starts_at: str | None = Field(description="when it started")
    ends_at: str | None = Field(description="when it ends")
    planned_items: int = Field(description="items in it when it started")
    planned_basis: Literal["points", "items"] = Field(
        description="`points` when every planned item has an estimate, else `items`"
    )
    planned_ktlo_share: float | None = Field(description="KTLO share of the planned items")
    actual_ktlo_share: float | None = Field(
        description="KTLO share of the person-days spent on it; `null` with no effort recorded"
    )
    actual_basis: Literal["effort"] = Field(description="always `effort`")
    actual_person_days: float = Field(description="the person-days spent on it")
    in_progress: bool = Field(description="it ends after the newest day of effort: so far")
    unplanned_items: int = Field(description="items added after it started")
    unplanned_ktlo_items: int = Field(description="of them KTLO")
    done_items: int = Field(description="items closed during it")
    buckets: list[SprintBucket] | None = Field(
        None,
        exclude_if=is_none,
        description="its team's budget buckets, planned against actual (teams with `targets` "
        "only; left out otherwise)",
    )


class SprintTrend(Document):
    """The sprints' figures as series, oldest first."""

    planned: list[float | None] = Field(description="planned KTLO share per sprint")
    actual: list[float | None] = Field(description="actual KTLO share per sprint")
    unplanned_items: list[int] = Field(description="items added mid-sprint per sprint")


class SprintsDocument(Document):
    """`ktlo sprints --json`: planned against actual KTLO share per sprint or cycle."""

    schema_: Literal["ktlo.sprints/v1"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team asked for, `null` for all")
    sprints: list[Sprint] = Field(description="one per sprint, oldest first")
    trend: SprintTrend = Field(description="the same figures as series")


def sprint_report(
    store: Store, config: Config, team: str | None = None, *, effort: str | None = None,
    since: date | None = None, until: date | None = None,
) -> SprintsDocument:  # fmt: skip
    """One row per sprint, oldest first, with the trend of the planned and actual shares.

    `effort` names a table with `item_id`, `day` and `person_days` over the whole history
    that the caller already built (the report's `alloc_all`); without it, effort is
    computed. `since` and `until` keep the sprints that overlap [since, until): those that
    start before `until` and end on or after `since` (with either, a sprint without dates
    is left out).
    """
    if effort is None:
        compute_effort(store, config)
    where, params = _chosen(team, since, until)
    aliases, owners = _team_aliases(config)
    params = [aliases, owners, *params]
    # an item names its sprint by id or by name: both become keys, so that the joins below
    # are equi-joins (an OR in the join condition compares every sprint with every item)
    chosen = f"""
        WITH owner AS (SELECT unnest(?::VARCHAR[]) AS alias, unnest(?::VARCHAR[]) AS team),
        mapped AS (
            SELECT s.* REPLACE (coalesce(o.team, s.team) AS team), s.team AS source_team
            FROM sprints s LEFT JOIN owner o ON o.alias = lower(s.team)
        ),
        chosen AS (SELECT * FROM mapped s {where}),
        keys AS (SELECT sprint_id, sprint_id AS key FROM chosen
                 UNION SELECT sprint_id, name FROM chosen)"""
    rows = store.query(
        f"""
        {chosen}, {FLAGGED_SQL}
        SELECT sprint_id, any_value(name) AS name, any_value(team) AS team,
               any_value(source_team) AS source_team,
               any_value(starts_at) AS starts_at, any_value(ends_at) AS ends_at,
               count(*) FILTER (WHERE NOT unplanned) AS planned_items,
               count(*) FILTER (WHERE NOT unplanned AND investment = 'ktlo') AS planned_ktlo_items,
               bool_and(estimate IS NOT NULL) FILTER (WHERE NOT unplanned) AS all_estimated,
               sum(estimate) FILTER (WHERE NOT unplanned) AS planned_points,
               sum(estimate) FILTER (WHERE NOT unplanned AND investment = 'ktlo') AS planned_ktlo_points,
               count(*) FILTER (WHERE unplanned) AS unplanned_items,
               count(*) FILTER (WHERE unplanned AND investment = 'ktlo') AS unplanned_ktlo_items,
               count(*) FILTER (WHERE closed_at BETWEEN starts_at AND ends_at) AS done_items,
               count(*) FILTER (WHERE closed_at BETWEEN starts_at AND ends_at AND investment = 'ktlo')
                   AS done_ktlo_items
        FROM flagged GROUP BY sprint_id ORDER BY starts_at, sprint_id
        """,
        params,
    )
    table = effort or "effort"
    spent_sql = f"{chosen}, {WORKED_SQL.format(table)} {SPENT_SQL}"
    spent = {r["sprint_id"]: r for r in store.query(spent_sql, params)}
    as_of = coverage(store.con, table).as_of
    sprints = [_sprint_row(r, spent.get(r["sprint_id"]), as_of) for r in rows]
    if any(t.targets for t in config.teams):
        from ktlo.planning.sprint_buckets import with_buckets

        sprints = with_buckets(store, config, sprints, f"{chosen}, {FLAGGED_SQL}",
                               f"{chosen}, {WORKED_SQL.format(table)}", params)  # fmt: skip
    trend = SprintTrend(
        planned=[s.planned_ktlo_share for s in sprints],
        actual=[s.actual_ktlo_share for s in sprints],
        unplanned_items=[s.unplanned_items for s in sprints],
    )
    return SprintsDocument(schema="ktlo.sprints/v1", team=team, sprints=sprints, trend=trend)


# Each sprint's items, when each entered it and whether that was after it started.
FLAGGED_SQL = """
    entered AS (  -- when each item first entered each sprint, from its sprint history
        SELECT c.item_id, k.sprint_id, min(c.occurred_at) AS entered_at
        FROM state_changes c JOIN keys k ON k.key = c.to_value
        WHERE c.field = 'sprint' GROUP BY ALL
    ),
    members AS (
        SELECT s.sprint_id, s.name, s.team, s.source_team, s.starts_at, s.ends_at, w.item_id, w.estimate,
               w.state, w.closed_at, v.investment, v.subcategory,
               coalesce(e.entered_at, w.created_at) AS entered_at
        FROM chosen s
        JOIN keys k ON k.sprint_id = s.sprint_id
        JOIN work_items w ON w.sprint = k.key
        JOIN effective_verdicts v ON v.item_id = w.item_id
        LEFT JOIN entered e ON e.item_id = w.item_id AND e.sprint_id = s.sprint_id
    ),
    flagged AS (SELECT *, entered_at > starts_at AS unplanned FROM members)"""

# Effort during each sprint on its items and on the changes that name them (by key in their
# text or links, `#12` within the item's repository), each item once per sprint: equi-joins
# only, as an OR in a join condition would compare every reference with every item.
# `spent` is that effort, a row per person, day and item ({0}: the effort table).
WORKED_SQL = """
    items AS (
        SELECT DISTINCT k.sprint_id, w.item_id, w.external_id, w.repo_id
        FROM keys k JOIN work_items w ON w.sprint = k.key
    ),
    refs AS (
        SELECT item_id, unnest(refs) AS ref, repo_id FROM work_items WHERE len(refs) > 0
        UNION ALL SELECT from_id, to_ref, NULL FROM links
    ),
    worked AS (
        SELECT sprint_id, item_id FROM items
        UNION SELECT i.sprint_id, r.item_id FROM items i JOIN refs r ON r.ref = i.external_id
        UNION SELECT i.sprint_id, r.item_id FROM items i
              JOIN refs r ON r.ref = '#' || i.external_id AND r.repo_id = i.repo_id
    ),
    spent AS (
        SELECT s.sprint_id, worked.item_id, e.person_days, v.investment, v.subcategory
        FROM chosen s
        JOIN worked USING (sprint_id)
        JOIN {0} e ON e.item_id = worked.item_id
            AND e.day BETWEEN CAST(s.starts_at AS DATE) AND CAST(s.ends_at AS DATE)
        JOIN effective_verdicts v ON v.item_id = worked.item_id
    )"""
SPENT_SQL = """
    SELECT sprint_id, sum(person_days) AS person_days,
           sum(person_days) FILTER (WHERE investment = 'ktlo') AS ktlo_person_days
    FROM spent GROUP BY sprint_id
"""


def _team_aliases(config: Config) -> tuple[list[str], list[str]]:
    """(lower-case name or key, team) pairs: each team's name and its `repositories`, the
    first team in ktlo.toml winning a key two teams list."""
    owner: dict[str, str] = {}
    for team in config.teams:
        for alias in (team.name, *team.repositories):
            owner.setdefault(alias.lower(), team.name)
    return list(owner), list(owner.values())


def _chosen(team: str | None, since: date | None, until: date | None) -> tuple[str, list[Any]]:
    """The WHERE clause (over `sprints s`) and its parameters for a team and a date range."""
    conditions: list[str] = []
    params: list[Any] = []
    if team:
        conditions.append("s.team = ?")
        params.append(team)
    if until:
        conditions.append("CAST(s.starts_at AS DATE) < ?")
        params.append(until)
    if since:
        conditions.append("CAST(coalesce(s.ends_at, s.starts_at) AS DATE) >= ?")
        params.append(since)
    return ("WHERE " + " AND ".join(conditions) if conditions else ""), params


def _sprint_row(row: dict[str, Any], effort: dict[str, Any] | None, as_of: date | None) -> Sprint:
    by_points = bool(row["all_estimated"]) and (row["planned_points"] or 0) > 0
    planned = (
        _ratio(row["planned_ktlo_points"] or 0, row["planned_points"])
        if by_points
        else _ratio(row["planned_ktlo_items"], row["planned_items"])
    )
    days = float(effort["person_days"] or 0) if effort else 0.0
    actual = _ratio(effort["ktlo_person_days"] or 0, days) if effort and days else None
    ends = row["ends_at"].date() if row["ends_at"] else None
    return Sprint(
        sprint=row["name"],
        sprint_id=row["sprint_id"],
        team=row["team"],
        source_team=row["source_team"],
        starts_at=row["starts_at"].isoformat() if row["starts_at"] else None,
        ends_at=row["ends_at"].isoformat() if row["ends_at"] else None,
        planned_items=row["planned_items"],
        planned_basis="points" if by_points else "items",
        planned_ktlo_share=planned,
        actual_ktlo_share=actual,
        actual_basis="effort",
        actual_person_days=round(days, 2),
        in_progress=ends is None or (as_of is not None and ends > as_of),
        unplanned_items=row["unplanned_items"],
        unplanned_ktlo_items=row["unplanned_ktlo_items"],
        done_items=row["done_items"],
    )


def _ratio(part: float, whole: float | None) -> float | None:
    return round(part / whole, 4) if whole else None
