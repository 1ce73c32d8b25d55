"""Dependency risk: freshness (libyears, versions behind) and known vulnerabilities.

Reads the inventory (`dependency_changes`), the registries' release dates
(`package_releases`) and OSV's advisories (`advisories`, `advisory_affects`) the store holds;
asks no network (ingest/dependency_risk.py refreshes them). Version order is per ecosystem
(metrics/versions.py), so the comparisons run here rather than in SQL. docs/dependencies.md
gives the formulas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from ktlo.config import Config
from ktlo.ingest.dependency_risk import CURRENT_SQL
from ktlo.metrics.dependency_risk_document import (
    FreshnessDocument,
    FreshnessTotals,
    PackageFreshness,
    RepositoryFreshness,
    TeamFreshness,
    TimeToPatchDocument,
    VulnerabilityDocument,
)
from ktlo.metrics.versions import is_prerelease, pseudo_version_time, version_key
from ktlo.metrics.vulnerabilities import vulnerability_sections
from ktlo.store import Store

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True)
class InUse:
    """A package version a repository uses now, and the files that set it."""

    repo_id: str
    ecosystem: str
    package: str
    version: str
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    version: str
    released_at: datetime | None
    yanked: bool


@dataclass(frozen=True, slots=True)
class DependencyRisk:
    """The three risk sections of `ktlo deps`, as of one day."""

    freshness: FreshnessDocument
    vulnerabilities: VulnerabilityDocument
    time_to_patch: TimeToPatchDocument


def dependency_risk(
    store: Store,
    config: Config,
    *,
    team: str | None = None,
    as_of: date | None = None,
    with_effort: bool = False,
) -> DependencyRisk:
    """Freshness, vulnerabilities and time to patch, for every repository or one team's;
    `with_effort` sums the person-days of the security work items linked to each patch (it
    computes the effort table, so it needs a store open for writing)."""
    as_of = as_of or date.today()
    repos = scoped_repositories(store, config, team)
    vulnerabilities, time_to_patch = vulnerability_sections(
        store,
        config,
        as_of,
        repos,
        current_use(store, repos, end_of(as_of)),
        (lambda items: item_effort(store, config, items)) if with_effort else None,
    )
    return DependencyRisk(freshness(store, config, as_of, repos), vulnerabilities, time_to_patch)


def item_effort(store: Store, config: Config, items: list[str]) -> dict[str, float]:
    """The person-days each item took over the whole history (docs/effort.md)."""
    from ktlo.effort.person_days import compute_effort

    compute_effort(store, config)
    rows = store.query(
        "SELECT item_id, sum(person_days) AS days FROM effort "
        "WHERE item_id IN (SELECT unnest(?)) GROUP BY item_id",
        [items],
    )
    return {r["item_id"]: float(r["days"]) for r in rows}


def teams_of(config: Config, repo_id: str) -> list[str]:
    """The teams that own a repository: listed in the team, or in one of its services."""
    out = []
    for team in config.teams:
        listed = [*team.repositories]
        for name in team.services:
            service = config.services.get(name)
            listed += service.repositories if service else []
        if any(repo_id == r or repo_id.endswith(f"/{r}") for r in listed):
            out.append(team.name)
    return out


def scoped_repositories(store: Store, config: Config, team: str | None) -> set[str] | None:
    """The repositories of `team` that have dependencies, or None for all of them."""
    if team is None:
        return None
    from ktlo.planning.team import find_team

    find_team(config, team)  # an unknown team is a ConfigError naming the known ones
    ids = [r["repo_id"] for r in store.query("SELECT DISTINCT repo_id FROM dependency_changes")]
    return {r for r in ids if team in teams_of(config, r)}


def current_use(store: Store, repos: set[str] | None, until: datetime) -> list[InUse]:
    """Every package version in use at `until`, one per repository and version, with its files."""
    paths: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    order = " ORDER BY repo_id, ecosystem, package, version, path"
    for row in store.query(CURRENT_SQL + order, [until]):
        if repos is None or row["repo_id"] in repos:
            key = (row["repo_id"], row["ecosystem"], row["package"], row["version"])
            paths[key].append(row["path"])
    return [InUse(*key, tuple(found)) for key, found in paths.items()]


def releases_of(
    store: Store, packages: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[ReleaseRow]]:
    """The stored releases of each (ecosystem, package) asked for (absent: never fetched)."""
    wanted = sorted(set(packages))
    out: dict[tuple[str, str], list[ReleaseRow]] = {}
    if not wanted:
        return out
    rows = store.query(
        """
        SELECT f.ecosystem, f.package, r.version, r.released_at, r.yanked
        FROM package_fetches f
        JOIN (SELECT unnest(?) AS ecosystem, unnest(?) AS package) w USING (ecosystem, package)
        LEFT JOIN package_releases r USING (ecosystem, package)
        """,
        [[e for e, _ in wanted], [p for _, p in wanted]],
    )
    for row in rows:
        found = out.setdefault((row["ecosystem"], row["package"]), [])
        if row["version"] is not None:
            found.append(ReleaseRow(row["version"], row["released_at"], bool(row["yanked"])))
    return out


def freshness(
    store: Store, config: Config, as_of: date, repos: set[str] | None = None
) -> FreshnessDocument:
    """Libyears and versions behind per repository and team."""
    until = end_of(as_of)
    use = current_use(store, repos, until)
    releases = {
        package: [r for r in found if r.released_at is None or r.released_at <= until]
        for package, found in releases_of(store, ((u.ecosystem, u.package) for u in use)).items()
    }  # releases after `as_of` were not there to upgrade to
    by_repo: dict[str, list[PackageFreshness]] = defaultdict(list)
    for item in use:
        by_repo[item.repo_id].append(
            package_freshness(item, releases.get((item.ecosystem, item.package)))
        )
    repositories = [
        RepositoryFreshness(
            repo_id=repo, teams=teams_of(config, repo), totals=_totals(found),
            packages=sorted(found, key=lambda p: (-(p.libyears or 0), p.ecosystem, p.package)),
        )
        for repo, found in by_repo.items()
    ]  # fmt: skip
    repositories.sort(key=lambda r: (-r.totals.libyears, r.repo_id))
    teams = [
        TeamFreshness(
            team=t.name,
            repositories=len(mine := [r for r in repositories if t.name in r.teams]),
            totals=_totals([p for r in mine for p in r.packages]),
        )
        for t in config.teams
        if any(t.name in r.teams for r in repositories)
    ]
    missing = sorted(
        {
            f"{u.ecosystem} {u.package}"
            for u in use
            if (u.ecosystem, u.package) not in releases or not releases[(u.ecosystem, u.package)]
        }
    )
    return FreshnessDocument(
        as_of=as_of.isoformat(),
        totals=_totals([p for r in repositories for p in r.packages]),
        repositories=repositories,
        teams=teams,
        not_dated=missing,
    )


def package_freshness(item: InUse, releases: list[ReleaseRow] | None) -> PackageFreshness:
    """One package version against its newest stable release."""
    eco = item.ecosystem
    current_key = version_key(eco, item.version)
    usable = [
        (key, r) for r in releases or []
        if not r.yanked and (key := version_key(eco, r.version)) is not None
    ]  # fmt: skip
    stable = [(k, r) for k, r in usable if not is_prerelease(eco, r.version)] or usable
    latest = max(stable, key=lambda kr: kr[0])[1] if stable else None
    mine = next((r for r in releases or [] if r.version == item.version), None)
    if mine is None and current_key is not None:
        mine = next((r for k, r in usable if k == current_key), None)
    if mine is None and eco == "Go" and (at := pseudo_version_time(item.version)) is not None:
        mine = ReleaseRow(item.version, at, False)  # a commit, dated by its pseudo-version
    behind = (
        None
        if current_key is None or latest is None
        else sum(1 for k, _ in stable if k > current_key)
    )
    libyears = None
    if latest and mine and latest.released_at and mine.released_at:
        latest_key = version_key(eco, latest.version)
        ahead = current_key is not None and latest_key is not None and current_key >= latest_key
        gap = (latest.released_at - mine.released_at).total_seconds() / 86400 / DAYS_PER_YEAR
        libyears = 0.0 if ahead else round(max(gap, 0.0), 4)
    return PackageFreshness(
        ecosystem=eco, package=item.package, version=item.version, paths=list(item.paths),
        latest=latest.version if latest else None,
        released_at=_iso(mine.released_at if mine else None),
        latest_released_at=_iso(latest.released_at if latest else None),
        libyears=libyears, versions_behind=behind,
    )  # fmt: skip


def _totals(packages: Sequence[PackageFreshness]) -> FreshnessTotals:
    return FreshnessTotals(
        packages=len(packages),
        dated=sum(1 for p in packages if p.libyears is not None),
        outdated=sum(1 for p in packages if (p.versions_behind or 0) > 0),
        libyears=round(sum(p.libyears or 0.0 for p in packages), 2),
        versions_behind=sum(p.versions_behind or 0 for p in packages),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def end_of(day: date) -> datetime:
    """The first moment after `day` (ages are measured to it)."""
    return datetime.combine(day, time.max)
