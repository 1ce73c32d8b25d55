"""`ktlo analyze`: KTLO share, subcategories, trend, budget, hotspots and people — all SQL.

Shares are of effort (person-days, docs/effort.md), with the share of commits and of
changed lines (added + deleted) beside them. Merge commits and shallow-clone boundary
commits are excluded: their changes are counted on the commits they bring in. Every KTLO
share is corrected for the verdicts' measured error and has a 90% interval
(ktlo.effort.error_bars); the counts beside it (`ktlo_commits`, `ktlo_person_days`) are of verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from ktlo.choices import PERIODS
from ktlo.classify.taxonomy import KTLO_SUBCATEGORIES, NEW_WORK_SUBCATEGORIES
from ktlo.config import Config
from ktlo.effort.error_bars import (
    ITEM_DAYS_SQL,
    ErrorRates,
    Estimate,
    Parts,
    Rates,
    estimate,
    measured_rates,
    parts_sql,
    share_json,
)
from ktlo.effort.person_days import compute_effort
from ktlo.errors import ConfigError
from ktlo.ingest.folders import create_folder_scope, folder_rows
from ktlo.metrics.analyze_document import (
    AnalyzeDocument,
    Bot,
    BudgetStatus,
    DirectoryHotspot,
    FileHotspot,
    Folder,
    Hotspots,
    Other,
    Period,
    Person,
    Repository,
    RepositoryFigures,
    Share,
    Shares,
    Subcategory,
    Totals,
    Trend,
)
from ktlo.store import Store

JSON_SCHEMA = "ktlo.analyze/v2"
H = TypeVar("H", DirectoryHotspot, FileHotspot)
TREND_WINDOW = {"week": 4, "month": 3, "quarter": 1}
TREND_FLAT_POINTS = 0.02  # a change of less than 2 points of share reads as flat


@dataclass(frozen=True, slots=True)
class Budget:
    """The KTLO share a team aims to stay within."""

    low: float = 0.20
    high: float = 0.40

    def status(
        self, share: float | None, low: float | None = None, high: float | None = None
    ) -> str:
        """Where `share` lies against the band. With its interval (`low`, `high`): `over`
        only when the whole interval is above the band, `likely over` when the share is
        but the interval reaches into it; `under` and `likely under` alike."""
        if share is None:
            return "unknown"
        if share < self.low:
            return "likely under" if high is not None and high >= self.low else "under"
        if share > self.high:
            return "likely over" if low is not None and low <= self.high else "over"
        return "inside"

    def status_of(self, found: Estimate | None) -> str:
        """The status of an estimate, read with its interval."""
        return "unknown" if found is None else self.status(found.share, found.low, found.high)


@dataclass(frozen=True, slots=True)
class AnalyzeOptions:
    """What to analyze: one repository (`repo_id`), several (`repositories`), or, with
    neither, every repository in the store."""

    repo_id: str | None = None
    since: date | None = None
    until: date | None = None
    period: str = "month"
    budget: Budget = field(default_factory=Budget)
    top: int = 10
    repositories: tuple[str, ...] = ()
    folders: tuple[tuple[str, str], ...] = ()  # (repo_id, folder): those repositories only there

    @property
    def repo_ids(self) -> tuple[str, ...]:
        return (self.repo_id,) if self.repo_id else self.repositories


def analyze(store: Store, options: AnalyzeOptions, config: Config | None = None) -> AnalyzeDocument:
    """The whole `ktlo analyze` document (see docs/analyze-json.md)."""
    if options.period not in PERIODS:
        raise ConfigError(f"unknown period {options.period!r}", f"use one of {', '.join(PERIODS)}")
    row = store.con.execute("SELECT count(*) FROM commits").fetchone()
    with store.one_thread_when_small(row[0] if row else 0):
        _create_scope(store, options)
        compute_effort(store, config or Config(), options.since, options.until)
        store.con.execute(
            "CREATE OR REPLACE TEMP TABLE scope_effort AS "
            "SELECT s.*, e.person, e.day, e.person_days, "
            "coalesce(d.item_days, e.person_days) AS item_days "  # for the error bars
            f"FROM effort e JOIN scope s USING (item_id) LEFT JOIN {ITEM_DAYS_SQL} d USING (item_id)"
        )
        return _document(store, options)


def _document(store: Store, options: AnalyzeOptions) -> AnalyzeDocument:
    """The document, from the scope and scope_effort tables `analyze` built."""
    ids = options.repo_ids
    rates = measured_rates(store)
    totals = _totals(store)
    periods, parts = _periods(store, options.period, rates)
    trend = _trend(periods, parts, options.period, rates)
    return AnalyzeDocument(
        schema=JSON_SCHEMA,
        repository=_repository(store, ids[0]) if len(ids) == 1 else None,
        repositories=_per_repository(store, rates),
        since=_iso(options.since),
        until=_iso(options.until),
        period=options.period,
        basis="effort",
        totals=totals,
        shares=_shares(store, totals, rates),
        error_rates=ErrorRates.of(rates),
        subcategories=_subcategories(store, totals),
        periods=periods,
        trend=trend,
        budget=BudgetStatus(
            low=options.budget.low,
            high=options.budget.high,
            window_periods=trend.window_periods,
            share=trend.recent_share,
            share_low=trend.recent_share_low,
            share_high=trend.recent_share_high,
            status=options.budget.status(
                trend.recent_share, trend.recent_share_low, trend.recent_share_high
            ),
        ),
        hotspots=Hotspots(
            directories=_hotspots(store, DirectoryHotspot, options.top),
            files=_hotspots(store, FileHotspot, options.top),
        ),
        people=_people(store, options.top),
        bots=_bots(store),
        other=_other(store),
        folders=[Folder(**f) for f in folder_rows(options.folders)],
    )


def _create_scope(store: Store, options: AnalyzeOptions) -> None:
    """A temporary table of the commits in scope, each with its verdict and size."""
    bounds = [(op, day) for op, day in ((">=", options.since), ("<", options.until)) if day]
    dates = "".join(f" AND c.authored_at {op} ?::DATE" for op, _ in bounds)
    days = [day for _, day in bounds]
    store.con.execute("CREATE OR REPLACE TEMP TABLE scope_repos (repo_id VARCHAR)")
    if options.repo_ids:
        store.insert("scope_repos", ["repo_id"], [(r,) for r in dict.fromkeys(options.repo_ids)])
    else:
        store.con.execute("INSERT INTO scope_repos SELECT repo_id FROM repositories")
    create_folder_scope(store, options.folders)  # docs: ktlo.ingest.folders
    in_scope = (
        "c.repo_id IN (SELECT repo_id FROM scope_repos) "
        "AND c.repo_id NOT IN (SELECT repo_id FROM scope_folders)"
    )
    store.con.execute(  # a table, not a view: a view cannot take parameters
        "CREATE OR REPLACE TEMP TABLE scope_merges AS SELECT c.item_id FROM commits c "
        f"WHERE {in_scope} AND c.is_merge{dates}",
        days,
    )
    columns = (
        "c.item_id, c.repo_id, c.sha, c.authored_at, w.title, w.author_name, w.author_email, "
        "w.is_bot, v.investment, v.subcategory, v.confidence, v.reasons, "
        "v.predicted, v.overridden AS answered"
    )
    joins = "JOIN work_items w USING (item_id) JOIN effective_verdicts v USING (item_id)"
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE scope AS
        SELECT {columns}, c.lines_added + c.lines_deleted AS lines
        FROM commits c {joins}
        WHERE {in_scope} AND NOT c.is_merge AND NOT c.is_boundary{dates}
        UNION ALL
        SELECT {columns}, f.lines
        FROM (SELECT item_id, sum(coalesce(added, 0) + coalesce(deleted, 0)) AS lines
              FROM scope_folder_files GROUP BY item_id) f
        JOIN commits c USING (item_id) {joins}
        WHERE NOT c.is_merge AND NOT c.is_boundary{dates}
        """,
        days * 2,
    )
    store.con.execute(
        """
        CREATE OR REPLACE TEMP VIEW scope_files AS
        SELECT item_id, path, added, deleted FROM commit_files ANTI JOIN scope_folder_files USING (item_id)
        UNION ALL
        SELECT item_id, path, added, deleted FROM scope_folder_files
        """
    )


