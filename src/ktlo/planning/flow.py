"""`ktlo flow`: how KTLO work flows for teams that run Kanban — cycle time, throughput, work
in progress and its age, items past their service-level expectation, and each team's KTLO
WIP limit. All SQL over the stored status changes and pull requests (docs/flow.md).

An issue's status history (`state_changes`, field `status`) is read through `[flow]`'s
lists: a status in `todo` has not started, one in `done` is finished, one in `dropped` was
given up, and any other status means the work has started. A pull request starts when it is
opened and is done when it is merged; closed unmerged, it was dropped.

    started_at   the first time the item entered a started status
    done_at      the last time it entered the done category (from another one: Done →
                 Released does not move it), when that is where it still is
    cycle time   done_at − started_at, days (an item done without a start counts in
                 throughput but has no cycle time: nothing says when work began)
    WIP          items whose status at `as_of` is a started one; age = as_of − started_at

`as_of` is the newest status change or pull request event stored, not the clock, so the
same store gives the same answer on any day (as ktlo.periods does with effort). Asked for a
period by its label (`--period 2026-09`), `as_of` is that period's last moment (or the
newest event, if sooner) and every state is rebuilt from the status changes and pull
request events up to it: the work in progress, its age and the limits as they stood at the
period's end, the throughput and cycle time of the period itself. An item
belongs to the team whose `repositories` list its repository or project (`PAY`), as
allocation assigns items nobody in a team touched.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from ktlo.choices import PERIODS
from ktlo.config import Config
from ktlo.effort.allocation import NO_TEAM
from ktlo.errors import ConfigError
from ktlo.metrics.repository import period_label
from ktlo.periods import parse_label, period_end
from ktlo.planning.flow_document import FlowDocument, FlowGroup, FlowItem, FlowPeriod, FlowTeam
from ktlo.store import Store
from ktlo.store.temp_tables import require

WINDOW = {"week": "7 days", "month": "1 month", "quarter": "3 months"}
TREND_PERIODS = 12
_DAYS = "epoch({end} - {start}) / 86400"


def build_flow(store: Store, config: Config, as_of: datetime) -> None:
    """The temporary table `flow_items`: each issue and pull request with its team, verdict,
    state at `as_of` (`todo`, `started`, `done`, `dropped`), `started_at` and `done_at`."""
    statuses = config.flow.categories()
    owners = [(t.name, r) for t in config.teams for r in t.repositories]
    store.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE flow_items AS
        WITH category AS (SELECT unnest(?::VARCHAR[]) AS status, unnest(?::VARCHAR[]) AS category),
        owner AS (SELECT unnest(?::VARCHAR[]) AS team, unnest(?::VARCHAR[]) AS repo),
        moves AS (  -- an issue's status changes up to as_of, each as its category
            SELECT c.item_id, c.occurred_at,
                   CASE WHEN c.to_value IS NULL THEN 'todo' ELSE coalesce(k.category, 'started') END AS category
            FROM state_changes c JOIN work_items w USING (item_id)
            LEFT JOIN category k ON k.status = lower(trim(c.to_value))
            WHERE c.field = 'status' AND w.kind = 'issue' AND c.occurred_at <= ?
        ),
        entered AS (  -- a move into another category (Done → Released stays done)
            SELECT *, lag(category) OVER (PARTITION BY item_id ORDER BY occurred_at) AS before
            FROM moves
        ),
        issues AS (
            SELECT item_id, arg_max(category, occurred_at) AS state,
                   min(occurred_at) FILTER (WHERE category = 'started') AS started_at,
                   max(occurred_at) FILTER (WHERE category = 'done' AND before IS DISTINCT FROM 'done')
                       AS last_done
            FROM entered GROUP BY item_id
        ),
        pulls AS (
            SELECT item_id, created_at AS started_at,
                   CASE WHEN merged_at <= ? THEN 'done' WHEN closed_at <= ? THEN 'dropped'
                        ELSE 'started' END AS state,
                   CASE WHEN merged_at <= ? THEN merged_at END AS last_done
            FROM work_items WHERE kind = 'pull_request' AND created_at <= ?
        ),
        flows AS (
            SELECT item_id, state, started_at, CASE WHEN state = 'done' THEN last_done END AS done_at
            FROM (SELECT * FROM issues UNION ALL SELECT item_id, state, started_at, last_done FROM pulls)
        ),
        repos AS (SELECT DISTINCT repo_id FROM work_items WHERE repo_id IS NOT NULL),
        by_repo AS (  -- the first team (by name) listing a repository (or owner/name): the OR
                      -- compares each repository once, not every item, with the teams' lists
            SELECT r.repo_id AS name, min(o.team) AS team FROM repos r
            JOIN owner o ON r.repo_id = o.repo OR ends_with(r.repo_id, '/' || o.repo)
            GROUP BY r.repo_id
        ),
        by_project AS (SELECT repo AS name, min(team) AS team FROM owner GROUP BY repo)
        SELECT f.item_id, w.kind, w.external_id, w.title,
               coalesce(least(r.team, p.team), r.team, p.team, ?) AS team,
               v.investment, v.subcategory, f.state, f.started_at, f.done_at
        FROM flows f JOIN work_items w USING (item_id)
        JOIN effective_verdicts v USING (item_id)
        LEFT JOIN by_repo r ON r.name = w.repo_id
        LEFT JOIN by_project p ON p.name = w.project
        """,
        [
            list(statuses), list(statuses.values()), [t for t, _ in owners],
            [r for _, r in owners], as_of, as_of, as_of, as_of, as_of, NO_TEAM,
        ],
    )  # fmt: skip


