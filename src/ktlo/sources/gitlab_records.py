"""GitLab's JSON (as its REST API v4 documents it) turned into ktlo records. No network here.

Keys: `gitlab:issue:<repo_id>:<iid>`, `gitlab:merge_request:<repo_id>:<iid>` (kind
`pull_request`, as ktlo calls every merge or pull request), `gitlab:build:<repo_id>:<pipeline
id>`, `gitlab:build:<repo_id>:job:<id>`, `gitlab:deployment:<repo_id>:<id>`, where `repo_id`
is `host/group/project` as the git source writes it (`gitlab.com/acme/shop`), so GitLab
records and commits of the same repository meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ktlo.classify.signals import is_bot
from ktlo.records import Activity, Build, CommitRef, Deployment, Link, Push, StateChange, WorkItem
from ktlo.sources import record_parts as rp
from ktlo.sources import repo_ids
from ktlo.sources.base import canonical_json, parse_time
from ktlo.sources.standard_types import standard_type

SOURCE = "gitlab"
Json = Mapping[str, Any]

FINISHED = frozenset({"success", "failed", "canceled", "skipped"})
_CLOSING = re.compile(
    r"\b(?:close[sd]?|closing|fix(?:e[sd]|ing)?|resolve[sd]?|resolving|implement(?:s|ed|ing)?)"
    r"\s*:?\s+((?:[\w.-]+/[\w.-]+)?#[1-9]\d*|[A-Z][A-Z0-9]{1,9}-[1-9]\d*)\b",
    re.IGNORECASE,
)
_WEB_PATH = re.compile(
    r"^https?://(?P<root>[^?#]+?)/(?:-/)?(?:issues|merge_requests|pipelines|jobs)/\d+"
)
_APPROVED_NOTE = "approved this merge request"


def web_root(base_url: str) -> str:
    """`https://gitlab.example.com` (with any relative root) from a base URL, with or without /api/v4."""
    root = base_url.rstrip("/")
    return root.removesuffix("/api/v4").rstrip("/")


def repo_id_of(root: str, path: str) -> str:
    """`gitlab.com/acme/shop`: the web root's host (no port) and relative root, then the path."""
    host, _, prefix = re.sub(r"^https?://", "", root).partition("/")
    return repo_ids.repo_id(host, "/".join(p for p in (prefix.strip("/"), path.strip("/")) if p))


def repo_id_from_url(record: Json) -> str | None:
    """The project of a record saved without context, from its web_url (or its job's)."""
    for url in (record.get("web_url"), (record.get("deployable") or {}).get("web_url")):
        match = _WEB_PATH.match(str(url or ""))
        if match:
            host, _, path = match["root"].partition("/")
            return repo_ids.repo_id(host, path) if path else None
    return None


def repo_id_from_project_url(url: str) -> str | None:
    """The project of a project's own web_url (`https://gitlab.com/acme/shop`)."""
    match = re.match(r"^https?://(?P<host>[^/?#]+)/(?P<path>[^?#]+?)/?$", url)
    return f"{match['host'].lower()}/{match['path']}" if match else None


def issue_key(repo_id: str, iid: int | str) -> str:
    return f"{SOURCE}:issue:{repo_id}:{iid}"


def merge_request_key(repo_id: str, iid: int | str) -> str:
    return f"{SOURCE}:merge_request:{repo_id}:{iid}"


def pipeline_key(repo_id: str, pipeline_id: int | str) -> str:
    return f"{SOURCE}:build:{repo_id}:{pipeline_id}"


def deployment_key(repo_id: str, deployment_id: int | str) -> str:
    return f"{SOURCE}:deployment:{repo_id}:{deployment_id}"


