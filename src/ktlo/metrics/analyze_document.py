"""The `ktlo analyze --json` document (`ktlo.analyze/v2`) as typed models.

`ktlo.metrics.repository.analyze` builds an `AnalyzeDocument`; the terminal, CSV and demo
read its attributes; docs/analyze-json.md's field table is generated from it. Fields are
declared in the order the JSON has always written them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from ktlo.documents import Document, is_none
from ktlo.effort.error_bars import ErrorRates
from ktlo.ingest.scale.outcomes import IngestRun

SHARE = "a fraction of 1, rounded to 4 decimals; `null` without a denominator"


class Repository(Document):
    """The one repository a report covers."""

    repo_id: str = Field(description="normalised origin URL, or `local:<path>`")
    name: str | None = Field(None, description="its folder's name")
    path: str | None = Field(None, description="where it was read")
    remote_url: str | None = Field(None, description="its `origin` remote, `null` without one")
    is_bare: bool | None = Field(None, description="a bare repository")
    is_shallow: bool | None = Field(None, description="a shallow clone")

    @model_serializer(mode="wrap")
    def _known_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A repository the store does not know is written as its `repo_id` alone.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class RepositoryFigures(Document):
    """One repository of the report: its commits, effort and KTLO share."""

    repo_id: str = Field(description="the repository")
    name: str | None = Field(description="its folder's name")
    path: str | None = Field(description="where it was read")
    commits: int = Field(description="commits in scope")
    lines: int = Field(description="lines added + deleted")
    person_days: float = Field(description="effort (docs/effort.md)")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    last_commit_at: str | None = Field(description="its newest commit in scope")
    ktlo_share: float | None = Field(description="KTLO share of effort, corrected; " + SHARE)
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")
    ktlo_share_commits: float | None = Field(description="KTLO share of commits, corrected")


class Folder(Document):
    """A folder of a repository the report is limited to."""

    repo_id: str = Field(description="the repository")
    folder: str = Field(description="the folder inside it")


class Totals(Document):
    """What the report covers."""

    commits: int = Field(description="commits in scope (merges excluded)")
    lines: int = Field(description="lines added + deleted")
    first_commit_at: str | None = Field(description="the oldest commit in scope")
    last_commit_at: str | None = Field(description="the newest commit in scope")
    authors: int = Field(description="people, bots excluded")
    person_days: float = Field(description="effort (docs/effort.md)")
    merges_excluded: int = Field(description="merge commits left out (counted on what they bring)")


class Share(Document):
    """The KTLO share on one basis, corrected, and the shares of verdicts."""

    ktlo: float | None = Field(
        description="the KTLO share corrected for the verdicts' measured error; " + SHARE
    )
    ktlo_low: float | None = Field(description="low end of its 90% interval")
    ktlo_high: float | None = Field(description="high end of its 90% interval")
    verified: int = Field(
        description="answers to random samples the error rates rest on (0: the prior alone)"
    )
    ktlo_verdicts: float | None = Field(description="share of items whose verdict is KTLO")
    new_work: float | None = Field(description="share of items whose verdict is new work")
    other: float | None = Field(description="share of items that could not be classified")


class Shares(Document):
    """The headline shares, per basis (docs/classification.md, "Error bars")."""

    effort: Share = Field(description="of person-days: the headline")
    commits: Share = Field(description="of commits")
    lines: Share = Field(description="of lines added + deleted")


class Subcategory(Document):
    """One subcategory (always all ten)."""

    investment: Literal["ktlo", "new_work"] = Field(description="what it is a kind of")
    subcategory: str = Field(description="its name (docs/classification.md)")
    person_days: float = Field(description="effort on it")
    effort_share: float | None = Field(description="of all effort")
    commits: int = Field(description="commits")
    commit_share: float | None = Field(description="of all commits")
    lines: int = Field(description="lines added + deleted")
    line_share: float | None = Field(description="of all lines")


class Period(Document):
    """One week, month or quarter, oldest first."""

    commits: int = Field(description="commits")
    ktlo_commits: int = Field(description="commits whose verdict is KTLO")
    new_work_commits: int = Field(description="commits whose verdict is new work")
    other_commits: int = Field(description="commits that could not be classified")
    lines: int = Field(description="lines added + deleted")
    ktlo_lines: int = Field(description="of which in commits whose verdict is KTLO")
    period: str = Field(description="its label: `2026-01`, `2026-W03`, `2026-Q1`")
    start: str = Field(description="its first day")
    person_days: float = Field(description="effort")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    ktlo_share: float | None = Field(description="KTLO share of effort, corrected")
    ktlo_share_low: float | None = Field(description="low end of its 90% interval")
    ktlo_share_high: float | None = Field(description="high end of its 90% interval")
    ktlo_share_commits: float | None = Field(description="KTLO share of commits, corrected")
    ktlo_share_lines: float | None = Field(description="KTLO share of lines, corrected")
    by_subcategory: dict[str, int] = Field(description="commits per subcategory, most first")


class Trend(Document):
    """The KTLO share of the last periods against the ones before."""

    window_periods: int = Field(description="periods in the window (4 weeks, 3 months, 1 quarter)")
    recent_share: float | None = Field(
        description="KTLO share of effort over the window's periods together, corrected"
    )
    recent_share_low: float | None = Field(description="low end of its 90% interval")
    recent_share_high: float | None = Field(description="high end of its 90% interval")
    previous_share: float | None = Field(description="the same over the window before")
    recent_share_commits: float | None = Field(description="KTLO share of commits, corrected")
    direction: Literal["up", "down", "flat", "unknown"] = Field(
        description="recent against previous (a change under 2 points is flat)"
    )
    series: list[float | None] = Field(description="KTLO share of effort per period")


class BudgetStatus(Document):
    """The recent KTLO share against the budget band."""

    low: float = Field(description="the band's lower edge")
    high: float = Field(description="the band's upper edge")
    window_periods: int = Field(description="as in `trend`")
    share: float | None = Field(description="= `trend.recent_share`")
    share_low: float | None = Field(description="low end of its 90% interval")
    share_high: float | None = Field(description="high end of its 90% interval")
    status: Literal["over", "likely over", "inside", "likely under", "under", "unknown"] = Field(
        description="`over` when the whole interval is above the band, `likely over` when the "
        "share is above it but the interval reaches into it, `under` and `likely under` alike"
    )


class Hotspot(Document):
    """A place of one repository where KTLO change concentrates."""

    repo_id: str = Field(description="the repository")
    ktlo_commits: int = Field(description="commits touching it whose verdict is KTLO")
    commits: int = Field(description="commits touching it")
    ktlo_lines: int = Field(description="lines changed there by KTLO commits")
    share_of_ktlo_lines: float | None = Field(description="of all KTLO lines")
    by_subcategory: dict[str, int] = Field(description="KTLO commits per subcategory, most first")


class DirectoryHotspot(Hotspot):
    """A directory (`.`: the repository's root files)."""

    directory: str = Field(description="the directory")
    ktlo_ratio: float | None = Field(description="KTLO commits of its commits")


class FileHotspot(Hotspot):
    """A file."""

    file: str = Field(description="the file")
    ktlo_ratio: float | None = Field(description="KTLO commits of its commits")


class Hotspots(Document):
    """Where KTLO change concentrates, most KTLO commits first."""

    directories: list[DirectoryHotspot] = Field(description="per directory")
    files: list[FileHotspot] = Field(description="per file")


class Person(Document):
    """Who carries the KTLO (identities merged, bots excluded)."""

    person: str = Field(description="the person")
    ktlo_person_days: float = Field(description="effort on items whose verdict is KTLO")
    person_days: float = Field(description="effort")
    ktlo_commits: int = Field(description="KTLO commits")
    commits: int = Field(description="commits")
    share_of_ktlo: float | None = Field(description="of all KTLO person-days")
    ktlo_ratio: float | None = Field(description="KTLO person-days of their person-days")
    by_subcategory: dict[str, int] = Field(description="KTLO commits per subcategory, most first")


class Bot(Document):
    """A bot's commits."""

    bot: str = Field(description="its name")
    commits: int = Field(description="commits")
    by_subcategory: dict[str, int] | None = Field(
        description="commits per subcategory; `null` when none has one"
    )


class OtherReason(Document):
    """Why some items could not be classified."""

    reason: str | None = Field(description="the classifier's reason")
    commits: int = Field(description="commits it applies to")
    example: str | None = Field(description="the latest such commit's title")


class Other(Document):
    """The items that could not be classified."""

    commits: int = Field(description="commits")
    reasons: list[OtherReason] = Field(description="most commits first")


class AnalyzeDocument(Document):
    """`ktlo analyze --json`."""

    schema_: Literal["ktlo.analyze/v2"] = Field(alias="schema", description="the schema id")
    repository: Repository | None = Field(
        description="`null` when the report covers several repositories"
    )
    repositories: list[RepositoryFigures] = Field(
        description="each repository in the report, most person-days first "
        "(one entry for a single repository)"
    )
    since: str | None = Field(description="the range asked for: its first day")
    until: str | None = Field(description="the range asked for: its end (exclusive)")
    period: Literal["week", "month", "quarter"] = Field(description="the periods' size")
    basis: Literal["effort"] = Field(
        description="the headline shares, trend and budget are of person-days (docs/effort.md); "
        "shares of commits and of lines stand beside them"
    )
    totals: Totals = Field(description="what the report covers")
    shares: Shares = Field(description="per basis, the corrected KTLO share and the verdicts'")
    error_rates: ErrorRates = Field(description="what the correction used")
    subcategories: list[Subcategory] = Field(description="one per subcategory, always all ten")
    periods: list[Period] = Field(description="oldest first")
    trend: Trend = Field(description="the recent KTLO share against the one before")
    budget: BudgetStatus = Field(description="the recent KTLO share against the budget band")
    hotspots: Hotspots = Field(description="where KTLO change concentrates")
    people: list[Person] = Field(description="who carries the KTLO, most KTLO person-days first")
    bots: list[Bot] = Field(description="bots' commits, most first")
    other: Other = Field(description="why items could not be classified")
    folders: list[Folder] = Field(
        description="the folders the report is limited to; empty for whole repositories "
        "([analyze.md](analyze.md#a-folder-inside-a-repository))"
    )
    ingest: IngestRun | None = Field(
        None,
        exclude_if=is_none,
        description="what this run read (`ktlo analyze` only, left out of a library call's "
        "document); the only part of the document that differs between a run and a re-run "
        "with nothing new",
    )