def flow_as_of(store: Store) -> datetime | None:
    """The newest status change or pull request event stored: the flow's `now`."""
    row = store.con.execute(
        """
        SELECT greatest(
            (SELECT max(occurred_at) FROM state_changes WHERE field = 'status'),
            (SELECT max(greatest(created_at, coalesce(merged_at, created_at),
                                 coalesce(closed_at, created_at)))
             FROM work_items WHERE kind = 'pull_request'))
        """
    ).fetchone()
    return row[0] if row else None


def flow_report(
    store: Store, config: Config, team: str | None = None, period: str = "month"
) -> FlowDocument:
    """Cycle time, throughput and WIP per investment and subcategory, each team's KTLO WIP
    against its limit, and the items past their service-level expectation. `period` is a
    window's size up to the newest event (`month`), or a period's label (`2026-09`): the
    flow within it and the work in progress at its end."""
    size, start = _asked(period)
    newest = flow_as_of(store)
    if newest is None:
        label = period_label(start, size) if start else None
        return FlowDocument.model_validate(_empty(team, size, label))
    as_of = newest
    if start is not None:
        as_of = min(newest, datetime.combine(period_end(start, size), time(23, 59, 59)))
    build_flow(store, config, as_of)
    return flow_document(store, config, team, period, as_of, newest)


def flow_document(
    store: Store, config: Config, team: str | None, period: str, as_of: datetime,
    newest: datetime | None = None,
) -> FlowDocument:  # fmt: skip
    """`flow_report` over the `flow_items` that `build_flow` built as of `as_of` (the report
    builds them once for every team it shows); `newest` is the store's newest event."""
    require(store, "flow_items")
    size, start = _asked(period)
    label = period_label(start, size) if start else None
    if start is None:
        shifted = store.con.execute("SELECT ?::TIMESTAMP - ?::INTERVAL", [as_of, WINDOW[size]])
        window_start = shifted.fetchone()[0]  # type: ignore[index]
    else:
        window_start = datetime.combine(start, time())
    sle = config.flow.sle()
    where, scope = ("WHERE team = ?", [team]) if team else ("", [])
    teams = _teams(store, config, where, scope)
    late = _past_sle(store, sle, as_of, where, scope)
    doc = {
        **_empty(team, size, label),
        "as_of": as_of.isoformat(),
        "window_start": window_start.isoformat(),
        "groups": _groups(store, sle, as_of, window_start, where, scope),
        "teams": teams,
        "past_sle": late,
        "trend": _trend(store, size, as_of, where, scope),
        "reasons": _reasons(teams, late, _when(label, as_of, newest or as_of)),
    }
    return FlowDocument.model_validate(doc)