def issue_item(
    repo_id: str,
    issue: Json,
    notes: Iterable[Json] | None = None,
    state_events: Iterable[Json] | None = None,
    types: Mapping[str, str] | None = None,
) -> WorkItem:
    """An issue with its comments (notes) and its state history (resource state events)."""
    labels = rp.labels(issue)
    issue_type = issue.get("issue_type")
    start = rp.opened(FORGE, issue, pull=False)
    activities, changes, closed = start.activities, start.changes, start.closed
    links = rp.body_links(issue, "description", _CLOSING)
    events = list(state_events) if state_events is not None else None
    if events:
        _from_state_events(events, activities, changes, links)
    elif closed is not None:
        closer = _username(issue.get("closed_by"))
        start.end("closed", closed, closer or None)
        if closer:
            activities.append(Activity(closer, "closed", closed))
    activities += _comments(notes or ())
    return rp.forge_item(
        FORGE, repo_id, issue, start, links,
        key=issue_key(repo_id, issue["iid"]),
        kind="issue",
        external_id=str(issue["iid"]),
        state=issue.get("state"),
        closed_at=closed,
        issue_type=str(issue_type) if issue_type else None,
        standard_type=standard_type(str(issue_type or ""), labels, types),
        estimate=rp.number(issue.get("weight")),
    )  # fmt: skip


def merge_request_item(
    repo_id: str,
    mr: Json,
    notes: Iterable[Json] = (),
    approvals: Json | None = None,
    commits: Iterable[Json] = (),
    types: Mapping[str, str] | None = None,
) -> WorkItem:
    """A merge request with its commits (`contains` links), approvals and comments."""
    start = rp.opened(FORGE, mr, pull=True)
    activities, changes = start.activities, start.changes
    merged, closed = start.merged, start.closed
    merger = _username(mr.get("merge_user") or mr.get("merged_by"))
    if merged is not None:
        start.end("merged", merged, merger or None)
        if merger:
            activities.append(Activity(merger, "merged", merged))
    elif closed is not None:
        closer = _username(mr.get("closed_by"))
        start.end("closed", closed, closer or None)
    links = rp.body_links(mr, "description", _CLOSING)
    commits = list(commits)
    for commit in commits:
        sha = str(commit["id"])
        links.append(Link(sha, "contains"))
        who, when = commit.get("author_name"), parse_time(commit.get("authored_date"))
        if who and when:
            activities.append(Activity(str(who), "committed", when, sha))
    merged_as = mr.get("merge_commit_sha") or mr.get("squash_commit_sha")
    if merged is not None and merged_as:
        links.append(Link(str(merged_as), "merged_as"))
    notes = list(notes)
    for who, when in _approvals(approvals, notes, mr):
        activities.append(Activity(who, "reviewed", when, "approved"))
        changes.append(StateChange(when, "review", None, "approved", who))
    changes += _note_reviews(notes)
    activities += _comments(notes)
    return rp.forge_item(
        FORGE, repo_id, mr, start, links,
        key=merge_request_key(repo_id, mr["iid"]),
        kind="pull_request",
        external_id=str(mr["iid"]),
        state=mr.get("state"),
        closed_at=closed or merged,
        merged_at=merged,
        standard_type=standard_type(None, rp.labels(mr), types, default=None),
        branch=mr.get("source_branch"),
        base_branch=mr.get("target_branch"),
        commits=tuple(commit_ref(c) for c in commits),
    )  # fmt: skip


def commit_ref(commit: Json) -> CommitRef:
    """A commit of `/merge_requests/:iid/commits` (or a compare): sha, author and times."""
    name = str(commit.get("author_name") or "")
    return CommitRef(
        sha=str(commit["id"]).lower(),
        authored_at=parse_time(commit.get("authored_date")),
        committed_at=parse_time(commit.get("committed_date") or commit.get("created_at")),
        author=name or None,
        is_bot=bool(name) and is_bot(name, str(commit.get("author_email") or "")),
    )


