"""Domain records: plain, typed, immutable values passed between the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file touched by a commit, as `git log --numstat -M` reports it."""

    path: str
    added: int | None  # None for binary files
    deleted: int | None
    old_path: str | None = None  # set when the file was renamed or copied

    @property
    def binary(self) -> bool:
        return self.added is None


@dataclass(frozen=True, slots=True)
class Commit:
    """A git commit with its authorship and per-file change counts."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    message: str
    files: tuple[FileChange, ...] = ()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        parts = self.message.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class WorkText:
    """What the classifier reads about a work item."""

    title: str
    body: str = ""
    files: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    author: str = ""
    issue_type: str = ""
    kind: str = ""  # commit, pull_request or issue; "" reads as a commit


@dataclass(frozen=True, slots=True)
class Reason:
    """One signal that decided (or supported) a verdict."""

    signal: str  # e.g. "conventional_commit", "bot_author", "keyword"
    detail: str  # human sentence: `prefix "fix:"`

    def __str__(self) -> str:
        return f"{self.signal}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classification of one work item, with the reasons that decided it."""

    investment: str  # "ktlo" | "new_work" | "other"
    subcategory: str | None
    confidence: float
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"{self.investment}/{self.subcategory}" if self.subcategory else self.investment
