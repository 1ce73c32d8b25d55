"""The dependency-risk sections of `ktlo deps` (docs/dependencies.md).

`FreshnessDocument`, `VulnerabilityDocument` and `TimeToPatchDocument` are the `freshness`,
`vulnerabilities` and `time_to_patch` sections of `ktlo.deps/v1`
(ktlo.metrics.dependencies.DepsDocument), beside its `inventory`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ktlo.documents import Document


class PackageFreshness(Document):
    """One package version a repository uses, against the newest release of the package."""

    ecosystem: str = Field(
        description="As OSV names it: PyPI, npm, crates.io, Go, RubyGems, Maven, Packagist."
    )
    package: str = Field(description="The registry's name of the package.")
    version: str = Field(
        description="The version in use (the latest change in dependency_changes)."
    )
    paths: list[str] = Field(description="The manifests and lockfiles that set it.")
    latest: str | None = Field(
        description="The newest release that is not a pre-release nor yanked; null when the registry's releases are not cached."
    )
    released_at: str | None = Field(
        description="When the version in use was released (UTC, ISO 8601); null when unknown."
    )
    latest_released_at: str | None = Field(description="When `latest` was released.")
    libyears: float | None = Field(
        description="Years from the release of the version in use to the release of `latest` (0 when current); null when either date is unknown."
    )
    versions_behind: int | None = Field(description="Releases newer than the version in use, pre-releases and yanked ones left out; null when unknown.")  # fmt: skip


class FreshnessTotals(Document):
    """Freshness summed over a repository's or a team's packages."""

    packages: int = Field(description="Distinct package versions in use.")
    dated: int = Field(
        description="Of those, how many have both release dates (they make the libyears)."
    )
    outdated: int = Field(description="Packages with at least one newer release.")
    libyears: float = Field(description="Sum of the dated packages' libyears.")
    versions_behind: int = Field(description="Sum of versions behind over the packages whose releases are known.")  # fmt: skip


class RepositoryFreshness(Document):
    """One repository's freshness."""

    repo_id: str = Field(description="The repository.")
    teams: list[str] = Field(description="Teams of ktlo.toml that own it.")
    totals: FreshnessTotals = Field(description="Its packages summed.")
    packages: list[PackageFreshness] = Field(description="Every package version it uses, the most libyears first.")  # fmt: skip


class TeamFreshness(Document):
    """A team's freshness: its repositories summed."""

    team: str = Field(description="The team (ktlo.toml).")
    repositories: int = Field(description="Its repositories with dependencies.")
    totals: FreshnessTotals = Field(description="Their packages summed.")


class FreshnessDocument(Document):
    """`ktlo deps`'s freshness section: libyears and versions behind."""

    as_of: str = Field(description="The day the figures are for.")
    totals: FreshnessTotals = Field(description="Every repository summed.")
    repositories: list[RepositoryFreshness] = Field(
        description="Each repository, the most libyears first."
    )
    teams: list[TeamFreshness] = Field(description="Each team of ktlo.toml with dependencies.")
    not_dated: list[str] = Field(description="`ecosystem package` of the packages whose releases the store does not hold (never fetched, or not found in the registry).")  # fmt: skip


Band = Literal["critical", "high", "medium", "low", "unknown"]


class OpenVulnerability(Document):
    """A known advisory that affects a version a repository uses now."""

    repo_id: str = Field(description="The repository.")
    advisory_id: str = Field(description="OSV's id (GHSA-..., PYSEC-..., RUSTSEC-..., GO-...).")
    aliases: list[str] = Field(description="Other ids of the advisory (CVE-...).")
    summary: str | None = Field(description="The advisory's summary.")
    severity: Band = Field(description="critical, high, medium, low (CVSS v3 bands), or unknown.")
    score: float | None = Field(
        description="CVSS v3 base score, when the advisory gives a v3 vector."
    )
    ecosystem: str = Field(description="The package's ecosystem.")
    package: str = Field(description="The affected package.")
    version: str = Field(description="The version in use.")
    paths: list[str] = Field(description="The files that set it.")
    fixed_in: str | None = Field(
        description="The lowest version the advisory names as fixed above the one in use; null when none is named."
    )
    published: str | None = Field(description="When the advisory was published (UTC).")
    age_days: float | None = Field(description="Days from publication to `as_of`.")  # fmt: skip


