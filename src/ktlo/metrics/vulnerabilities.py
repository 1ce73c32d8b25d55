"""Known vulnerabilities: OSV advisories against the versions in use, and time to patch.

A version is affected by an advisory when it lies in one of the advisory's ranges for the
package (introduced <= v < fixed, or <= last_affected; `0` introduced is the first
version), in the ecosystem's own order, or is listed in its explicit `versions`. Withdrawn
advisories count for nothing. Time to patch walks each file's history of the package: an
affected stretch ends at the commit that set a version out of every range (or removed the
package); its time to patch is from the later of the advisory's publication and the
stretch's start to that commit. Stretches that ended before publication are counted apart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from ktlo.config import Config
from ktlo.metrics.dependency_risk_document import (
    BandCounts,
    OpenVulnerability,
    Patch,
    RepositoryVulnerabilities,
    TeamTimeToPatch,
    TeamVulnerabilities,
    TimeToPatch,
    TimeToPatchDocument,
    VulnerabilityDocument,
)
from ktlo.metrics.versions import canonical_name, version_key
from ktlo.store import Store

if TYPE_CHECKING:
    from ktlo.metrics.dependency_risk import InUse

EffortOf = Callable[[list[str]], Mapping[str, float]]  # item ids -> their person-days
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "unknown": 4}


@dataclass(frozen=True, slots=True)
class Range:
    range_type: str
    introduced: str | None
    fixed: str | None
    last_affected: str | None
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Known:
    """An advisory and its ranges for one package."""

    advisory_id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity: str
    score: float | None
    published: datetime | None
    ranges: tuple[Range, ...]


def is_affected(ecosystem: str, version: str, ranges: Sequence[Range]) -> bool:
    """Whether `version` lies in one of the ranges (or is listed explicitly)."""
    key = version_key(ecosystem, version)
    for r in ranges:
        if r.range_type == "VERSIONS":
            if version in r.versions or (
                key is not None and any(version_key(ecosystem, v) == key for v in r.versions)
            ):
                return True
        elif key is not None and _in_range(ecosystem, key, r):
            return True
    return False


def _in_range(ecosystem: str, key: Any, r: Range) -> bool:
    if r.introduced not in (None, "0"):
        low = version_key(ecosystem, r.introduced or "")
        if low is None or key < low:
            return False
    if r.fixed:
        high = version_key(ecosystem, r.fixed)
        if high is None or key >= high:
            return False
    if r.last_affected:
        last = version_key(ecosystem, r.last_affected)
        if last is None or key > last:
            return False
    return True


def fixed_in(ecosystem: str, version: str, ranges: Sequence[Range]) -> str | None:
    """The lowest version named as fixed above `version`."""
    key = version_key(ecosystem, version)
    fixes = [
        (k, r.fixed) for r in ranges
        if r.fixed and key is not None and (k := version_key(ecosystem, r.fixed)) is not None and k > key
    ]  # fmt: skip
    return min(fixes)[1] if fixes else None


def known_advisories(store: Store) -> dict[tuple[str, str], list[Known]]:
    """Every stored advisory that is not withdrawn, by (ecosystem, package)."""
    rows = store.query(
        """
        SELECT a.advisory_id, a.aliases, a.summary, coalesce(a.severity, 'unknown') AS severity,
               a.score, a.published, x.ecosystem, x.package, x.range_type, x.introduced,
               x.fixed, x.last_affected, x.versions
        FROM advisories a JOIN advisory_affects x USING (advisory_id)
        WHERE a.withdrawn IS NULL
        ORDER BY a.advisory_id, x.ecosystem, x.package
        """
    )
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(row["ecosystem"], row["package"], row["advisory_id"])].append(row)
    out: dict[tuple[str, str], list[Known]] = defaultdict(list)
    for (eco, pkg, _), found in grouped.items():
        first = found[0]
        ranges = tuple(
            Range(r["range_type"], r["introduced"], r["fixed"], r["last_affected"],
                  tuple(r["versions"] or ()))
            for r in found
        )  # fmt: skip
        out[(eco, pkg)].append(
            Known(first["advisory_id"], tuple(first["aliases"] or ()), first["summary"],
                  first["severity"], first["score"], first["published"], ranges)
        )  # fmt: skip
    return out


def vulnerability_sections(
    store: Store,
    config: Config,
    as_of: date,
    repos: set[str] | None,
    use: Sequence[InUse],
    effort: EffortOf | None,
) -> tuple[VulnerabilityDocument, TimeToPatchDocument]:
    """Open vulnerabilities per repository and team, and time to patch."""
    from ktlo.metrics.dependency_risk import teams_of

    known = known_advisories(store)
    moment = datetime.combine(as_of, time.max)
    found = [v for u in use for v in _open(u, known.get(_key(u.ecosystem, u.package), []), moment)]
    found.sort(
        key=lambda v: (SEVERITY_ORDER[v.severity], -(v.age_days or 0), v.repo_id, v.advisory_id)
    )
    patches = [p for p in find_patches(store, known, repos) if p.patched_at <= moment.isoformat()]
    patches = link_items(store, patches, effort)
    repo_teams = {
        r: teams_of(config, r) for r in {u.repo_id for u in use} | {p.repo_id for p in patches}
    }
    owning = [t.name for t in config.teams if any(t.name in n for n in repo_teams.values())]
    in_use = {_key(u.ecosystem, u.package) for u in use}
    checked = {
        _key(r["ecosystem"], r["package"])
        for r in store.query("SELECT ecosystem, package FROM advisory_checks")
    }
    vulnerabilities = VulnerabilityDocument(
        as_of=as_of.isoformat(),
        advisories=len({k.advisory_id for p in in_use for k in known.get(p, [])}),
        open=found,
        repositories=[
            RepositoryVulnerabilities(
                repo_id=r, teams=repo_teams[r], open=_bands([v for v in found if v.repo_id == r])
            )
            for r in sorted({v.repo_id for v in found})
        ],
        teams=[
            TeamVulnerabilities(
                team=t, open=_bands([v for v in found if t in repo_teams[v.repo_id]])
            )
            for t in owning
        ],
        unchecked=sorted(f"{e} {p}" for e, p in in_use - checked),
        unpinned=_unpinned(use),
    )
    return vulnerabilities, TimeToPatchDocument(
        as_of=as_of.isoformat(),
        totals=summarise_patches(patches),
        teams=[
            TeamTimeToPatch(
                team=t, totals=summarise_patches([p for p in patches if t in repo_teams[p.repo_id]])
            )
            for t in owning
        ],
        patches=sorted(
            patches, key=lambda p: (p.patched_at, p.repo_id, p.advisory_id), reverse=True
        ),
    )


def _open(item: InUse, known: Sequence[Known], moment: datetime) -> list[OpenVulnerability]:
    out = []
    for k in known:
        if (k.published and k.published > moment) or not is_affected(
            item.ecosystem, item.version, k.ranges
        ):
            continue  # not known yet at `as_of`, or not affected
        age = (moment - k.published).total_seconds() / 86400 if k.published else None
        out.append(
            OpenVulnerability(
                repo_id=item.repo_id, advisory_id=k.advisory_id, aliases=list(k.aliases),
                summary=k.summary, severity=k.severity, score=k.score,
                ecosystem=item.ecosystem, package=item.package, version=item.version,
                paths=list(item.paths), fixed_in=fixed_in(item.ecosystem, item.version, k.ranges),
                published=k.published.isoformat() if k.published else None,
                age_days=round(max(age, 0.0), 1) if age is not None else None,
            )
        )  # fmt: skip
    return out


def find_patches(
    store: Store, known: Mapping[tuple[str, str], Sequence[Known]], repos: set[str] | None
) -> list[Patch]:
    """Every commit that moved a file's package out of an advisory's affected versions."""
    packages = sorted(known)
    if not packages:
        return []
    rows = store.query(
        """
        SELECT repo_id, path, ecosystem, package, version, sha, changed_at, name
        FROM (SELECT *, CASE WHEN ecosystem = 'PyPI'
                             THEN lower(regexp_replace(package, '[-_.]+', '-', 'g'))
                             ELSE package END AS name
              FROM dependency_changes)
        JOIN (SELECT unnest(?) AS ecosystem, unnest(?) AS name) USING (ecosystem, name)
        ORDER BY repo_id, path, ecosystem, package, changed_at, sha
        """,
        [[e for e, _ in packages], [p for _, p in packages]],
    )
    series: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if repos is None or row["repo_id"] in repos:
            series[(row["repo_id"], row["path"], row["ecosystem"], row["package"])].append(row)
    found: dict[tuple[str, str, str], Patch] = {}
    for (repo, path, eco, pkg), changes in series.items():
        for k in known[_key(eco, pkg)]:
            for patch in _patches_of(repo, path, eco, pkg, changes, k):
                # a commit that moves the package in a manifest and its lockfile is one patch
                found.setdefault((repo, k.advisory_id, patch.sha), patch)
    return list(found.values())


def _patches_of(
    repo: str, path: str, eco: str, pkg: str, changes: list[dict[str, Any]], k: Known
) -> list[Patch]:
    out = []
    since: datetime | None = None
    before = ""
    for change in changes:
        version = change["version"]
        hit = version is not None and is_affected(eco, version, k.ranges)
        if hit:
            since, before = since or change["changed_at"], version
        elif since is not None:
            start = max(since, k.published) if k.published else since
            days = (change["changed_at"] - start).total_seconds() / 86400
            out.append(
                Patch(
                    repo_id=repo, advisory_id=k.advisory_id, aliases=list(k.aliases),
                    severity=k.severity, ecosystem=eco, package=pkg, path=path,
                    from_version=before, to_version=version, sha=change["sha"],
                    published=k.published.isoformat() if k.published else None,
                    patched_at=change["changed_at"].isoformat(), days_to_patch=round(days, 2),
                    items=[], person_days=None,
                )
            )  # fmt: skip
            since = None
    return out


def link_items(store: Store, patches: list[Patch], effort: EffortOf | None) -> list[Patch]:
    """Each patch with the `security` work items of its repository that name its advisory."""
    repos = sorted({p.repo_id for p in patches})
    if not repos:
        return patches
    rows = store.query(
        """
        SELECT w.item_id, w.repo_id, upper(w.title || ' ' || w.body) AS text
        FROM work_items w JOIN effective_verdicts v USING (item_id)
        WHERE v.subcategory = 'security' AND w.repo_id IN (SELECT unnest(?))
        ORDER BY w.item_id
        """,
        [repos],
    )
    linked = []
    for p in patches:
        names = [n.upper() for n in (p.advisory_id, *p.aliases)]
        linked.append([
            r["item_id"] for r in rows
            if r["repo_id"] == p.repo_id and any(n in r["text"] for n in names)
        ])  # fmt: skip
    every = sorted({i for items in linked for i in items})
    days = effort(every) if effort is not None and every else None
    return [
        p.model_copy(update={
            "items": items,
            "person_days": None if days is None else round(sum(days.get(i, 0.0) for i in items), 2),
        })
        for p, items in zip(patches, linked, strict=True)
    ]  # fmt: skip


def _unpinned(use: Sequence[InUse]) -> list[str]:
    """`ecosystem package version` of each range in use that no lockfile of its repository
    pins to an exact version (a manifest's `^7.21.11` beside the lockfile's `7.21.11` is
    matched through the lockfile)."""
    pinned = {(u.repo_id, _key(u.ecosystem, u.package)) for u in use if _exact(u)}
    return sorted({
        f"{u.ecosystem} {u.package} {u.version}" for u in use
        if not _exact(u) and (u.repo_id, _key(u.ecosystem, u.package)) not in pinned
    })  # fmt: skip


def _exact(item: InUse) -> bool:
    """Whether the version in use is one release (a range such as `^2.2.1` is not)."""
    return version_key(item.ecosystem, item.version) is not None


def _key(ecosystem: str, package: str) -> tuple[str, str]:
    return ecosystem, canonical_name(ecosystem, package)


def _bands(found: Sequence[OpenVulnerability]) -> BandCounts:
    counts = {band: sum(1 for v in found if v.severity == band) for band in SEVERITY_ORDER}
    ages = [v.age_days for v in found if v.age_days is not None]
    return BandCounts(**counts, oldest_days=max(ages) if ages else None)


def summarise_patches(patches: Sequence[Patch]) -> TimeToPatch:
    after = sorted(p.days_to_patch for p in patches if p.days_to_patch >= 0)
    return TimeToPatch(
        patches=len(after),
        median_days=_median(after),
        p90_days=after[math.ceil(0.9 * len(after)) - 1] if after else None,
        before_publication=len(patches) - len(after),
    )


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return round((values[middle - 1] + values[middle]) / 2, 2)