def _when(label: str | None, as_of: datetime, newest: datetime) -> str | None:
    """When the work in progress was counted, in words, for a period asked for by label."""
    if label is None:
        return None
    if as_of < newest:
        return f"at the end of {label}"
    return f"on {as_of:%Y-%m-%d} ({label} so far)"


def _asked(period: str) -> tuple[str, date | None]:
    """(the window's size, the first day of the period asked for by its label or None)."""
    if period in PERIODS:
        return period, None
    found = parse_label(period)
    if found is None:
        raise ConfigError(
            f"unknown period {period!r}",
            f"use {', '.join(PERIODS)}, or a period's label: 2026-09, 2026-W36, 2026-Q3",
        )
    return found


def _empty(team: str | None, period: str, label: str | None) -> dict[str, Any]:
    return {
        "schema": "ktlo.flow/v1", "team": team, "period": period, "at_period": label,
        "as_of": None, "window_start": None, "groups": [], "teams": [], "past_sle": [],
        "trend": [], "reasons": [],
    }  # fmt: skip


def _sle_table(sle: dict[str, float]) -> tuple[str, list[Any]]:
    """A CTE `sle(kind, days)` over the expectations, bound as lists."""
    return (
        "sle AS (SELECT unnest(?::VARCHAR[]) AS kind, unnest(?::DOUBLE[]) AS days)",
        [list(sle), list(sle.values())],
    )


def _groups(
    store: Store, sle: dict[str, float], as_of: datetime, window_start: datetime,
    where: str, scope: list[Any],
) -> list[FlowGroup]:  # fmt: skip
    require(store, "flow_items")
    cte, sle_params = _sle_table(sle)
    cycle = _DAYS.format(end="done_at", start="started_at")
    age = _DAYS.format(end="?::TIMESTAMP", start="started_at")
    rows = store.query(
        f"""
        WITH {cte},
        f AS (
            SELECT i.*, coalesce(s.days, si.days) AS sle_days,
                   i.done_at >= ? AND i.done_at <= ? AS finished, i.state = 'started' AS in_progress,
                   {cycle} AS cycle_days, {age} AS age_days
            FROM flow_items i LEFT JOIN sle s ON s.kind = i.subcategory
            LEFT JOIN sle si ON si.kind = i.investment
            {where}
        )
        SELECT investment, subcategory, any_value(sle_days) AS sle_days,
               count(*) FILTER (WHERE finished) AS throughput,
               count(cycle_days) FILTER (WHERE finished) AS cycle_items,
               quantile_cont(cycle_days, 0.5) FILTER (WHERE finished) AS cycle_median_days,
               quantile_cont(cycle_days, 0.85) FILTER (WHERE finished) AS cycle_p85_days,
               count(*) FILTER (WHERE in_progress) AS wip,
               quantile_cont(age_days, 0.5) FILTER (WHERE in_progress) AS wip_age_median_days,
               max(age_days) FILTER (WHERE in_progress) AS wip_oldest_days,
               count(*) FILTER (WHERE in_progress AND age_days > sle_days) AS past_sle,
               count(*) FILTER (WHERE finished AND cycle_days > sle_days) AS finished_late
        FROM f GROUP BY investment, subcategory
        HAVING count(*) FILTER (WHERE finished OR in_progress) > 0
        ORDER BY investment <> 'ktlo', investment, wip + throughput DESC, subcategory
        """,
        [*sle_params, window_start, as_of, as_of, *scope],
    )
    return [FlowGroup.model_validate(_rounded(row)) for row in rows]


def _teams(store: Store, config: Config, where: str, scope: list[Any]) -> list[FlowTeam]:
    """Each team's work in progress (every configured team, and `(no team)` when it has
    any), with its KTLO WIP limit."""
    limits = {t.name: t.ktlo_wip_limit for t in config.teams}
    counts = {
        row["team"]: row
        for row in store.query(
            f"""
            SELECT team, count(*) FILTER (WHERE investment = 'ktlo') AS ktlo_wip, count(*) AS wip
            FROM flow_items WHERE state = 'started' {where.replace("WHERE", "AND")} GROUP BY team
            """,
            scope,
        )
    }
    names = [n for n in limits if scope in ([], [n])] + [n for n in counts if n not in limits]
    teams = []
    for name in names:
        row, limit = counts.get(name, {}), limits.get(name)
        ktlo = int(row.get("ktlo_wip", 0))
        teams.append(
            FlowTeam(
                team=name,
                ktlo_wip=ktlo,
                wip=int(row.get("wip", 0)),
                ktlo_wip_limit=limit,
                over_limit=limit is not None and ktlo > limit,
            )  # fmt: skip
        )
    return teams