def push_record(repo_id: str, payload: Json) -> Push:
    """A push hook's payload (`object_kind` push): ref, before, after and the pushed commits.

    Each commit's `timestamp` is taken as its authored time, as fourkeys reads it.
    """
    after = str(payload.get("after") or payload.get("checkout_sha")).lower()
    commits = []
    for commit in payload.get("commits") or ():
        author = commit.get("author") or {}
        name = str(author.get("name") or "")
        commits.append(
            CommitRef(
                sha=str(commit["id"]).lower(),
                authored_at=parse_time(commit.get("timestamp")),
                author=name or None,
                is_bot=bool(name) and is_bot(name, str(author.get("email") or "")),
            )
        )
    head = next((c for c in commits if c.sha == after), None)
    return rp.push(SOURCE, repo_id, payload, after, commits, head.authored_at if head else None)


def pipeline_builds(repo_id: str, pipeline: Json, jobs: Iterable[Json] = ()) -> list[Build]:
    """A pipeline and its jobs (retried ones too: `attempt` counts the tries of a job name).

    A pipeline answer from the list has no start or finish: they come from its jobs (the
    first start, the last finish), else from `updated_at` once it is finished.
    """
    jobs = sorted(jobs, key=lambda j: int(j["id"]))
    status = str(pipeline.get("status") or "")
    finished = status in FINISHED
    starts = [t for j in jobs if (t := parse_time(j.get("started_at"))) is not None]
    ends = [t for j in jobs if (t := parse_time(j.get("finished_at"))) is not None]
    workflow = pipeline.get("name") or "pipeline"
    build = Build(
        key=pipeline_key(repo_id, pipeline["id"]),
        source=SOURCE,
        external_id=str(pipeline["id"]),
        repo_id=repo_id,
        workflow=workflow,
        sha=pipeline.get("sha"),
        branch=pipeline.get("ref"),
        event=pipeline.get("source"),
        status="completed" if finished else status or None,
        conclusion=status if finished else None,
        queued_at=parse_time(pipeline.get("created_at")),
        started_at=parse_time(pipeline.get("started_at")) or min(starts, default=None),
        finished_at=(
            parse_time(pipeline.get("finished_at"))
            or max(ends, default=None)
            or parse_time(pipeline.get("updated_at"))
        )
        if finished
        else None,
        url=pipeline.get("web_url"),
        raw=canonical_json(pipeline),
    )
    tries: dict[str, int] = {}
    builds = [build]
    for job in jobs:
        name = str(job.get("name") or "")
        tries[name] = tries.get(name, 0) + 1
        builds.append(job_build(repo_id, job, workflow, tries[name], pipeline.get("source")))
    return builds


def job_build(
    repo_id: str,
    job: Json,
    workflow: str | None = None,
    attempt: int | None = None,
    event: str | None = None,
) -> Build:
    """One job of a pipeline."""
    status = str(job.get("status") or "")
    finished = status in FINISHED
    pipeline = job.get("pipeline") or {}
    return Build(
        key=f"{SOURCE}:build:{repo_id}:job:{job['id']}",
        source=SOURCE,
        external_id=str(job["id"]),
        repo_id=repo_id,
        workflow=workflow or "pipeline",
        job=job.get("name"),
        sha=(job.get("commit") or {}).get("id") or pipeline.get("sha"),
        branch=job.get("ref"),
        event=event,
        status="completed" if finished else status or None,
        conclusion=status if finished else None,
        attempt=attempt,
        queued_at=parse_time(job.get("created_at")),
        started_at=parse_time(job.get("started_at")),
        finished_at=parse_time(job.get("finished_at")) if finished else None,
        url=job.get("web_url"),
        raw=canonical_json(job),
    )


