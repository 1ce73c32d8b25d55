"""`ktlo deps`: each repository's dependencies as its history left them (docs/dependencies.md).

Read from `dependency_changes` (ktlo.ingest.dependencies): a package's current version in a
file is its last change there (by place on the first-parent chain), unless that change
removed it; `since` is when that change was committed. A repository belongs to the
ktlo.toml teams that list it, in `repositories` or through one of their `services` (the
first shown, or the team asked for). The inventory is its own section of the
document (`inventory`), beside `freshness`, `vulnerabilities` and `time_to_patch`
(ktlo.metrics.dependency_risk).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document
from ktlo.metrics.dependency_risk_document import (
    FreshnessDocument,
    TimeToPatchDocument,
    VulnerabilityDocument,
)
from ktlo.store import Store

# Every package each file holds now, with the change that set it (bound: repo_id or NULL).
CURRENT_SQL = """
    SELECT repo_id, path, ecosystem, package, version, direct, sha, changed_at
    FROM dependency_changes
    QUALIFY row_number() OVER (
            PARTITION BY repo_id, path, ecosystem, package ORDER BY step DESC) = 1
        AND version IS NOT NULL
    ORDER BY repo_id, path, ecosystem, package
"""
MONTHS_SQL = """
    SELECT repo_id, strftime(changed_at, '%Y-%m') AS month, count(*) AS changes
    FROM dependency_changes GROUP BY ALL ORDER BY repo_id, month
"""


class Package(Document):
    """One package a manifest or lockfile holds now."""

    repo_id: str = Field(description="the repository")
    team: str | None = Field(description="the ktlo.toml team that owns the repository, if any")
    path: str = Field(description="the manifest or lockfile, from the repository's top")
    ecosystem: str = Field(
        description="as OSV names it: PyPI, npm, crates.io, Go, RubyGems, Maven, Packagist"
    )
    package: str = Field(description="the registry's name (PyPI names normalised)")
    version: str = Field(
        description="a lockfile's exact version; a manifest's pin, else its range as written "
        "(`*` for none)"
    )
    direct: bool | None = Field(
        description="declared by the project (`true`), only locked (`false`), `null` when "
        "the lockfile does not say"
    )
    since: str = Field(description="when the commit that set this version was committed (UTC)")
    sha: str = Field(description="that commit")


class MonthChanges(Document):
    """How many package versions changed in one month."""

    month: str = Field(description="`YYYY-MM`")
    changes: int = Field(description="rows of dependency_changes committed that month")


class RepositoryInventory(Document):
    """One repository's dependencies now, and how often they moved."""

    repo_id: str = Field(description="the repository")
    team: str | None = Field(description="the ktlo.toml team that owns it, if any")
    files: list[str] = Field(description="its manifests and lockfiles that hold packages now")
    packages: int = Field(description="distinct (ecosystem, package) it holds now")
    direct: int = Field(description="of them declared by the project in some file")
    changes: int = Field(description="package version changes over its whole history")
    changes_per_month: list[MonthChanges] = Field(
        description="those changes by month, oldest first"
    )


class Inventory(Document):
    """Which package at which version, per repository, and since when."""

    repositories: list[RepositoryInventory] = Field(description="one per repository")
    packages: list[Package] = Field(description="every package every file holds now")


class Refresh(Document):
    """What `ktlo deps` read of a repository's history before answering."""

    repo_id: str = Field(description="the repository")
    commits: int = Field(description="commits read that touched a manifest or lockfile")
    revisions: int = Field(description="file revisions parsed")
    changes: int = Field(description="package version changes stored")
    malformed: int = Field(description="file revisions that could not be read (skipped)")


