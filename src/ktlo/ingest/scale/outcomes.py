"""What a run over repositories reports: each repository's outcome, the run's summary, the
`ingest` block of `ktlo analyze --json`, and where progress goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import Field

from ktlo.documents import Document
from ktlo.sources import git

if TYPE_CHECKING:
    from ktlo.ingest.history import IngestResult


@dataclass(frozen=True, slots=True)
class RepoOutcome:
    """What became of one repository: `updated`, `unchanged`, `skipped` or `failed`."""

    path: str
    status: str
    repo_id: str | None = None
    name: str | None = None
    new_commits: int = 0
    error: str | None = None
    removed: int = 0  # stored commits HEAD no longer reaches, deleted
    issues: git.ReadIssues | None = None  # what git recorded oddly in the commits read
    folder: str = ""  # the folder inside the repository that was asked for
    boundary_moved: bool = False  # a shallow clone deepened or cut: `removed` read again

    @classmethod
    def streamed(cls, path: Path, result: IngestResult) -> RepoOutcome:
        """The outcome of a repository streamed in this process (ktlo.ingest.scale.stream)."""
        repo = result.repo
        status = "updated" if result.new_commits or result.removed else "unchanged"
        return cls(
            str(path), status, repo.repo_id, repo.name, result.new_commits, None, result.removed,
            result.issues if result.issues.total else None, repo.folder, result.boundary_moved,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run over many repositories."""

    outcomes: tuple[RepoOutcome, ...]
    seconds: float
    engine: str
    workers: int
    load_seconds: float = 0.0  # the writer's time in transactions

    @property
    def failures(self) -> list[RepoOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def new_commits(self) -> int:
        return sum(o.new_commits for o in self.outcomes)

    @property
    def removed(self) -> int:
        return sum(o.removed for o in self.outcomes)

    @property
    def issues(self) -> git.ReadIssues:
        """What git recorded oddly, over every repository."""
        total = git.ReadIssues()
        for outcome in self.outcomes:
            if outcome.issues is not None:
                total.add(outcome.issues)
        return total

    @property
    def folders(self) -> tuple[tuple[str, str], ...]:
        """(repo_id, folder) for each repository asked for only in folders (ktlo.ingest.folders)."""
        asked: dict[str, set[str]] = {}
        for o in self.outcomes:
            if o.repo_id and o.status != "failed":
                asked.setdefault(o.repo_id, set()).add(o.folder)
        return tuple((r, f) for r, fs in asked.items() if "" not in fs for f in sorted(fs))

    @property
    def repo_ids(self) -> tuple[str, ...]:
        ids = (o.repo_id for o in self.outcomes if o.repo_id and o.status != "skipped")
        return tuple(dict.fromkeys(ids))

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


class RunProgress(Protocol):
    """Where a run reports progress (a progress bar, or nowhere)."""

    def start(self, repositories: int) -> None: ...

    def planned(self, commits: int) -> None: ...

    def loaded(self, commits: int) -> None: ...

    def finished(self, outcome: RepoOutcome) -> None: ...


class NoProgress:
    """Progress that goes nowhere."""

    def start(self, repositories: int) -> None:
        return None

    def planned(self, commits: int) -> None:
        return None

    def loaded(self, commits: int) -> None:
        return None

    def finished(self, outcome: RepoOutcome) -> None:
        return None


class PathReason(Document):
    """A repository skipped or failed, and why."""

    path: str = Field(description="the path given or found")
    reason: str | None = Field(description="why")


class Unreadable(Document):
    """Commits git recorded oddly, read as far as they could be
    ([analyze.md](analyze.md#commits-git-recorded-oddly))."""

    offsets_read_as_utc: int = Field(description="time-zone offsets no zone has, read as UTC")
    dates_replaced: int = Field(description="unreadable dates, the commit's other date used")
    authors_unknown: int = Field(description="unreadable authors")
    commits_skipped: int = Field(description="commits without a readable sha or date, not stored")
    diffs_unreadable: int = Field(
        description="commits whose diff git could not read, stored with their files and "
        "unknown line counts"
    )
    examples: list[str] = Field(description="up to five short shas")


class IngestNote(Document):
    """A repository with commits removed or read oddly."""

    path: str = Field(description="the path given or found")
    repo_id: str | None = Field(description="the repository")
    commits_removed: int = Field(description="stored commits HEAD no longer reaches, deleted")
    unreadable: Unreadable = Field(description="what git recorded oddly")


class IngestRun(Document):
    """What one `ktlo analyze` run read."""

    repositories: int = Field(description="repositories given or found")
    updated: int = Field(description="repositories with new commits, or commits removed")
    unchanged: int = Field(description="repositories with nothing new")
    skipped: list[PathReason] = Field(description="repositories skipped, and why")
    failed: list[PathReason] = Field(description="repositories that failed, and why")
    new_commits: int = Field(description="commits read")
    commits_removed: int = Field(
        description="stored commits HEAD no longer reaches, deleted: a rewritten, rewound or "
        "force-pushed history; or all of a shallow clone's, read again after its boundary "
        "moved ([analyze.md](analyze.md#re-runs-after-the-history-changed))"
    )
    unreadable: Unreadable = Field(description="what git recorded oddly, over every repository")
    notes: list[IngestNote] = Field(
        description="each repository with commits removed or read oddly"
    )
    seconds: float = Field(description="the whole ingest")
    load_seconds: float = Field(description="of which spent in the store's transactions")
    engine: str = Field(description="`this process`, `N local processes` or `dask://HOST:PORT`")


def run_json(summary: RunSummary) -> IngestRun:
    """The `ingest` part of `ktlo analyze --json` (docs/analyze-json.md)."""
    return IngestRun.model_validate(
        {
            "repositories": len(summary.outcomes),
            "updated": summary.count("updated"),
            "unchanged": summary.count("unchanged"),
            "skipped": [
                {"path": o.path, "reason": o.error}
                for o in summary.outcomes
                if o.status == "skipped"
            ],
            "failed": [
                {"path": o.path, "reason": o.error}
                for o in summary.outcomes
                if o.status == "failed"
            ],
            "new_commits": summary.new_commits,
            "commits_removed": summary.removed,
            "unreadable": summary.issues.as_json(),
            "notes": [
                {
                    "path": o.path,
                    "repo_id": o.repo_id,
                    "commits_removed": o.removed,
                    "unreadable": (o.issues or git.ReadIssues()).as_json(),
                }
                for o in summary.outcomes
                if o.removed or o.issues
            ],
            "seconds": round(summary.seconds, 3),
            "load_seconds": round(summary.load_seconds, 3),
            "engine": summary.engine,
        }
    )