def _past_sle(
    store: Store, sle: dict[str, float], as_of: datetime, where: str, scope: list[Any]
) -> list[FlowItem]:
    cte, sle_params = _sle_table(sle)
    age = _DAYS.format(end="?::TIMESTAMP", start="started_at")
    rows = store.query(
        f"""
        WITH {cte},
        f AS (
            SELECT i.*, coalesce(s.days, si.days) AS sle_days, {age} AS age_days
            FROM flow_items i LEFT JOIN sle s ON s.kind = i.subcategory
            LEFT JOIN sle si ON si.kind = i.investment
            WHERE i.state = 'started' {where.replace("WHERE", "AND")}
        )
        SELECT item_id, external_id AS ref, title, team, investment, subcategory,
               started_at, age_days, sle_days
        FROM f WHERE age_days > sle_days ORDER BY age_days DESC, item_id
        """,
        [*sle_params, as_of, *scope],
    )
    return [
        FlowItem.model_validate(_rounded(row | {"started_at": row["started_at"].isoformat()}))
        for row in rows
    ]


def _trend(
    store: Store, period: str, as_of: datetime, where: str, scope: list[Any]
) -> list[FlowPeriod]:
    """Throughput per calendar period, the last TREND_PERIODS up to as_of (empty ones as 0)."""
    cycle = _DAYS.format(end="done_at", start="started_at")
    rows = store.query(
        f"""
        WITH spans AS (
            SELECT unnest(generate_series(date_trunc(?, ?::TIMESTAMP) - ?::INTERVAL,
                                          date_trunc(?, ?::TIMESTAMP), ?::INTERVAL))::DATE AS start
        ),
        done AS (
            SELECT date_trunc(?, done_at)::DATE AS start, investment, {cycle} AS cycle_days
            FROM flow_items WHERE state = 'done' {where.replace("WHERE", "AND")}
        )
        SELECT s.start, count(d.start) AS throughput,
               count(d.start) FILTER (WHERE d.investment = 'ktlo') AS ktlo_throughput,
               quantile_cont(d.cycle_days, 0.5) FILTER (WHERE d.investment = 'ktlo')
                   AS ktlo_cycle_median_days
        FROM spans s LEFT JOIN done d USING (start) GROUP BY s.start ORDER BY s.start
        """,
        [
            period, as_of, _span(period, TREND_PERIODS - 1), period, as_of, WINDOW[period],
            period, *scope,
        ],
    )  # fmt: skip
    return [
        FlowPeriod.model_validate(
            _rounded(
                row | {"period": period_label(row["start"], period), "start": str(row["start"])}
            )
        )
        for row in rows
    ]


def _span(period: str, count: int) -> str:
    """`count` periods as an interval: `11 months`, `77 days`, `33 months`."""
    if period == "week":
        return f"{7 * count} days"
    return f"{count * (3 if period == 'quarter' else 1)} months"


def _reasons(teams: list[FlowTeam], late: list[FlowItem], when: str | None) -> list[str]:
    """The sentences a lead acts on: each limit exceeded, then the items past their SLE;
    `when` says at what time (`at the end of 2026-09`) when it is not the newest event."""
    at = f" {when}" if when else ""
    reasons = [
        f"{t.team}: {t.ktlo_wip} KTLO items in progress{at}, over its limit of {t.ktlo_wip_limit}"
        for t in teams
        if t.over_limit
    ]
    if late:
        oldest = late[0]
        reasons.append(
            f"{len(late)} item{'s' if len(late) != 1 else ''} in progress past its service-level "
            f"expectation; the oldest, {oldest.ref}, has been in progress {oldest.age_days:g} days "
            f"(expected {oldest.sle_days:g})"
        )
    return reasons


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    """Days to one decimal; dates and times as ISO text."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float):
            value = round(value, 1)
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        out[key] = value
    return out
