"""`ktlo deps`: each repository's dependencies as its history left them (docs/dependencies.md).

Read from `dependency_changes` (ktlo.ingest.dependencies): a package's current version in a
file is its last change there (by place on the first-parent chain), unless that change
removed it; `since` is when that change was committed. A repository belongs to the first
ktlo.toml team whose `repositories` name it. The inventory is its own part of the document
(`inventory`), beside which freshness and vulnerabilities sit.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document
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
    """`ktlo deps --json`: dependencies per repository and team."""

    schema_: Literal["ktlo.deps/v1"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team asked for, `null` for all")
    inventory: Inventory = Field(description="the packages each repository holds now")
    refreshed: list[Refresh] = Field(description="what this run read of each history")
    notes: list[str] = Field(description="what could not be read, and what was used instead")


def team_of(config: Config, repo_id: str) -> str | None:
    """The first ktlo.toml team whose `repositories` name `repo_id`."""
    return next((t.name for t in config.teams if t.repositories and t.owns(repo_id, None)), None)


def inventory(store: Store, config: Config, team: str | None = None) -> Inventory:
    """The inventory of every repository the store holds changes of (of `team` when given)."""
    owners: dict[str, str | None] = {}
    packages: list[Package] = []
    for row in store.con.execute(CURRENT_SQL).fetchall():
        repo_id = row[0]
        owner = owners.setdefault(repo_id, team_of(config, repo_id))
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
    """`ktlo deps --csv`: one row per package a file holds now."""
    return [p.to_json() for p in doc.inventory.packages]