def deployment_record(
    repo_id: str, deployment: Json, environments: Mapping[int, Json] | None = None
) -> Deployment:
    """A deployment; with `environments` (id -> environment) its environment is the tier.

    Without them (or for an environment GitLab has no tier for) it is the environment's name.
    """
    env = deployment.get("environment") or {}
    known = (environments or {}).get(int(env["id"])) if env.get("id") is not None else None
    environment = env.get("name")
    if environments is not None:
        environment = (known or env).get("tier") or environment
    job = deployment.get("deployable") or {}
    status = deployment.get("status")
    finished = status in FINISHED
    return Deployment(
        key=deployment_key(repo_id, deployment["id"]),
        source=SOURCE,
        external_id=str(deployment["id"]),
        created_at=_time(deployment.get("created_at")),
        repo_id=repo_id,
        service=repo_id.rsplit("/", 1)[-1],
        environment=environment,
        sha=deployment.get("sha"),
        ref=deployment.get("ref"),
        status=status,
        finished_at=(
            parse_time(deployment.get("finished_at"))
            or parse_time(job.get("finished_at"))
            or parse_time(deployment.get("updated_at"))
        )
        if finished
        else None,
        url=job.get("web_url") or (known or env).get("external_url"),
        raw=canonical_json(deployment),
    )


# -- details -----------------------------------------------------------------------------------


def _from_state_events(
    events: list[Json], activities: list[Activity], changes: list[StateChange], links: list[Link]
) -> None:
    """Resource state events: closed, reopened (and their closing commit)."""
    state = "opened"
    for event in sorted(events, key=lambda e: (str(e.get("created_at")), int(e.get("id") or 0))):
        when = parse_time(event.get("created_at"))
        new = {"reopened": "opened"}.get(str(event.get("state")), str(event.get("state")))
        if when is None or new == state:
            continue
        who = _username(event.get("user"))
        changes.append(StateChange(when, "status", state, new, who or None))
        if who:
            activities.append(Activity(who, str(event.get("state")), when))
        commit = event.get("source_commit")
        if new == "closed" and isinstance(commit, str) and commit:
            links.append(Link(commit, "closed_by"))
        state = new


def _comments(notes: Iterable[Json]) -> list[Activity]:
    """People's notes (not GitLab's own system notes) as comments; a diff note names its file."""
    found = []
    for note in notes:
        who, when = _username(note.get("author")), parse_time(note.get("created_at"))
        if note.get("system") or not who or when is None:
            continue
        position = note.get("position") or {}
        found.append(Activity(who, "commented", when, position.get("new_path")))
    return found


def _note_reviews(notes: Iterable[Json]) -> list[StateChange]:
    """People's notes as reviews, as middleware reads them: a diff note requests changes, any
    other note comments (approvals come from the approvals answer)."""
    found = []
    for note in notes:
        who, when = _username(note.get("author")), parse_time(note.get("created_at"))
        if note.get("system") or not who or when is None:
            continue
        state = "changes_requested" if note.get("type") == "DiffNote" else "commented"
        found.append(StateChange(when, "review", None, state, who))
    return found


def _approvals(approvals: Json | None, notes: list[Json], mr: Json) -> list[tuple[str, datetime]]:
    """Who approved, and when: `approved_at` (GitLab 17.x and later), else the system note."""
    noted = {
        _username(n.get("author")): t
        for n in notes
        if n.get("system")
        and str(n.get("body") or "").strip() == _APPROVED_NOTE
        and (t := parse_time(n.get("created_at"))) is not None
    }
    found = []
    for entry in (approvals or {}).get("approved_by") or ():
        who = _username(entry.get("user"))
        when = (
            parse_time(entry.get("approved_at"))
            or noted.get(who)
            or parse_time(mr.get("merged_at"))
            or parse_time(mr.get("updated_at"))
        )
        if who and when is not None:
            found.append((who, when))
    return found


# -- small helpers -----------------------------------------------------------------------------


def _username(user: Any) -> str:
    return str(user.get("username") or "") if isinstance(user, dict) else ""


def _is_bot(user: Any) -> bool:
    if not isinstance(user, dict):
        return False
    return bool(user.get("bot")) or is_bot(str(user.get("username") or ""))


def _time(value: Any) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("a GitLab record without its created_at")
    return moment


FORGE = rp.Forge(SOURCE, "GitLab", body="description", user="author", url="web_url",
                 open_state="opened", person=_username, bot=_is_bot)  # fmt: skip