def _totals(store: Store) -> Totals:
    row = store.query(
        """
        SELECT count(*) AS commits, coalesce(sum(lines), 0) AS lines,
               min(authored_at) AS first_commit_at, max(authored_at) AS last_commit_at,
               count(DISTINCT author_name) FILTER (WHERE NOT is_bot) AS authors
        FROM scope
        """
    )[0]
    row["person_days"] = round(
        store.query("SELECT coalesce(sum(person_days), 0) AS d FROM scope_effort")[0]["d"], 2
    )
    row["merges_excluded"] = store.query("SELECT count(*) AS n FROM scope_merges")[0]["n"]
    row["first_commit_at"] = _iso(row["first_commit_at"])
    row["last_commit_at"] = _iso(row["last_commit_at"])
    return Totals(**row)


def _shares(store: Store, totals: Totals, rates: Rates) -> Shares:
    """Per basis: the corrected KTLO share with its interval and the answers behind it, and
    the shares of verdicts (`ktlo_verdicts`, `new_work`, `other`)."""
    counts = f"SELECT {parts_sql('1', 'c_')}, {parts_sql('lines', 'l_')} FROM scope"
    effort = f"SELECT {parts_sql('person_days', whole='item_days')} FROM scope_effort"
    counted, spent = store.query(counts)[0], store.query(effort)[0]
    found = {
        "effort": estimate(Parts.of(spent), rates),
        "commits": estimate(Parts.of(counted, "c_"), rates),
        "lines": estimate(Parts.of(counted, "l_"), rates),
    }
    rows = store.query(
        "SELECT investment, count(*) AS commits, coalesce(sum(lines), 0) AS lines "
        "FROM scope GROUP BY investment"
    )
    days = store.query(
        "SELECT investment, sum(person_days) AS person_days FROM scope_effort GROUP BY investment"
    )
    by = {r["investment"]: r for r in rows}
    for r in days:
        by.setdefault(r["investment"], {})["person_days"] = r["person_days"]
    result: dict[str, Share] = {}
    for name, basis in (("effort", "person_days"), ("commits", "commits"), ("lines", "lines")):
        share = {
            inv: _ratio(by.get(inv, {}).get(basis, 0), getattr(totals, basis))
            for inv in ("ktlo", "new_work", "other")
        }
        est = found[name]
        result[name] = Share(
            ktlo=est.share if est else None,
            ktlo_low=est.low if est else None,
            ktlo_high=est.high if est else None,
            verified=rates.verified,
            ktlo_verdicts=share["ktlo"],
            new_work=share["new_work"],
            other=share["other"],
        )
    return Shares(**result)


