"""The reports' base table and their filters.

    alloc_all         effort per person, day, item and team with the item's verdict,
                      built once from the whole history (ktlo.effort.allocation.build_allocation)
    report_people     people's display names
    report_identity   each name and email seen (lower case) -> the person it belongs to
    report_item_dirs  each commit's directories, with the part of its files in each (a
                      commit's effort is split over its files)
    report_alloc      a temporary view of alloc_all restricted to the filters' days,
                      repository and service; every section reads it
    report_filter     the filters' values (one row), bound as parameters, which the view reads

The dashboard builds `alloc_all` once per snapshot of the store and keeps it as a real
table, so each request only creates its own filtered view. Date filters select days of
effort computed over the whole history (an item carried across `since` keeps the days
after it), as `ktlo allocation --since` does (ktlo.effort.person_days): the same range
gives the same figures in both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ktlo.choices import PERIODS
from ktlo.config import Config
from ktlo.effort.allocation import NO_TEAM, build_allocation
from ktlo.errors import ConfigError, NotFoundError
from ktlo.periods import Coverage, coverage
from ktlo.store import Store

BASE_TABLE = "alloc_all"
PEOPLE_TABLE = "report_people"  # person id -> display name
IDENTITY_TABLE = "report_identity"  # alias -> person id
DIRS_TABLE = "report_item_dirs"  # item -> directory and the part of its files there


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """What a report or a dashboard page is restricted to; None means everything."""

    team: str | None = None
    period: str = "month"
    since: date | None = None
    until: date | None = None
    repo: str | None = None
    service: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}

    def query(self, **changes: Any) -> dict[str, str]:
        """The URL query string parameters for these filters (with `changes` applied)."""
        values = {**self.as_json(), **changes}
        return {
            k: str(v)
            for k, v in values.items()
            if v is not None and v != "" and (k, v) != ("period", "month")
        }


def prepare(store: Store, config: Config, *, persist: bool = False) -> None:
    """Build `alloc_all` from the whole history: a temp table, or a real one with `persist`."""
    build_allocation(store, config, None, None)
    kind = "TABLE" if persist else "TEMP TABLE"
    store.con.execute(f"DROP TABLE IF EXISTS temp.{BASE_TABLE}")
    if persist:
        store.con.execute(f"CREATE OR REPLACE TABLE {BASE_TABLE} AS SELECT * FROM temp.alloc")
        store.con.execute("DROP TABLE temp.alloc")
    else:
        store.con.execute(f"ALTER TABLE temp.alloc RENAME TO {BASE_TABLE}")
    store.con.execute(
        f"CREATE OR REPLACE {kind} {PEOPLE_TABLE} AS SELECT person, name FROM temp.person_info"
    )
    store.con.execute(
        f"CREATE OR REPLACE {kind} {IDENTITY_TABLE} AS SELECT alias, person FROM temp.identity"
    )
    store.con.execute(
        f"""
        CREATE OR REPLACE {kind} {DIRS_TABLE} AS
        WITH n AS (SELECT item_id, count(*) AS files FROM commit_files GROUP BY item_id)
        SELECT f.item_id, coalesce(nullif(parse_dirpath(f.path), ''), '.') AS directory,
               count(*) / any_value(n.files) AS part
        FROM commit_files f JOIN n USING (item_id) GROUP BY ALL
        """
    )


def apply_filters(store: Store, config: Config, filters: ReportFilters) -> None:
    """Check the filters against what is known, then create the temp view `report_alloc`.

    A view cannot take parameters, so the filters' values are bound into the one-row temp
    table `report_filter` the view reads; absent ones are NULL and filter nothing.
    """
    check_filters(store, config, filters)
    column, values = "repo_id", None
    if filters.service:
        repos, teams = service_scope(store, config, filters.service)
        column, values = ("repo_id", repos) if repos else ("team", teams)
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE report_filter AS SELECT ?::DATE AS since, "
        "?::DATE AS until, ?::VARCHAR AS repo, ?::VARCHAR[] AS scope",
        [filters.since, filters.until, filters.repo, values],
    )
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW report_alloc AS
        SELECT a.* FROM {BASE_TABLE} a, report_filter f
        WHERE (f.since IS NULL OR a.day >= f.since) AND (f.until IS NULL OR a.day < f.until)
          AND (f.repo IS NULL OR a.repo_id = f.repo)
          AND (f.scope IS NULL OR list_contains(f.scope, a.{column}))
        """
    )


def report_coverage(store: Store, filters: ReportFilters) -> Coverage:
    """The days the report's periods are complete or in progress on (ktlo.periods): from the
    oldest day of effort (or `since`) to the newest (or the last day before `until`).
    Store-wide, so that a quiet repository or service chosen as a filter does not make its
    last busy month look unfinished."""
    return coverage(store.con, BASE_TABLE, filters.since, filters.until)


def check_filters(store: Store, config: Config, filters: ReportFilters) -> None:
    """Unknown names become NotFoundError (a 404 on the dashboard), bad values ConfigError."""
    if filters.period not in PERIODS:
        raise ConfigError(f"unknown period {filters.period!r}", f"use one of {', '.join(PERIODS)}")
    if filters.since and filters.until and filters.since >= filters.until:
        raise ConfigError(
            f"since ({filters.since}) is not before until ({filters.until})", "swap or widen them"
        )
    if filters.team is not None and filters.team not in team_names(store, config):
        known = ", ".join(team_names(store, config)) or "none"
        raise NotFoundError(f"unknown team {filters.team!r}", f"known teams: {known}")
    if filters.repo is not None and filters.repo not in repositories(store):
        raise NotFoundError(
            f"unknown repository {filters.repo!r}", "pick one from the repository filter"
        )
    if filters.service is not None and filters.service not in services(store, config):
        raise NotFoundError(
            f"unknown service {filters.service!r}", "pick one from the service filter"
        )


def team_names(store: Store, config: Config) -> list[str]:
    """The configured teams, then `(no team)` when some effort belongs to none."""
    names = [t.name for t in config.teams]
    row = store.con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {BASE_TABLE} WHERE team = ? LIMIT 1)", [NO_TEAM]
    ).fetchone()
    if (row and row[0]) or not names:
        names.append(NO_TEAM)
    return names


def repositories(store: Store) -> list[str]:
    rows = store.con.execute(
        f"SELECT DISTINCT repo_id FROM {BASE_TABLE} WHERE repo_id IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def services(store: Store, config: Config) -> list[str]:
    """Services named by deployments, incidents, alerts or a team's `services`."""
    rows = store.con.execute(
        """
        SELECT service FROM deployments UNION SELECT service FROM incidents
        UNION SELECT service FROM alerts
        """
    ).fetchall()
    named = {r[0] for r in rows if r[0]} | {s for t in config.teams for s in t.services}
    return sorted(named)


def service_scope(store: Store, config: Config, service: str) -> tuple[list[str], list[str]]:
    """The repositories deploying `service`; failing those, the teams that own it."""
    repos = [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT repo_id FROM deployments WHERE service = ? AND repo_id IS NOT NULL",
            [service],
        ).fetchall()
    ]
    teams = [t.name for t in config.teams if service in t.services]
    return repos, teams
