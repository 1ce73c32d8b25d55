"""What every health metric shares: the options, the scope, the windows, the shape of a figure.

A report covers `TREND_WINDOWS` consecutive windows of one period each, ending at `until`
(exclusive): window 0 is the current one, window 1 the one before it, and so on. Every
metric is computed per window in SQL (`GROUP BY idx` over the temporary table `h_windows`),
so a figure always comes with its previous value and its series.

The scope is the whole organisation, a team (its services and repositories from ktlo.toml)
or one service (and the repositories `[services.<name>]` gives it). It is resolved once into
the temporary tables `h_scope_service` and `h_repos`, which every metric joins.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from ktlo.config import Config, HealthSettings, ServiceSettings
from ktlo.errors import ConfigError
from ktlo.store import Store
from ktlo.store.temp_tables import require

PERIODS = ("week", "month", "quarter")
TREND_WINDOWS = 6
FLAT = 0.05  # a change of less than 5% reads as flat
# Seconds as an exact decimal: a sum of doubles depends on the order DuckDB's threads add
# them in, so a re-run could print 28.3 where the last printed 28.4.
SECONDS = "CAST(epoch({}) AS DECIMAL(18, 3))"
#: The [health] settings a metric's SQL may name as `$name` (ktlo.config.HealthSettings).
PATTERNS = ("environment", "deploy_workflow", "main_branch", "revert_pattern",
            "hotfix_pattern", "downtime_severity", "production_bug")  # fmt: skip
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True)
class HealthOptions:
    """What `ktlo health` was asked for."""

    team: str | None = None
    service: str | None = None
    period: str = "month"
    definition: str | None = None  # None: the [health] definition of ktlo.toml
    until: date | None = None  # exclusive; None: the day after the newest record
    mean: bool = False  # add means beside medians and p90s
    items: bool = False  # list, beside each DORA figure, the items it counted (`--explain`)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime  # exclusive

    def as_json(self) -> dict[str, str]:
        return {"start": self.start.date().isoformat(), "end": self.end.date().isoformat()}


@dataclass(slots=True)
class Reuse:
    """Tables that do not depend on the scope, built once and shared by several health
    documents over the same store and connection (KTLO mode asks one per team).

    Each shared table is built by the first document that needs it and recorded here with
    the `until` it was built for; a fresh Reuse (the default) builds everything anew.
    """

    built: dict[str, datetime] = field(default_factory=dict)  # table -> the `until` it is for


@dataclass(frozen=True)
class Context:
    """Everything a metric needs: the store, the settings and the resolved scope."""

    store: Store
    config: Config
    options: HealthOptions
    windows: tuple[Window, ...]
    scoped: bool  # False: the whole organisation
    services: tuple[str, ...]  # lower-case service names in scope (empty when not scoped)
    repositories: tuple[str, ...]  # repositories named in the scope's configuration
    reuse: Reuse = field(default_factory=Reuse)

    def build_once(self, name: str, sql: str) -> None:
        """Create the unscoped temporary table `name` from `sql` unless this Reuse already
        built it for the same `until`."""
        if self.reuse.built.get(name) != self.until:
            self.run(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            self.reuse.built[name] = self.until

    @property
    def settings(self) -> HealthSettings:
        return self.config.health

    @property
    def until(self) -> datetime:
        return self.windows[0].end

    @property
    def current(self) -> Window:
        return self.windows[0]

    def values(self) -> dict[str, Any]:
        """The values a metric's SQL names as `$name` (bound, never written into the text):
        `$until`, `$oldest` (the oldest window's start), `$start0`... and `$end0`... (each
        window's bounds, the newest first), the [health] patterns, the team and services."""
        settings = self.settings
        return {
            "until": self.until,
            "oldest": self.windows[-1].start,
            **{f"start{k}": w.start for k, w in enumerate(self.windows)},
            **{f"end{k}": w.end for k, w in enumerate(self.windows)},
            **{name: getattr(settings, name) for name in PATTERNS},
            "team": self.options.team,
            "services": list(self.services),
        }

    def rows(
        self, sql: str, params: Sequence[Any] | None = None, **values: Any
    ) -> list[dict[str, Any]]:
        """The rows of `sql`: `params` for its `?`, else the `$name`s it uses bound from
        `values()` and `values`."""
        return self.store.query(sql, params if params is not None else self.bound(sql, values))

    def run(self, sql: str, **values: Any) -> None:
        """Execute `sql`, its `$name`s bound as `rows` binds them."""
        self.store.con.execute(sql, self.bound(sql, values))

    def bound(self, sql: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The named parameters `sql` uses (DuckDB refuses any it does not), by name."""
        names = set(_PARAM.findall(sql))
        if not names:
            return {}
        known = {**self.values(), **(extra or {})}
        return {name: known[name] for name in names}


def shift(day: date, period: str, count: int) -> date:
    """`day` moved back `count` periods (a month back from 31 March is 28 or 29 February)."""
    if period == "week":
        return day - timedelta(days=7 * count)
    months = count * (3 if period == "quarter" else 1)
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def make_windows(until: date, period: str, count: int = TREND_WINDOWS) -> tuple[Window, ...]:
    """`count` windows of one period each, the newest first, the newest ending at `until`."""
    ends = [shift(until, period, k) for k in range(count + 1)]
    return tuple(Window(_midnight(ends[k + 1]), _midnight(ends[k])) for k in range(count))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def default_until(store: Store) -> date:
    """The day after the newest record of any kind: the report then ends with the data."""
    row = store.con.execute(
        """
        SELECT greatest(
            (SELECT max(coalesce(finished_at, created_at)) FROM deployments),
            (SELECT max(coalesce(resolved_at, created_at)) FROM incidents),
            (SELECT max(created_at) FROM alerts),
            (SELECT max(coalesce(finished_at, started_at, queued_at)) FROM builds),
            (SELECT max(greatest(created_at, closed_at, merged_at)) FROM work_items
              WHERE kind <> 'commit'))
        """
    ).fetchone()
    newest = row[0] if row else None
    return (newest.date() if newest else date.today()) + timedelta(days=1)


def make_context(
    store: Store, config: Config, options: HealthOptions, reuse: Reuse | None = None
) -> Context:
    """Check the options, resolve the scope and create the tables every metric joins."""
    if options.period not in PERIODS:
        raise ConfigError(f"unknown period {options.period!r}", f"use one of {', '.join(PERIODS)}")
    services, repos = _scope(config, options)
    until = options.until or default_until(store)
    ctx = Context(
        store, config, options, make_windows(until, options.period),
        scoped=bool(options.team or options.service), services=services, repositories=repos,
        reuse=reuse or Reuse(),
    )  # fmt: skip
    check_patterns(store, config.health)
    _create_windows(ctx)
    _create_scope(ctx)
    return ctx


def _scope(config: Config, options: HealthOptions) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if options.team and options.service:
        raise ConfigError("give --team or --service, not both", "drop one of them")
    if options.team:
        team = next((t for t in config.teams if t.name == options.team), None)
        if team is None:
            known = ", ".join(t.name for t in config.teams) or "none configured"
            raise ConfigError(f"unknown team {options.team!r}", f"teams in ktlo.toml: {known}")
        repos = [*team.repositories]
        for name in team.services:
            repos += config.services.get(name, ServiceSettings()).repositories
        return tuple(s.lower() for s in team.services), tuple(repos)
    if options.service:
        service = config.services.get(options.service, ServiceSettings())
        return (options.service.lower(),), tuple(service.repositories)
    return (), ()


def check_patterns(store: Store, settings: HealthSettings) -> None:
    """Every pattern must compile in DuckDB's regular expressions (RE2) too."""
    for name in PATTERNS:
        pattern = getattr(settings, name)
        if pattern is None:
            continue
        try:
            store.con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchone()
        except duckdb.Error:
            raise ConfigError(
                f"health.{name}: {pattern!r} is not supported by DuckDB's regular expressions",
                "avoid look-arounds and back-references (RE2 syntax)",
            ) from None


def _create_windows(ctx: Context) -> None:
    ctx.run(
        "CREATE OR REPLACE TEMP TABLE h_windows (idx INTEGER, w_start TIMESTAMP, w_end TIMESTAMP)"
    )
    ctx.store.insert(
        "h_windows",
        ["idx", "w_start", "w_end"],
        [(k, w.start, w.end) for k, w in enumerate(ctx.windows)],
    )


def _create_scope(ctx: Context) -> None:
    """`h_scope_service(service)`, and `h_repos`: every repository with its service and settings."""
    ctx.run("CREATE OR REPLACE TEMP TABLE h_scope_service (service VARCHAR)")
    ctx.store.insert("h_scope_service", ["service"], [(s,) for s in ctx.services])
    ctx.run("CREATE OR REPLACE TEMP TABLE h_config_repo (key VARCHAR, kind VARCHAR, value VARCHAR)")
    rows: list[tuple[str, str, str | None]] = [(r, "scope", None) for r in ctx.repositories]
    rows += [
        (r, "service", name.lower())
        for name, s in ctx.config.services.items()
        for r in s.repositories
    ]
    rows += [(r, "mode", s.deployments) for r, s in ctx.settings.repositories.items()]
    rows += [(r, "branch", s.branch) for r, s in ctx.settings.repositories.items() if s.branch]
    ctx.store.insert("h_config_repo", ["key", "kind", "value"], rows)
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_repos AS
        WITH ids AS (
            SELECT DISTINCT repo_id FROM (
                SELECT repo_id FROM deployments UNION ALL SELECT repo_id FROM builds
                UNION ALL SELECT repo_id FROM work_items UNION ALL SELECT repo_id FROM repositories)
            WHERE repo_id IS NOT NULL
        ),
        matched AS (
            SELECT i.repo_id, c.kind, c.value
            FROM ids i JOIN h_config_repo c ON i.repo_id = c.key OR ends_with(i.repo_id, '/' || c.key)
        )
        SELECT i.repo_id,
               min(m.value) FILTER (WHERE m.kind = 'service') AS mapped_service,
               coalesce(mapped_service, lower(regexp_extract(i.repo_id, '[^/]+$'))) AS service,
               coalesce(min(m.value) FILTER (WHERE m.kind = 'mode'), 'auto') AS mode,
               min(m.value) FILTER (WHERE m.kind = 'branch') AS branch,
               {"TRUE" if not ctx.scoped else
                "coalesce(bool_or(m.kind = 'scope'), FALSE) OR service IN (SELECT service FROM h_scope_service)"
                } AS in_scope
        FROM ids i LEFT JOIN matched m USING (repo_id)
        GROUP BY i.repo_id
        """
    )  # fmt: skip


def in_scope(ctx: Context, service: str | None = None, repo: str | None = None) -> str:
    """A SQL condition: the row's lower-case `service` or its `repo` column is in scope."""
    if not ctx.scoped:
        return "TRUE"
    parts = []
    if service:
        parts.append(f"{service} IN (SELECT service FROM h_scope_service)")
    if repo:
        parts.append(f"{repo} IN (SELECT repo_id FROM h_repos WHERE in_scope)")
    return "(" + " OR ".join(parts or ["FALSE"]) + ")"


def window_of(ctx: Context, column: str) -> str:
    """A SQL expression: the index of the window `column` falls in (NULL outside them all).

    Windows are contiguous, so a CASE over their starts; cheaper than a range join.
    """
    return window_index_sql(column, len(ctx.windows), "TIMESTAMP")


def window_index_sql(column: str, windows: int, kind: str) -> str:
    """The CASE of `window_of` over `windows` windows, of type `kind` (TIMESTAMP or DATE):
    the parameters `$start0`... (the newest first) and `$until` (exclusive) bound by the caller."""
    whens = " ".join(f"WHEN {column} >= $start{k}::{kind} THEN {k}" for k in range(windows))
    return f"CASE WHEN {column} < $until::{kind} THEN CASE {whens} END END"


def has_deployments(ctx: Context) -> bool:
    """Whether the scope has any deployment at all: without one, frequency is "no data", not 0."""
    require(ctx.store, "h_deploys")
    return bool(ctx.rows("SELECT count(*) AS n FROM h_deploys")[0]["n"])


def stats_sql(expr: str, mean: bool, prefix: str = "", where: str | None = None) -> str:
    """Median and p90 (and mean) of `expr` as columns `<prefix>median`, `<prefix>p90`, ..."""
    only = f" FILTER (WHERE {where})" if where else ""
    cols = [
        f"quantile_cont(({expr})::DOUBLE, 0.5){only} AS {prefix}median",
        f"quantile_cont(({expr})::DOUBLE, 0.9){only} AS {prefix}p90",
    ]
    if mean:
        cols.append(f"avg(({expr})::DOUBLE){only} AS {prefix}mean")
    return ", ".join(cols)


def per_window(
    rows: Iterable[dict[str, Any]], ctx: Context, column: str, empty: Any = None
) -> list[Any]:
    """One value per window (index 0 = current) from rows carrying `idx`."""
    values = [empty] * len(ctx.windows)
    for row in rows:
        if row.get(column) is not None:
            values[row["idx"]] = row[column]
    return values


def rounded(value: Any, digits: int = 2) -> Any:
    """A float rounded to `digits`; anything else as it is."""
    return round(value, digits) if isinstance(value, float) else value


def figure(
    series: Sequence[Any],
    unit: str,
    better: str | None,
    digits: int = 2,
    **extra: Any,
) -> dict[str, Any]:
    """A number beside its previous value, trend and series (oldest first).

    `better` is "up", "down" or None (neither direction is good or bad).
    """
    values = [rounded(v, digits) for v in series]
    value = values[0] if values else None
    previous = values[1] if len(values) > 1 else None
    direction = trend(value, previous)
    improving = None
    if better and direction in ("up", "down"):
        improving = direction == better
    return {"value": value, "unit": unit, "previous": previous, "trend": direction,
            "improving": improving, "series": values[::-1], **extra}  # fmt: skip


def trend(value: float | None, previous: float | None) -> str:
    """up, down, flat (within 5%) or unknown."""
    if value is None or previous is None:
        return "unknown"
    if value == previous or abs(value - previous) <= FLAT * max(abs(previous), 1e-9):
        return "flat"
    return "up" if value > previous else "down"


def ratio(part: float | None, whole: float | None, digits: int = 4) -> float | None:
    """part / whole, rounded; None when there is no whole."""
    if not whole:
        return None
    return round((part or 0) / whole, digits)