def _subcategories(store: Store, totals: Totals) -> list[Subcategory]:
    rows = store.query(
        "SELECT investment, subcategory, count(*) AS commits, coalesce(sum(lines), 0) AS lines "
        "FROM scope WHERE subcategory IS NOT NULL GROUP BY ALL"
    )
    days = dict(
        store.con.execute(
            "SELECT subcategory, sum(person_days) FROM scope_effort WHERE subcategory IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    found = {r["subcategory"]: r for r in rows}
    result = []
    for sub in (*KTLO_SUBCATEGORIES, *NEW_WORK_SUBCATEGORIES):
        row = found.get(sub, {"commits": 0, "lines": 0})
        result.append(
            Subcategory(
                investment="ktlo" if sub in KTLO_SUBCATEGORIES else "new_work",
                subcategory=sub,
                person_days=round(days.get(sub, 0.0), 2),
                effort_share=_ratio(days.get(sub, 0.0), totals.person_days),
                commits=row["commits"],
                commit_share=_ratio(row["commits"], totals.commits),
                lines=row["lines"],
                line_share=_ratio(row["lines"], totals.lines),
            )
        )
    return result


def _periods(
    store: Store, period: str, rates: Rates
) -> tuple[list[Period], list[tuple[Parts, Parts]]]:
    """Each period's figures, and the parts of its effort and commit shares (which the
    trend pools)."""
    rows = store.query(
        f"""
        SELECT date_trunc('{period}', authored_at)::DATE AS start, {parts_sql("1", "c_")},
               {parts_sql("lines", "l_")},
               count(*) AS commits,
               count(*) FILTER (WHERE investment = 'ktlo') AS ktlo_commits,
               count(*) FILTER (WHERE investment = 'new_work') AS new_work_commits,
               count(*) FILTER (WHERE investment = 'other') AS other_commits,
               coalesce(sum(lines), 0) AS lines,
               coalesce(sum(lines) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_lines
        FROM scope GROUP BY start ORDER BY start
        """
    )
    subs = store.query(
        f"""
        SELECT date_trunc('{period}', authored_at)::DATE AS start, subcategory, count(*) AS n
        FROM scope WHERE subcategory IS NOT NULL GROUP BY ALL
        """
    )
    effort = {
        r["start"]: r
        for r in store.query(
            f"""
            SELECT date_trunc('{period}', day)::DATE AS start, sum(person_days) AS person_days,
                   coalesce(sum(person_days) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_person_days,
                   {parts_sql("person_days", whole="item_days")}
            FROM scope_effort GROUP BY start
            """
        )
    }
    by_start: dict[date, dict[str, int]] = {}
    for s in subs:
        by_start.setdefault(s["start"], {})[s["subcategory"]] = s["n"]
    result: list[Period] = []
    parts = []
    for found in rows:
        start = found["start"]
        days = effort.get(start, {"person_days": 0.0, "ktlo_person_days": 0.0})
        spent = Parts.of(days)
        counted = Parts.of(found, "c_")
        commits, lines = estimate(counted, rates), estimate(Parts.of(found, "l_"), rates)
        row = {k: v for k, v in found.items() if k != "start" and not k.startswith(("c_", "l_"))}
        row["period"] = period_label(start, period)
        row["start"] = start.isoformat()
        row["person_days"] = round(days["person_days"], 2)
        row["ktlo_person_days"] = round(days["ktlo_person_days"], 2)
        row.update(share_json(estimate(spent, rates)))
        row["ktlo_share_commits"] = commits.share if commits else None
        row["ktlo_share_lines"] = lines.share if lines else None
        row["by_subcategory"] = _most_first(by_start.get(start, {}))
        result.append(Period(**row))
        parts.append((spent, counted))
    return result, parts


def _trend(
    periods: list[Period], parts: list[tuple[Parts, Parts]], period: str, rates: Rates
) -> Trend:
    """KTLO share of effort over the last `window` periods against the `window` before them,
    each pooled over its periods, then corrected."""
    window = TREND_WINDOW[period]
    recent = estimate(sum((p[0] for p in parts[-window:]), Parts()), rates)
    previous = estimate(sum((p[0] for p in parts[-2 * window : -window]), Parts()), rates)
    commits = estimate(sum((p[1] for p in parts[-window:]), Parts()), rates)
    recent_share = recent.share if recent else None
    previous_share = previous.share if previous else None
    by_commits = commits.share if commits else None
    direction = "unknown"
    if recent_share is not None and previous_share is not None:
        delta = recent_share - previous_share
        direction = "flat" if abs(delta) < TREND_FLAT_POINTS else ("up" if delta > 0 else "down")
    return Trend(
        window_periods=window,
        recent_share=recent_share,
        recent_share_low=recent.low if recent else None,
        recent_share_high=recent.high if recent else None,
        previous_share=previous_share,
        recent_share_commits=by_commits,
        direction=direction,
        series=[p.ktlo_share for p in periods],
    )


def _hotspots(store: Store, kind: type[H], top: int) -> list[H]:
    """Where KTLO change concentrates: KTLO lines and commits per directory or file of each
    repository (`.` is a repository's root, or the folder's an analysis covers)."""
    level = "directory" if kind is DirectoryHotspot else "file"
    place = "coalesce(nullif(parse_dirpath(f.path), ''), '.')" if level == "directory" else "f.path"
    rows = store.query(
        f"""
        WITH touched AS (  -- one row per place and commit
            SELECT s.repo_id, {place} AS place, s.item_id, any_value(s.investment) AS investment,
                   any_value(s.subcategory) AS subcategory,
                   sum(coalesce(f.added, 0) + coalesce(f.deleted, 0)) AS lines
            FROM scope s JOIN scope_files f USING (item_id)
            GROUP BY s.repo_id, place, s.item_id
        ),
        ktlo_total AS (SELECT sum(lines) AS lines FROM touched WHERE investment = 'ktlo')
        SELECT repo_id, place,
               count(*) FILTER (WHERE investment = 'ktlo') AS ktlo_commits,
               count(*) AS commits,
               coalesce(sum(lines) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_lines,
               coalesce(sum(lines) FILTER (WHERE investment = 'ktlo'), 0)
                   / nullif(any_value((SELECT lines FROM ktlo_total)), 0) AS share_of_ktlo_lines,
               histogram(subcategory) FILTER (WHERE investment = 'ktlo') AS by_subcategory
        FROM touched GROUP BY repo_id, place
        HAVING count(*) FILTER (WHERE investment = 'ktlo') > 0
        ORDER BY ktlo_commits DESC, ktlo_lines DESC, repo_id, place LIMIT {int(top)}
        """
    )
    for row in rows:
        row[level] = row.pop("place")
        row["ktlo_ratio"] = _ratio(row["ktlo_commits"], row["commits"])
        row["share_of_ktlo_lines"] = _round(row["share_of_ktlo_lines"])
        row["by_subcategory"] = _most_first(row["by_subcategory"] or {})
    return [kind(**row) for row in rows]


def _people(store: Store, top: int) -> list[Person]:
    """Who carries the KTLO: KTLO person-days per person (names merged, bots excluded)."""
    rows = store.query(
        f"""
        SELECT person,
               round(sum(person_days) FILTER (WHERE investment = 'ktlo'), 2) AS ktlo_person_days,
               round(sum(person_days), 2) AS person_days,
               count(DISTINCT item_id) FILTER (WHERE investment = 'ktlo') AS ktlo_commits,
               count(DISTINCT item_id) AS commits
        FROM scope_effort GROUP BY person
        HAVING sum(person_days) FILTER (WHERE investment = 'ktlo') > 0
        ORDER BY ktlo_person_days DESC, person LIMIT {int(top)}
        """
    )
    all_ktlo = store.query(
        "SELECT sum(person_days) AS d FROM scope_effort WHERE investment = 'ktlo'"
    )[0]["d"]
    kinds = store.query(
        "SELECT person, subcategory, count(DISTINCT item_id) AS n FROM scope_effort "
        "WHERE investment = 'ktlo' GROUP BY ALL"
    )
    by_person: dict[str, dict[str, int]] = {}
    for k in kinds:
        by_person.setdefault(k["person"], {})[k["subcategory"]] = k["n"]
    for row in rows:
        row["share_of_ktlo"] = _ratio(row["ktlo_person_days"], all_ktlo)
        row["ktlo_ratio"] = _ratio(row["ktlo_person_days"], row["person_days"])
        row["by_subcategory"] = _most_first(by_person.get(row["person"], {}))
    return [Person(**row) for row in rows]


def _bots(store: Store) -> list[Bot]:
    rows = store.query(
        """
        SELECT author_name AS bot, count(*) AS commits, histogram(subcategory) AS by_subcategory
        FROM scope WHERE is_bot GROUP BY author_name ORDER BY commits DESC, bot
        """
    )
    return [Bot(**row) for row in rows]


def _other(store: Store) -> Other:
    rows = store.query(
        """
        SELECT reasons[1] AS reason, count(*) AS commits,
               arg_max(title, (authored_at, item_id)) AS example  -- the latest: the same each run
        FROM scope WHERE investment = 'other' GROUP BY reason ORDER BY commits DESC, reason
        """
    )
    return Other.model_validate({"commits": sum(r["commits"] for r in rows), "reasons": rows})


def _per_repository(store: Store, rates: Rates) -> list[RepositoryFigures]:
    """Each repository in scope: its commits, effort and KTLO share, most effort first."""
    rows = store.query(
        f"""
        WITH c AS (
            SELECT repo_id, count(*) AS commits, coalesce(sum(lines), 0) AS lines,
                   count(*) FILTER (WHERE investment = 'ktlo') AS ktlo_commits,
                   max(authored_at) AS last_commit_at, {parts_sql("1", "c_")}
            FROM scope GROUP BY repo_id
        ),
        e AS (
            SELECT repo_id, sum(person_days) AS person_days,
                   coalesce(sum(person_days) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_days,
                   {parts_sql("person_days", "e_", "item_days")}
            FROM scope_effort GROUP BY repo_id
        )
        SELECT s.repo_id, r.name, r.path, coalesce(c.commits, 0) AS commits,
               coalesce(c.lines, 0) AS lines, coalesce(c.ktlo_commits, 0) AS ktlo_commits,
               coalesce(e.person_days, 0) AS person_days,
               coalesce(e.ktlo_days, 0) AS ktlo_person_days, c.last_commit_at,
               COLUMNS('^[ce]_')
        FROM (SELECT DISTINCT repo_id FROM scope_repos) s
        LEFT JOIN repositories r USING (repo_id)
        LEFT JOIN c USING (repo_id)
        LEFT JOIN e USING (repo_id)
        ORDER BY person_days DESC, commits DESC, s.repo_id
        """
    )
    result = []
    for found in rows:
        row = {k: v for k, v in found.items() if not k.startswith(("c_", "e_"))}
        row["person_days"] = round(row["person_days"], 2)
        row["ktlo_person_days"] = round(row["ktlo_person_days"], 2)
        row.update(share_json(estimate(Parts.of(found, "e_"), rates)))
        commits = estimate(Parts.of(found, "c_"), rates)
        row["ktlo_share_commits"] = commits.share if commits else None
        row.pop("ktlo_commits")
        row["last_commit_at"] = _iso(row["last_commit_at"])
        result.append(RepositoryFigures(**row))
    return result


def _repository(store: Store, repo_id: str) -> Repository:
    rows = store.query(
        "SELECT repo_id, name, path, remote_url, is_bare, is_shallow FROM repositories "
        "WHERE repo_id = ?",
        [repo_id],
    )
    return Repository(**rows[0]) if rows else Repository(repo_id=repo_id)


def period_label(start: date, period: str) -> str:
    """`2026-01` for a month, `2026-W03` for an ISO week, `2026-Q1` for a quarter."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _ratio(part: float | int | None, whole: float | int | None) -> float | None:
    if not whole:
        return None
    return round((part or 0) / whole, 4)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    """Counts by name, largest first, ties by name (the same order on every run)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
