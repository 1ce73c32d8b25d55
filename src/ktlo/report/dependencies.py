"""The report's dependency-risk panel: each repository's freshness and open
vulnerabilities, the open advisories most severe first, and time to patch.

Its own section model (`DependencyPanel`), read from what the store holds (`ktlo deps` fills
it: no network here) as of the report's newest day of effort, for the team and repository
the filters name; with no inventory it says so (`missing`) rather than show zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document
from ktlo.metrics.dependency_risk_document import (
    OpenVulnerability,
    Patch,
    RepositoryFreshness,
    TimeToPatch,
)
from ktlo.metrics.vulnerabilities import summarise_patches
from ktlo.report.model import ReportFilters
from ktlo.store import Store

SHOWN = 10  # open advisories and patches listed; `ktlo deps --json` has them all
NO_DATA = (
    "no dependency data: no manifest or lockfile inventoried in these repositories — run "
    "`ktlo deps`"
)


class RepositoryRisk(Document):
    """One repository's line of the panel."""

    repo_id: str = Field(description="the repository")
    teams: list[str] = Field(description="the ktlo.toml teams that own it")
    packages: int = Field(description="package versions in use")
    dated: int = Field(description="of them, with both release dates known")
    libyears: float | None = Field(description="libyears of the dated ones; `null` when none is")
    versions_behind: int = Field(description="releases newer than the versions in use")
    critical: int = Field(description="open critical advisories")
    high: int = Field(description="open high advisories")
    other: int = Field(description="open medium, low and unrated advisories")
    oldest_days: float | None = Field(description="age of the oldest open advisory, days")


class DependencyPanel(Document):
    """The report's `dependencies` section (docs/report.md)."""

    as_of: str = Field(description="the day the figures are for")
    missing: str | None = Field(description="why there is no panel, or `null`")
    repositories: list[RepositoryRisk] = Field(description="most critical, then most libyears")
    open: list[OpenVulnerability] = Field(description="open advisories, most severe first (10)")
    open_count: int = Field(description="every open advisory")
    time_to_patch: TimeToPatch = Field(description="over these repositories")
    patches: list[Patch] = Field(description="the newest patches (10)")
    not_dated: int = Field(description="packages without release dates in the store")
    unchecked: int = Field(description="packages never checked against OSV")
    unpinned: int = Field(description="packages whose version is a range no lockfile pins: not matched against advisories")  # fmt: skip


def dependency_section(
    store: Store, config: Config, filters: ReportFilters, as_of: str | None
) -> DependencyPanel:
    """The panel, for the filters' team and repository, as of the report's day."""
    from ktlo.metrics.dependency_risk import dependency_risk

    day = date.fromisoformat(as_of) if as_of else date.today()
    risk = dependency_risk(store, config, as_of=day)
    repos = [
        r for r in risk.freshness.repositories
        if (filters.team is None or filters.team in r.teams)
        and (filters.repo is None or r.repo_id == filters.repo)
    ]  # fmt: skip
    mine = {r.repo_id for r in repos}
    opened = [v for v in risk.vulnerabilities.open if v.repo_id in mine]
    patches = [p for p in risk.time_to_patch.patches if p.repo_id in mine]
    panel = DependencyPanel(
        as_of=day.isoformat(), missing=None if repos else NO_DATA,
        repositories=sorted((_line(r, opened) for r in repos),
                            key=lambda x: (-x.critical, -x.high, -(x.libyears or 0), x.repo_id)),
        open=opened[:SHOWN], open_count=len(opened), time_to_patch=summarise_patches(patches),
        patches=patches[:SHOWN], not_dated=len(risk.freshness.not_dated),
        unchecked=len(risk.vulnerabilities.unchecked),
        unpinned=len(risk.vulnerabilities.unpinned),
    )  # fmt: skip
    return panel


def _line(repo: RepositoryFreshness, opened: list[OpenVulnerability]) -> RepositoryRisk:
    mine = [v for v in opened if v.repo_id == repo.repo_id]
    ages = [v.age_days for v in mine if v.age_days is not None]
    t = repo.totals
    return RepositoryRisk(
        repo_id=repo.repo_id, teams=repo.teams, packages=t.packages, dated=t.dated,
        libyears=t.libyears if t.dated else None, versions_behind=t.versions_behind,
        critical=sum(v.severity == "critical" for v in mine),
        high=sum(v.severity == "high" for v in mine),
        other=sum(v.severity not in ("critical", "high") for v in mine),
        oldest_days=max(ages) if ages else None,
    )  # fmt: skip


REPOSITORY_FIGURES = ("packages", "libyears", "versions_behind", "critical", "high", "other",
                      "oldest_days")  # fmt: skip


def dependency_rows(panel: DependencyPanel, team: str | None, add: Callable[..., None]) -> None:
    """The panel's numbers as the report's CSV rows: per repository, then time to patch."""
    for repo in panel.repositories:
        for metric in REPOSITORY_FIGURES:
            add("dependencies", team, None, repo.repo_id, metric, getattr(repo, metric))
    if not panel.missing:
        ttp = panel.time_to_patch
        for metric in ("patches", "median_days", "p90_days"):
            add("dependencies", team, None, "time_to_patch", metric, getattr(ttp, metric))