class DepsDocument(Document):
    """`ktlo deps --json`: dependencies per repository and team, their freshness, known
    vulnerabilities and time to patch."""

    schema_: Literal["ktlo.deps/v1"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team asked for, `null` for all")
    inventory: Inventory = Field(description="the packages each repository holds now")
    freshness: FreshnessDocument = Field(description="libyears and versions behind")
    vulnerabilities: VulnerabilityDocument = Field(
        description="open advisories per repository and team"
    )
    time_to_patch: TimeToPatchDocument = Field(
        description="from an advisory's publication to the commit that left its range"
    )
    refreshed: list[Refresh] = Field(description="what this run read of each history")
    not_refreshed: list[str] = Field(
        description="what this run could not ask the registries or OSV (offline, "
        "unreachable): the figures use what the store held"
    )
    notes: list[str] = Field(description="what could not be read, and what was used instead")


def team_of(config: Config, repo_id: str, team: str | None = None) -> str | None:
    """The team shown for `repo_id`: `team` when it is one of the repository's owning teams
    (listed in the team or in one of its services, as the risk sections count them), else
    the first of them; None when no team owns it."""
    from ktlo.metrics.dependency_risk import teams_of

    owning = teams_of(config, repo_id)
    return team if team in owning else owning[0] if owning else None


def inventory(store: Store, config: Config, team: str | None = None) -> Inventory:
    """The inventory of every repository the store holds changes of (of `team` when given:
    the repositories any of whose owning teams it is)."""
    owners: dict[str, str | None] = {}
    packages: list[Package] = []
    for row in store.con.execute(CURRENT_SQL).fetchall():
        repo_id = row[0]
        owner = owners.setdefault(repo_id, team_of(config, repo_id, team))
        if team is None or owner == team:
            packages.append(_package(row, owner))
    months: dict[str, list[MonthChanges]] = {}
    for repo_id, month, count in store.con.execute(MONTHS_SQL).fetchall():
        months.setdefault(repo_id, []).append(MonthChanges(month=month, changes=int(count)))
    repos = [
        _repository(repo_id, owner, [p for p in packages if p.repo_id == repo_id], months)
        for repo_id, owner in sorted(owners.items())
        if team is None or owner == team
    ]
    return Inventory(repositories=repos, packages=packages)


def _package(row: tuple[Any, ...], team: str | None) -> Package:
    repo_id, path, eco, name, version, direct, sha, at = row
    return Package(
        repo_id=repo_id, team=team, path=path, ecosystem=eco, package=name, version=version,
        direct=direct, since=at.isoformat(timespec="seconds"), sha=sha,
    )  # fmt: skip


def _repository(
    repo_id: str, team: str | None, held: list[Package], months: dict[str, list[MonthChanges]]
) -> RepositoryInventory:
    distinct = {(p.ecosystem, p.package) for p in held}
    direct = {(p.ecosystem, p.package) for p in held if p.direct}
    per_month = months.get(repo_id, [])
    return RepositoryInventory(
        repo_id=repo_id, team=team, files=sorted({p.path for p in held}), packages=len(distinct),
        direct=len(direct), changes=sum(m.changes for m in per_month), changes_per_month=per_month,
    )  # fmt: skip


def package_rows(doc: DepsDocument) -> list[dict[str, Any]]:
    """`ktlo deps --csv`: one row per package a file holds now, with its freshness and the
    open advisories against it (empty when unknown)."""
    fresh = {
        (r.repo_id, p.ecosystem, p.package, p.version): p
        for r in doc.freshness.repositories
        for p in r.packages
    }
    advisories: dict[tuple[str, str, str, str], list[str]] = {}
    for v in doc.vulnerabilities.open:
        advisories.setdefault((v.repo_id, v.ecosystem, v.package, v.version), []).append(
            f"{v.advisory_id} ({v.severity})"
        )
    rows = []
    for p in doc.inventory.packages:
        key = (p.repo_id, p.ecosystem, p.package, p.version)
        f = fresh.get(key)
        rows.append({
            **p.to_json(), "latest": f.latest if f else None,
            "libyears": f.libyears if f else None,
            "versions_behind": f.versions_behind if f else None,
            "open_advisories": ";".join(advisories.get(key, [])),
        })  # fmt: skip
    return rows


def unreadable_note(repo_id: str, unreadable: Sequence[Sequence[str]]) -> str:
    """The note naming the file revisions of a repository's history that could not be read."""
    path, sha, why = unreadable[0]
    more = f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""
    return (
        f"{repo_id}: {len(unreadable)} file revision(s) in its history could not be read and were skipped "
        f"(their packages taken as unchanged): {path} at {sha[:10]} ({why}){more}"
    )
