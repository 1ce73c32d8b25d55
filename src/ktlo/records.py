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
    # False when git could not read the diff (a missing blob): the files are named, their
    # line counts unknown (None, not 0)
    lines_known: bool = True

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
    lines_added: int | None = None  # the change's size, when known (commits, pull requests)
    lines_deleted: int | None = None


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


# Records from trackers, CI and operations tools. Timestamps are timezone-aware (UTC when the
# source says so); `raw` is the source's own JSON for the record, kept verbatim for later use.


@dataclass(frozen=True, slots=True)
class Activity:
    """Someone did something to a work item at a moment (drives effort)."""

    person: str  # login, name or email as the source gives it
    kind: str  # opened, committed, reviewed, commented, closed, merged, ...
    occurred_at: datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A reference from a work item to another item or commit, as written."""

    to_ref: str  # PROJ-12, #45, owner/repo#45, a commit sha
    kind: str  # fixes, mentions, contains (pull request -> commit), parent


@dataclass(frozen=True, slots=True)
class StateChange:
    """One field of a work item changed value."""

    occurred_at: datetime
    field: str  # status, label, assignee, milestone, title, sprint, ...
    from_value: str | None
    to_value: str | None
    changed_by: str | None = None


@dataclass(frozen=True, slots=True)
class CommitRef:
    """A commit as a pull request, a deployment or a push lists it: its sha and times."""

    sha: str
    authored_at: datetime | None = None
    committed_at: datetime | None = None
    author: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class WorkItem:
    """An issue, pull request or ticket from a tracker, with its activity and history.

    The nested activities, links and state changes belong to this item: storing the item
    replaces all of them, so a record always carries its complete history.
    """

    key: str  # the store key: <source>:<kind>:<scope>:<id>
    source: str  # github, jira, ... (the tool, not the config name)
    kind: str  # issue, pull_request, task, ...
    external_id: str  # the source's own id (number, key)
    title: str
    body: str = ""
    repo_id: str | None = None  # host/owner/name, as git sources normalise it
    project: str | None = None
    author: str | None = None
    author_email: str | None = None
    is_bot: bool = False
    state: str | None = None  # open, closed, merged, done, ...
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    labels: tuple[str, ...] = ()
    issue_type: str | None = None  # as the source names it
    standard_type: str | None = None  # requirement, bug, incident, task
    assignees: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    parent_key: str | None = None
    estimate: float | None = None
    sprint: str | None = None
    branch: str | None = None  # a pull request's head branch
    url: str | None = None
    refs: tuple[str, ...] | None = None  # keys and #numbers mentioned; None: found when stored
    activities: tuple[Activity, ...] = ()
    links: tuple[Link, ...] = ()
    state_changes: tuple[StateChange, ...] = ()
    raw: str = ""
    base_branch: str | None = None  # a pull request's target branch
    commits: tuple[CommitRef, ...] = ()  # a pull request's commits, with their times
    initiative: str | None = None  # the milestone, project or epic the tool files it under


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """One step of an incident's timeline."""

    occurred_at: datetime
    kind: str  # triggered, acknowledged, escalated, resolved, note, assigned
    person: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident from an incident tool, with its timeline (replaced with it)."""

    key: str  # <source>:incident:<id>
    source: str
    external_id: str
    title: str
    created_at: datetime
    service: str | None = None
    teams: tuple[str, ...] = ()
    severity: str | None = None
    urgency: str | None = None
    priority: str | None = None
    status: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    url: str | None = None
    events: tuple[IncidentEvent, ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert from a monitoring or paging tool."""

    key: str  # <source>:alert:<id>
    source: str
    external_id: str
    title: str
    created_at: datetime
    incident_key: str | None = None
    service: str | None = None
    severity: str | None = None
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    count: int | None = None
    tags: tuple[str, ...] = ()
    responders: tuple[str, ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Deployment:
    """A deployment (or release) of a service or repository to an environment."""

    key: str  # <source>:deployment:<id>
    source: str
    external_id: str
    created_at: datetime
    repo_id: str | None = None
    service: str | None = None
    environment: str | None = None
    sha: str | None = None
    ref: str | None = None
    status: str | None = None  # success, failure, in_progress, ...
    finished_at: datetime | None = None
    url: str | None = None
    raw: str = ""
    previous_key: str | None = None  # the deployment it followed, when the source says
    commits: tuple[CommitRef, ...] = ()  # what it shipped, when the source lists it


@dataclass(frozen=True, slots=True)
class Push:
    """A push of commits to a ref: `before` and `after` are the ref's commit around it."""

    key: str  # <source>:push:<repo_id>:<ref>:<after>
    source: str
    after: str
    repo_id: str | None = None
    ref: str | None = None  # refs/heads/main
    before: str | None = None
    pushed_at: datetime | None = None
    commits: tuple[CommitRef, ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Build:
    """A CI run or one of its jobs."""

    key: str  # <source>:build:<id>[:<attempt>]
    source: str
    external_id: str
    repo_id: str | None = None
    workflow: str | None = None
    job: str | None = None  # None for the run as a whole
    sha: str | None = None
    branch: str | None = None
    event: str | None = None
    status: str | None = None
    conclusion: str | None = None
    attempt: int | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    url: str | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Sprint:
    """A sprint or iteration of a team."""

    key: str  # <source>:sprint:<id>
    source: str
    name: str
    team: str | None = None
    state: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    raw: str = ""
