"""GitHub's JSON (as its REST API documents it) turned into ktlo records. No network here.

Keys: `github:issue:<repo_id>:<number>`, `github:pull_request:<repo_id>:<number>`,
`github:build:<repo_id>:<run_id>:<attempt>` (a workflow run), `github:build:<repo_id>:job:<id>`,
`github:deployment:<repo_id>:<id>`, `github:release:<repo_id>:<id>`, where `repo_id` is
`host/owner/name` as the git source writes it (`github.com/acme/shop`), so GitHub records
and commits of the same repository meet.
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

SOURCE = "github"
Json = Mapping[str, Any]

_CLOSING = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+((?:[\w.-]+/[\w.-]+)?#[1-9]\d*|[A-Z][A-Z0-9]{1,9}-[1-9]\d*)\b",
    re.IGNORECASE,
)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_FINISHED_DEPLOYMENT = frozenset({"success", "failure", "error"})
_URL_REPO = re.compile(
    r"^https?://(?P<host>[^/]+)/(?:api/v3/)?(?:repos/)?(?P<owner>[^/]+)/(?P<name>[^/]+)/"
)


def web_host(base_url: str) -> str:
    """github.com for the public API; the server's host (without its port) for Enterprise.

    GitHub Enterprise Cloud with data residency answers its API at `api.SUBDOMAIN.ghe.com`
    and its web and git at `SUBDOMAIN.ghe.com`.
    """
    host = repo_ids.host_of(base_url)
    if host == "api.github.com" or (host.startswith("api.") and host.endswith(".ghe.com")):
        return host.removeprefix("api.")
    return host


def repo_id_of(host: str, full_name: str) -> str:
    """`host/owner/name`, named by the rule every source shares (`ktlo.sources.repo_ids`)."""
    return repo_ids.repo_id(host, full_name)


def repo_id_from_urls(record: Json) -> str | None:
    """The repository of a record saved without context, from its html_url or url."""
    for name in ("html_url", "repository_url", "url"):
        match = _URL_REPO.match(str(record.get(name) or "") + "/")
        if match:
            host = web_host(f"https://{match['host']}")
            return repo_id_of(host, f"{match['owner']}/{match['name']}")
    return None


def issue_key(repo_id: str, number: int | str) -> str:
    return f"{SOURCE}:issue:{repo_id}:{number}"


def pull_key(repo_id: str, number: int | str) -> str:
    return f"{SOURCE}:pull_request:{repo_id}:{number}"


def deployment_key(repo_id: str, deployment: Json) -> str:
    return f"{SOURCE}:deployment:{repo_id}:{deployment['id']}"


def build_prefix(repo_id: str) -> str:
    return f"{SOURCE}:build:{repo_id}:"


def run_key(repo_id: str, run: Json) -> str:
    return f"{build_prefix(repo_id)}{run['id']}:{run.get('run_attempt') or 1}"


def issue_item(
    repo_id: str,
    issue: Json,
    timeline: Iterable[Json] | None = None,
    types: Mapping[str, str] | None = None,
) -> WorkItem:
    """An issue, its history from its timeline (or from its own dates when there is none)."""
    labels = rp.labels(issue)
    kind = issue.get("type")
    issue_type = (
        kind.get("name") if isinstance(kind, dict) else kind if isinstance(kind, str) else None
    )
    start = rp.opened(FORGE, issue, pull=False)
    events = list(timeline) if timeline is not None else None
    links = rp.body_links(issue, "body", _CLOSING)
    if events is None:
        if start.closed is not None:
            start.end("closed", start.closed)
    else:
        _from_timeline(events, start.activities, start.changes, links)
    return rp.forge_item(
        FORGE, repo_id, issue, start, links,
        key=issue_key(repo_id, issue["number"]),
        kind="issue",
        external_id=str(issue["number"]),
        state=issue.get("state"),
        closed_at=start.closed,
        issue_type=issue_type,
        standard_type=standard_type(issue_type, labels, types),
        refs=_refs(links),
    )  # fmt: skip


def pull_item(
    repo_id: str,
    pull: Json,
    commits: Iterable[Json] = (),
    reviews: Iterable[Json] = (),
    comments: Iterable[Json] = (),
    types: Mapping[str, str] | None = None,
) -> WorkItem:
    """A pull request with its commits (as `contains` links), reviews and review comments."""
    start = rp.opened(FORGE, pull, pull=True)
    activities, changes, merged = start.activities, start.changes, start.merged
    if merged is not None:
        start.end("merged", merged)
    elif start.closed is not None:
        start.end("closed", start.closed)
    links = rp.body_links(pull, "body", _CLOSING)
    commits = list(commits)
    for commit in commits:
        sha = str(commit["sha"])
        links.append(Link(sha, "contains"))
        who = _login(commit.get("author")) or (commit.get("commit", {}).get("author") or {}).get(
            "name"
        )
        when = parse_time((commit.get("commit", {}).get("author") or {}).get("date"))
        if who and when:
            activities.append(Activity(who, "committed", when, sha))
    if merged is not None and pull.get("merge_commit_sha"):
        links.append(Link(str(pull["merge_commit_sha"]), "merged_as"))
    for review in reviews:
        who, when = _login(review.get("user")), parse_time(review.get("submitted_at"))
        if who and when:
            state = str(review.get("state") or "").lower() or None
            activities.append(Activity(who, "reviewed", when, state))
            changes.append(StateChange(when, "review", None, state, who))
    for comment in comments:
        who, when = _login(comment.get("user")), parse_time(comment.get("created_at"))
        if who and when:
            activities.append(Activity(who, "commented", when, comment.get("path")))
    return rp.forge_item(
        FORGE, repo_id, pull, start, links,
        key=pull_key(repo_id, pull["number"]),
        kind="pull_request",
        external_id=str(pull["number"]),
        state="merged" if merged is not None else pull.get("state"),
        closed_at=start.closed,
        merged_at=merged,
        standard_type=standard_type(None, rp.labels(pull), types, default=None),
        branch=(pull.get("head") or {}).get("ref"),
        refs=_refs(links),
        base_branch=(pull.get("base") or {}).get("ref"),
        commits=tuple(commit_ref(c) for c in commits),
    )  # fmt: skip


def commit_ref(commit: Json) -> CommitRef:
    """A commit of `/pulls/{n}/commits` (or `/compare`): its sha, author and committer times."""
    git = commit.get("commit") or {}
    user = commit.get("author")
    name = _login(user) or str((git.get("author") or {}).get("name") or "")
    return CommitRef(
        sha=str(commit["sha"]).lower(),
        authored_at=parse_time((git.get("author") or {}).get("date")),
        committed_at=parse_time((git.get("committer") or {}).get("date")),
        author=name or None,
        is_bot=_is_bot(user) or (bool(name) and is_bot(name)),
    )


def push_record(repo_id: str, payload: Json) -> Push:
    """A `push` webhook's payload: the ref, before and after, and the pushed commits.

    Each commit's `timestamp` is taken as its authored time (fourkeys reads it as the
    commit's time).
    """
    after = str(payload["after"]).lower()
    commits = []
    for commit in payload.get("commits") or ():
        author = commit.get("author") or {}
        name = str(author.get("username") or author.get("name") or "")
        commits.append(
            CommitRef(
                sha=str(commit["id"]).lower(),
                authored_at=parse_time(commit.get("timestamp")),
                author=name or None,
                is_bot=bool(name) and is_bot(name),
            )
        )
    head = payload.get("head_commit") or {}
    return rp.push(SOURCE, repo_id, payload, after, commits, parse_time(head.get("timestamp")))


def run_builds(repo_id: str, run: Json, jobs: Iterable[Json] = ()) -> list[Build]:
    """A workflow run (its latest attempt) and its jobs, of every attempt."""
    completed = run.get("status") == "completed"
    builds = [
        Build(
            key=run_key(repo_id, run),
            source=SOURCE,
            external_id=str(run["id"]),
            repo_id=repo_id,
            workflow=run.get("name"),
            sha=run.get("head_sha"),
            branch=run.get("head_branch"),
            event=run.get("event"),
            status=run.get("status"),
            conclusion=run.get("conclusion"),
            attempt=run.get("run_attempt"),
            queued_at=parse_time(run.get("created_at")),
            started_at=parse_time(run.get("run_started_at")),
            finished_at=parse_time(run.get("updated_at")) if completed else None,
            url=run.get("html_url"),
            raw=canonical_json(run),
        )
    ]
    builds += [job_build(repo_id, job, run) for job in jobs]
    return builds


def job_build(repo_id: str, job: Json, run: Json | None = None) -> Build:
    """One job of a workflow run, of any attempt."""
    run = run or {}
    return Build(
        key=f"{build_prefix(repo_id)}job:{job['id']}",
        source=SOURCE,
        external_id=str(job["id"]),
        repo_id=repo_id,
        workflow=job.get("workflow_name") or run.get("name"),
        job=job.get("name"),
        sha=job.get("head_sha"),
        branch=job.get("head_branch"),
        event=run.get("event"),
        status=job.get("status"),
        conclusion=job.get("conclusion"),
        attempt=job.get("run_attempt"),
        queued_at=parse_time(job.get("created_at")),
        started_at=parse_time(job.get("started_at")),
        finished_at=parse_time(job.get("completed_at")),
        url=job.get("html_url"),
        raw=canonical_json(job),
    )


def deployment_record(repo_id: str, deployment: Json, statuses: Iterable[Json] = ()) -> Deployment:
    """A deployment; its status is the latest status that is not `inactive` (superseded)."""
    ordered = sorted(statuses, key=lambda s: (str(s.get("created_at")), int(s.get("id") or 0)))
    meaningful = [s for s in ordered if s.get("state") != "inactive"]
    latest = meaningful[-1] if meaningful else None
    finished = next((s for s in meaningful if s.get("state") in _FINISHED_DEPLOYMENT), None)
    return Deployment(
        key=deployment_key(repo_id, deployment),
        source=SOURCE,
        external_id=str(deployment["id"]),
        created_at=_time(deployment.get("created_at")),
        repo_id=repo_id,
        service=repo_id.rsplit("/", 1)[-1],
        environment=deployment.get("environment"),
        sha=deployment.get("sha"),
        ref=deployment.get("ref"),
        status=latest.get("state") if latest else "pending",
        finished_at=parse_time(finished.get("created_at")) if finished else None,
        url=(latest or {}).get("log_url") or (latest or {}).get("target_url") or None,
        raw=canonical_json(deployment),
    )


def release_record(repo_id: str, release: Json) -> Deployment:
    """A release, stored as a deployment to the `release` (or `prerelease`) environment."""
    published = parse_time(release.get("published_at"))
    target = str(release.get("target_commitish") or "")
    return Deployment(
        key=f"{SOURCE}:release:{repo_id}:{release['id']}",
        source=SOURCE,
        external_id=str(release["id"]),
        created_at=published or _time(release.get("created_at")),
        repo_id=repo_id,
        service=repo_id.rsplit("/", 1)[-1],
        environment="prerelease" if release.get("prerelease") else "release",
        sha=target if _SHA.match(target) else None,
        ref=release.get("tag_name"),
        status="draft" if release.get("draft") else "success",
        finished_at=published,
        url=release.get("html_url"),
        raw=canonical_json(release),
    )


# -- timeline ----------------------------------------------------------------------------------


def _from_timeline(
    events: list[Json], activities: list[Activity], changes: list[StateChange], links: list[Link]
) -> None:
    """Issue timeline events -> activities and state changes (and links to closing commits)."""
    for event in events:
        kind = event.get("event")
        actor = _login(event.get("actor")) or _login(event.get("user"))
        when = parse_time(event.get("created_at") or event.get("submitted_at"))
        if when is None:
            continue
        if kind == "commented" and actor:
            activities.append(Activity(actor, "commented", when))
        elif kind in ("closed", "reopened"):
            before, after = ("open", "closed") if kind == "closed" else ("closed", "open")
            changes.append(StateChange(when, "status", before, after, actor or None))
            if actor:
                activities.append(Activity(actor, kind, when, event.get("state_reason")))
            if kind == "closed" and event.get("commit_id"):
                links.append(Link(str(event["commit_id"]), "closed_by"))
        elif kind in _FIELD_EVENTS:
            field, adds, value = _FIELD_EVENTS[kind]
            name = value(event)
            changes.append(
                StateChange(
                    when, field, None if adds else name, name if adds else None, actor or None
                )
            )
        elif kind == "renamed":
            rename = event.get("rename") or {}
            changes.append(
                StateChange(when, "title", rename.get("from"), rename.get("to"), actor or None)
            )


def _label_name(event: Json) -> str | None:
    return (event.get("label") or {}).get("name")


def _assignee_name(event: Json) -> str | None:
    return _login(event.get("assignee")) or None


def _milestone_name(event: Json) -> str | None:
    return (event.get("milestone") or {}).get("title")


_FIELD_EVENTS = {
    "labeled": ("label", True, _label_name),
    "unlabeled": ("label", False, _label_name),
    "assigned": ("assignee", True, _assignee_name),
    "unassigned": ("assignee", False, _assignee_name),
    "milestoned": ("milestone", True, _milestone_name),
    "demilestoned": ("milestone", False, _milestone_name),
}


# -- small helpers -----------------------------------------------------------------------------


def _login(user: Any) -> str:
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _is_bot(user: Any) -> bool:
    if not isinstance(user, dict):
        return False
    return user.get("type") == "Bot" or is_bot(str(user.get("login") or ""))


def _refs(links: list[Link]) -> tuple[str, ...]:
    """The references written in the text (the links `record_parts.body_links` found), for `work_items.refs`."""
    return tuple(link.to_ref for link in links if link.kind in ("fixes", "mentions"))


def _time(value: Any) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("a GitHub record without its created_at")
    return moment


FORGE = rp.Forge(SOURCE, "GitHub", body="body", user="user", url="html_url", open_state="open",
                 person=_login, bot=_is_bot)  # fmt: skip
