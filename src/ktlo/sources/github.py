"""GitHub (github.com and Enterprise Server): issues, pull requests, Actions, deployments, releases.

Incremental and exact under concurrent edits: lists are read newest-updated first, so an
item edited while we page can only move to a page already read (it is caught by the next
run, whose window starts at the newest `updated_at` this run saw); the window's cursor is
written only once the whole window is stored. A run killed half-way re-reads the window,
and items stored unchanged (their raw JSON equal) cost no further requests.

    issues         /repos/{o}/{r}/issues?state=all&sort=updated&direction=desc&since=…
                   + /issues/{n}/timeline (state, labels, assignees, comments)
    pull requests  /repos/{o}/{r}/pulls?state=all&sort=updated&direction=desc (no `since`:
                   paging stops at the window) + /pulls/{n}/commits, /reviews, /comments
    actions        /repos/{o}/{r}/actions/runs + /actions/runs/{id}/jobs?filter=all
    deployments    /repos/{o}/{r}/deployments + /deployments/{id}/statuses
    releases       /repos/{o}/{r}/releases

Runs and deployments keep a window that starts at the oldest one still unfinished, so
their later status is picked up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from ktlo.errors import ConfigError, FatalSourceError, InputError
from ktlo.records import Build, Deployment, WorkItem
from ktlo.sources import github_records as gh
from ktlo.sources import github_saved
from ktlo.sources.api_source import ApiSource, Connection, Repository, ScopeRun, window_start
from ktlo.sources.base import Batch, Known, SourceOptions, file_batches, iso, latest, parse_time
from ktlo.sources.http import ApiClient, Credentials
from ktlo.sources.jsonfile import read_values
from ktlo.sources.option_types import Concurrency, PageSize, Since, StandardTypes, token_env
from ktlo.sources.pagination import Page

Section = Literal["issues", "pull_requests", "actions", "deployments", "releases"]
SECTIONS: tuple[Section, ...] = ("issues", "pull_requests", "actions", "deployments", "releases")
NEED = (
    "the repo scope (classic token), or read access to Issues, Pull requests, Actions, "
    "Deployments and Contents (fine-grained token)"
)
API_VERSION = "2022-11-28"
STUCK_AFTER = timedelta(
    days=3
)  # a run or deployment unfinished for longer stops holding the window


class GitHubOptions(SourceOptions):
    """[sources.github] in ktlo.toml; see docs/sources.md."""

    repos: list[Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$")]] = []
    orgs: list[Annotated[str, Field(pattern=r"^[\w.-]+$")]] = []  # and every repository of these
    archived: bool = False  # include the organisations' archived repositories
    base_url: str = Field("https://api.github.com", pattern=r"^https?://")
    token_env: str = token_env("GITHUB_TOKEN")
    include: list[Section] = list(SECTIONS)
    since: Since = None  # how far back the first sync reaches (default: everything)
    timeline: bool = True  # one request per changed issue for its history
    pull_request_details: bool = True  # three requests per changed pull request
    per_page: PageSize = 100
    concurrency: Concurrency = 4
    types: StandardTypes = {}


class GitHubSource(ApiSource):
    """Issues, pull requests, Actions runs, deployments and releases of some repositories."""

    kind = "github"
    Options = GitHubOptions
    options: GitHubOptions

    def connection(self) -> Connection:
        if not self.options.repos and not self.options.orgs:
            raise ConfigError(
                f"{self.name}: no repositories to sync",
                f'set repos = ["owner/name"] or orgs = ["owner"] under [sources.{self.name}] in ktlo.toml',
            )
        env = self.options.token_env
        return Connection(
            self.options.base_url,
            Credentials.bearer(env, self.token(env, NEED)),
            NEED,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
            concurrency=self.options.concurrency,
        )

    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        host = gh.web_host(self.options.base_url)
        for full_name in dict.fromkeys([*self.options.repos, *self._org_repos(api)]):
            repo = Repository(full_name, gh.repo_id_of(host, full_name))
            yield from _Run(self, api, known, repo).sections(self.options.include)

    def _org_repos(self, api: ApiClient) -> list[str]:
        """Every repository of `orgs` (`/orgs/{org}/repos`), archived ones only if asked."""
        names: list[str] = []
        for org in self.options.orgs:
            params = {"type": "all", "sort": "full_name", "per_page": self.options.per_page}
            for page in api.pages_by_link(f"orgs/{org}/repos", params):
                names += [
                    str(r["full_name"])
                    for r in page.items
                    if isinstance(r, dict) and r.get("full_name")
                    if self.options.archived or not r.get("archived")
                ]
        return names

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """A saved answer of any of the list endpoints above (e.g. `gh api --paginate`), with
        the details the DORA definitions read (`github_saved`)."""
        details = github_saved.gather(read_values(path))
        records: list[Any] = [
            r for line, value in details.rest for r in self._from_saved(path, line, value, details)
        ]
        for line, payload in details.pushes:
            repo = gh.repo_id_from_urls(payload.get("repository") or {})
            records.append(gh.push_record(repo or self._only_repo(path, line), payload))
        yield from file_batches(path, records)

    def _from_saved(
        self, path: Path, line: int, value: Any, details: github_saved.Details
    ) -> list[WorkItem | Deployment | Build]:
        if isinstance(value, dict) and isinstance(value.get("workflow_runs"), list):
            return [b for run in value["workflow_runs"] for b in self._saved(path, line, run)]
        if isinstance(value, dict) and isinstance(value.get("jobs"), list):
            return [b for job in value["jobs"] for b in self._saved(path, line, job)]
        return self._saved(path, line, value, details)

    def _saved(
        self, path: Path, line: int, record: Any, details: github_saved.Details | None = None
    ) -> list[WorkItem | Deployment | Build]:
        shape = _shape(record)
        if shape is None:
            raise InputError(
                f"{path} line {line}: not an issue, pull request, run, job, deployment or release",
                _SAVED_FIX,
            )
        repo_id = gh.repo_id_from_urls(record) or self._only_repo(path, line)
        types = self.options.types
        try:
            if shape == "run":
                return list(gh.run_builds(repo_id, record))
            if shape == "job":
                return [gh.job_build(repo_id, record)]
            if shape == "release":
                return [gh.release_record(repo_id, record)]
            details = details or github_saved.Details()
            if shape == "deployment":
                return [gh.deployment_record(repo_id, record, details.of_deployment(record))]
            if shape == "pull":
                commits, reviews = details.of_pull(record)
                return [gh.pull_item(repo_id, record, commits, reviews, types=types)]
            if shape == "issue_pull":
                merged = record["pull_request"].get("merged_at")
                return [gh.pull_item(repo_id, {**record, "merged_at": merged}, types=types)]
            return [gh.issue_item(repo_id, record, types=types)]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path} line {line}: a GitHub record without a usable {exc}", _SAVED_FIX
            ) from None

    def _only_repo(self, path: Path, line: int) -> str:
        if len(self.options.repos) == 1:
            return gh.repo_id_of(gh.web_host(self.options.base_url), self.options.repos[0])
        raise InputError(
            f"{path} line {line}: cannot tell which repository this record belongs to",
            f"save the API's answer whole (with its url fields), or set one repo under [sources.{self.name}]",
        )


_SAVED_FIX = "save the answer of a GitHub list endpoint as it came, e.g. gh api --paginate repos/OWNER/REPO/issues?state=all"


class _Run(ScopeRun[GitHubSource]):
    """One repository's sync: one generator per section, each yielding page batches."""

    def __init__(
        self, source: GitHubSource, api: ApiClient, known: Known, repo: Repository
    ) -> None:
        super().__init__(source, api, known)
        self.options = source.options
        self.repo = repo
        self.path = f"repos/{repo.path}"

    # -- issues and pull requests: a window of updated_at --------------------------------------

    def issues(self) -> Iterator[Batch]:
        scope = self.repo.scope("issues")
        since = self.since(scope, self.options.since)
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "desc"}
        params["per_page"] = self.options.per_page
        if since is not None:
            params["since"] = iso(since)
        newest = since
        for page in self._pages(f"{self.path}/issues", params):
            issues = [i for i in page.items if "pull_request" not in i]
            newest = latest(newest, [i.get("updated_at") for i in page.items])
            changed, unchanged = self.changed(
                "work_items", issues, self._issue_key, gh.issue_key(self.repo.repo_id, "")
            )
            yield self.batch(scope, unchanged=unchanged, **self._issues(scope, changed))
        yield from self.retry_missing(scope, "work_items", lambda i: self._issues(scope, i))
        yield from self.close_window(scope, newest, since)

    def _issues(self, scope: str, issues: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """Issues with their timelines (an issue whose timeline is gone: from its own dates)."""
        timelines = (
            self.details(scope, issues, self._timeline, self._issue_key)
            if self.options.timeline
            else [None] * len(issues)
        )
        with self.parsing():
            items = tuple(
                gh.issue_item(self.repo.repo_id, i, t, self.options.types)
                for i, t in zip(issues, timelines, strict=True)
            )
        return {"work_items": items}

    def _issue_key(self, issue: dict[str, Any]) -> str:
        return gh.issue_key(self.repo.repo_id, issue["number"])

    def pull_requests(self) -> Iterator[Batch]:
        scope = self.repo.scope("pull_requests")
        since = self.since(scope, self.options.since)
        params = {"state": "all", "sort": "updated", "direction": "desc",
                  "per_page": self.options.per_page}  # fmt: skip
        newest = since
        for page in self._pages(f"{self.path}/pulls", params):
            pulls = [p for p in page.items if since is None or _time(p, "updated_at") >= since]
            newest = latest(newest, [p.get("updated_at") for p in pulls])
            changed, unchanged = self.changed(
                "work_items", pulls, self._pull_key, gh.pull_key(self.repo.repo_id, "")
            )
            yield self.batch(scope, unchanged=unchanged, **self._pulls(scope, changed))
            if len(pulls) < len(page.items):
                break  # the rest is older than the window
        yield from self.retry_missing(scope, "work_items", lambda p: self._pulls(scope, p))
        yield from self.close_window(scope, newest, since)

    def _pulls(self, scope: str, pulls: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """Pull requests with their commits, reviews and comments (when not gone)."""
        details = (
            self.details(scope, pulls, self._pull_details, self._pull_key)
            if self.options.pull_request_details
            else [None] * len(pulls)
        )
        with self.parsing():
            items = []
            for pull, found in zip(pulls, details, strict=True):
                commits, reviews, comments = found or ((), (), ())
                items.append(gh.pull_item(self.repo.repo_id, pull, commits, reviews, comments,
                                          types=self.options.types))  # fmt: skip
        return {"work_items": tuple(items)}

    def _pull_key(self, pull: dict[str, Any]) -> str:
        return gh.pull_key(self.repo.repo_id, pull["number"])

    def _timeline(self, issue: dict[str, Any]) -> list[Any]:
        return self._all(f"{self.path}/issues/{issue['number']}/timeline")

    def _pull_details(self, pull: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
        base = f"{self.path}/pulls/{pull['number']}"
        return (
            self._all(f"{base}/commits"),
            self._all(f"{base}/reviews"),
            self._all(f"{base}/comments"),
        )

    # -- runs, deployments, releases: a window of created_at -------------------------------------

    def actions(self) -> Iterator[Batch]:
        scope = self.repo.scope("actions")
        since = self.since(scope, self.options.since)
        newest: datetime | None = None
        unfinished: list[datetime] = []
        for page in self._pages(
            f"{self.path}/actions/runs", {"per_page": self.options.per_page}, "workflow_runs"
        ):
            runs = [r for r in page.items if since is None or _time(r, "created_at") >= since]
            newest = latest(newest, [r.get("created_at") for r in runs])
            unfinished += [_time(r, "created_at") for r in runs if r.get("status") != "completed"]
            changed, unchanged = self.changed(
                "builds", runs, self._run_key, gh.build_prefix(self.repo.repo_id)
            )
            yield self.batch(scope, unchanged=unchanged, **self._runs(scope, changed))
            if len(runs) < len(page.items):
                break
        yield from self.retry_missing(scope, "builds", lambda r: self._runs(scope, r))
        yield from self.close_window(scope, _window_start(newest, unfinished), since)

    def _runs(self, scope: str, runs: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """Workflow runs and the jobs of every attempt (none when they are gone)."""
        jobs = self.details(scope, runs, self._jobs, self._run_key)
        with self.parsing():
            builds = tuple(
                b
                for run, js in zip(runs, jobs, strict=True)
                for b in gh.run_builds(self.repo.repo_id, run, js or ())
            )
        return {"builds": builds}

    def _run_key(self, run: dict[str, Any]) -> str:
        return gh.run_key(self.repo.repo_id, run)

    def _jobs(self, run: dict[str, Any]) -> list[Any]:
        return self._all(f"{self.path}/actions/runs/{run['id']}/jobs", {"filter": "all"}, "jobs")

    def deployments(self) -> Iterator[Batch]:
        scope = self.repo.scope("deployments")
        since = self.since(scope, self.options.since)
        newest: datetime | None = None
        unfinished: list[datetime] = []
        for page in self._pages(f"{self.path}/deployments", {"per_page": self.options.per_page}):
            found = [d for d in page.items if since is None or _time(d, "created_at") >= since]
            records = self._deployments(scope, found)
            newest = latest(newest, [d.get("created_at") for d in found])
            unfinished += [r.created_at for r in records["deployments"] if r.finished_at is None]
            yield self.batch(scope, **records)
            if len(found) < len(page.items):
                break
        yield from self.retry_missing(scope, "deployments", lambda d: self._deployments(scope, d))
        yield from self.close_window(scope, _window_start(newest, unfinished), since)

    def _deployments(self, scope: str, found: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """Deployments with their statuses (pending when the statuses are gone)."""
        statuses = self.details(
            scope,
            found,
            lambda d: self._all(f"{self.path}/deployments/{d['id']}/statuses"),
            lambda d: gh.deployment_key(self.repo.repo_id, d),
        )
        with self.parsing():
            records = tuple(
                gh.deployment_record(self.repo.repo_id, d, s or ())
                for d, s in zip(found, statuses, strict=True)
            )
        return {"deployments": records}

    def releases(self) -> Iterator[Batch]:
        scope = self.repo.scope("releases")
        since = self.since(scope, self.options.since)
        newest: datetime | None = None
        for page in self._pages(f"{self.path}/releases", {"per_page": self.options.per_page}):
            found = [r for r in page.items if since is None or _time(r, "created_at") >= since]
            newest = latest(newest, [r.get("created_at") for r in found])
            with self.parsing():
                records = tuple(gh.release_record(self.repo.repo_id, r) for r in found)
            yield self.batch(scope, deployments=records)
            if len(found) < len(page.items):
                break
        yield from self.close_window(scope, newest, since)

    # -- shared --------------------------------------------------------------------------------

    def _pages(
        self, path: str, params: dict[str, Any], items_key: str | None = None
    ) -> Iterator[Page]:
        self.begin()
        for page in self.api.pages_by_link(path, params, items_key=items_key):
            if any(not isinstance(item, dict) for item in page.items):
                raise FatalSourceError(
                    f"{self.source.name}: {path} answered with something other than objects",
                    "check base_url in ktlo.toml",
                )
            yield page

    def _all(
        self, path: str, params: dict[str, Any] | None = None, items_key: str | None = None
    ) -> list[Any]:
        query = {"per_page": 100, **(params or {})}
        return [
            item
            for page in self.api.pages_by_link(path, query, items_key=items_key)
            for item in page.items
        ]


def _shape(record: Any) -> str | None:
    """Which list endpoint a saved record came from, by the fields GitHub documents for it."""
    if not isinstance(record, dict):
        return None
    if "workflow_id" in record and "run_attempt" in record:
        return "run"
    if "run_id" in record and "steps" in record:
        return "job"
    if "tag_name" in record:
        return "release"
    if "environment" in record and "task" in record:
        return "deployment"
    if "head" in record and "base" in record:
        return "pull"
    if isinstance(record.get("pull_request"), dict):
        return "issue_pull"
    if "number" in record and "title" in record:
        return "issue"
    return None


def _time(record: dict[str, Any], name: str) -> datetime:
    moment = parse_time(record.get(name))
    if moment is None:
        raise FatalSourceError(f"github: a record without {name}", "check base_url in ktlo.toml")
    return moment


def _window_start(newest: datetime | None, unfinished: list[datetime]) -> datetime | None:
    """Where the next run's window starts: the oldest unfinished record, unless stuck for days."""
    return None if newest is None else window_start(newest, unfinished, STUCK_AFTER)