class BandCounts(Document):
    """Open vulnerabilities by severity band."""

    critical: int = Field(description="Critical (CVSS 9.0-10.0).")
    high: int = Field(description="High (7.0-8.9).")
    medium: int = Field(description="Medium (4.0-6.9).")
    low: int = Field(description="Low (0.1-3.9).")
    unknown: int = Field(description="No CVSS v3 vector and no severity word in the advisory.")
    oldest_days: float | None = Field(description="Age of the oldest open one, in days.")


class Patch(Document):
    """A commit that moved a package past an advisory's affected range."""

    repo_id: str = Field(description="The repository.")
    advisory_id: str = Field(description="The advisory.")
    aliases: list[str] = Field(description="Its other ids.")
    severity: Band = Field(description="Its band.")
    ecosystem: str = Field(description="The package's ecosystem.")
    package: str = Field(description="The package.")
    path: str = Field(description="The file the commit changed.")
    from_version: str = Field(description="The affected version before the commit.")
    to_version: str | None = Field(
        description="The version after it (null: the package was removed)."
    )
    sha: str = Field(description="The commit.")
    published: str | None = Field(description="When the advisory was published.")
    patched_at: str = Field(description="The commit's time.")
    days_to_patch: float = Field(
        description="Days from the later of publication and the affected version's arrival to the commit; negative when the commit came before publication."
    )
    items: list[str] = Field(
        description="Work items with a `security` verdict in the repository whose text names the advisory or an alias."
    )
    person_days: float | None = Field(description="Their person-days (null when effort was not computed).")  # fmt: skip


class TimeToPatch(Document):
    """Time to patch over the patches found."""

    patches: int = Field(description="Patches after the advisory's publication.")
    median_days: float | None = Field(description="Their median days to patch.")
    p90_days: float | None = Field(description="Their 90th percentile (nearest rank).")
    before_publication: int = Field(description="Affected versions left before the advisory was published (not counted above).")  # fmt: skip


class RepositoryVulnerabilities(Document):
    """One repository's open vulnerabilities."""

    repo_id: str = Field(description="The repository.")
    teams: list[str] = Field(description="Teams of ktlo.toml that own it.")
    open: BandCounts = Field(description="Its open vulnerabilities by band.")


class TeamVulnerabilities(Document):
    """A team's open vulnerabilities."""

    team: str = Field(description="The team.")
    open: BandCounts = Field(description="Open vulnerabilities in its repositories, by band.")


class TeamTimeToPatch(Document):
    """A team's time to patch."""

    team: str = Field(description="The team.")
    totals: TimeToPatch = Field(description="Its repositories' patches.")


class VulnerabilityDocument(Document):
    """`ktlo deps`'s vulnerabilities section: open advisories per repository and team."""

    as_of: str = Field(description="The day the figures are for.")
    advisories: int = Field(
        description="Advisories the store holds for the packages in use (withdrawn ones left out)."
    )
    open: list[OpenVulnerability] = Field(
        description="Every open vulnerability, the most severe and oldest first."
    )
    repositories: list[RepositoryVulnerabilities] = Field(
        description="Repositories with open vulnerabilities."
    )
    teams: list[TeamVulnerabilities] = Field(
        description="Each team of ktlo.toml with dependencies."
    )
    unchecked: list[str] = Field(description="`ecosystem package` in use that OSV (or an export) was never asked about.")  # fmt: skip
    unpinned: list[str] = Field(description="`ecosystem package version` in use whose version is a range or not a release (a manifest no lockfile pins): no advisory can be matched against it, so its vulnerabilities are unknown, not none.")  # fmt: skip


class TimeToPatchDocument(Document):
    """`ktlo deps`'s time-to-patch section: how long advisories stayed in the code."""

    as_of: str = Field(description="The day the figures are for (later commits left out).")
    totals: TimeToPatch = Field(description="Over every repository.")
    teams: list[TeamTimeToPatch] = Field(
        description="Each team of ktlo.toml with dependencies or patches."
    )
    patches: list[Patch] = Field(description="Every patch found, the newest first.")
