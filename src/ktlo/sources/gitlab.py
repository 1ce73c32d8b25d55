"""GitLab (gitlab.com and self-managed): issues, merge requests, pipelines, deployments.

Every list is read newest-updated first from where the previous run stopped
(`updated_after`), so an item edited while we page can only move to a page already read;
it is caught by the next run, whose window starts at the newest `updated_at` this run saw.
The window's cursor is written only once the whole window is stored, and items stored
unchanged (their raw JSON equal) cost no further requests.

    issues          /projects/:id/issues?order_by=updated_at&sort=desc&updated_after=…
                    + /issues/:iid/notes, /issues/:iid/resource_state_events
    merge requests  /projects/:id/merge_requests?state=all&order_by=updated_at&sort=desc&…
                    + /merge_requests/:iid/notes, /approvals, /commits
    pipelines       /projects/:id/pipelines?order_by=updated_at&sort=desc&updated_after=…
                    + /pipelines/:id/jobs?include_retried=true
    deployments     /projects/:id/deployments?order_by=updated_at&sort=desc&updated_after=…
                    + /projects/:id/environments (their tiers)

Pages are followed through the `Link` header GitLab sends (offset or keyset pagination
alike), or through `X-Next-Page` when a proxy dropped the `Link` header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from pydantic import Field

from ktlo.errors import ConfigError, FatalSourceError, InputError
from ktlo.records import Build, Deployment, WorkItem
from ktlo.sources import gitlab_records as gl
from ktlo.sources import gitlab_saved
from ktlo.sources.api_source import ApiSource, Connection, Json, Repository, ScopeRun
from ktlo.sources.base import Batch, Known, SourceOptions, file_batches, iso, latest
from ktlo.sources.http import ApiClient, Credentials
from ktlo.sources.jsonfile import read_values
from ktlo.sources.option_types import Concurrency, PageSize, Since, StandardTypes, token_env
from ktlo.sources.pagination import Page

Section = Literal["issues", "merge_requests", "pipelines", "deployments"]
SECTIONS: tuple[Section, ...] = ("issues", "merge_requests", "pipelines", "deployments")
T = TypeVar("T")
NEED = "the read_api scope (a personal, group or project access token)"


class GitLabOptions(SourceOptions):
    """[sources.gitlab] in ktlo.toml; see docs/sources.md."""

    projects: list[Annotated[str, Field(pattern=r"^[\w.-]+(?:/[\w.-]+)+$")]] = []
    groups: list[
        Annotated[str, Field(pattern=r"^[\w.-]+(?:/[\w.-]+)*$")]
    ] = []  # and their projects
    archived: bool = False  # include the groups' archived projects
    base_url: str = Field("https://gitlab.com", pattern=r"^https?://[^/]+")
    token_env: str = token_env("GITLAB_TOKEN")
    auth: Literal["private-token", "bearer"] = "private-token"
    include: list[Section] = list(SECTIONS)
    since: Since = None  # how far back the first sync reaches (default: everything)
    details: bool = True  # notes, state events, approvals, commits, jobs of changed records
    pagination: Literal["offset", "keyset"] = "offset"  # issues: keyset needs GitLab 18.3+
    environment: Literal["tier", "name"] = "tier"  # what a deployment's environment is
    per_page: PageSize = 100
    concurrency: Concurrency = 4
    types: StandardTypes = {}


class GitLabSource(ApiSource):
    """Issues, merge requests, pipelines and deployments of some GitLab projects."""

    kind = "gitlab"
    Options = GitLabOptions
    options: GitLabOptions

    def connection(self) -> Connection:
        if not self.options.projects and not self.options.groups:
            raise ConfigError(
                f"{self.name}: no projects to sync",
                f'set projects = ["group/project"] or groups = ["group"] under [sources.{self.name}] in ktlo.toml',
            )
        env = self.options.token_env
        token = self.token(env, NEED)
        credentials = (
            Credentials.bearer(env, token)
            if self.options.auth == "bearer"
            else Credentials.in_header(env, token, "PRIVATE-TOKEN")
        )
        root = gl.web_root(self.options.base_url)
        return Connection(f"{root}/api/v4", credentials, NEED, concurrency=self.options.concurrency)

    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        root = gl.web_root(self.options.base_url)
        for path in dict.fromkeys([*self.options.projects, *self._group_projects(api)]):
            run = _Run(self, api, known, Repository(path, gl.repo_id_of(root, path)))
            yield from run.sections(self.options.include)

    def _group_projects(self, api: ApiClient) -> list[str]:
        """Every project of `groups` and their subgroups, archived ones only if asked."""
        names: list[str] = []
        for group in self.options.groups:
            params: dict[str, Any] = {"include_subgroups": "true", "order_by": "path",
                                      "per_page": self.options.per_page}  # fmt: skip
            if not self.options.archived:
                params["archived"] = "false"
            path = f"groups/{quote(group, safe='')}/projects"
            for page in api.pages_by_link(path, params, next_page_header="X-Next-Page"):
                names += [
                    str(p["path_with_namespace"])
                    for p in page.items
                    if isinstance(p, dict) and p.get("path_with_namespace")
                ]
        return names

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """A saved answer of any of the list endpoints above (e.g. `glab api --paginate`)."""
        details = gitlab_saved.gather(read_values(path))
        flat: list[Any] = [
            r for line, value in details.rest for r in self._saved(path, line, value, details)
        ]
        for line, payload in details.pushes:
            repo = gl.repo_id_from_project_url(str((payload.get("project") or {}).get("web_url")))
            flat.append(gl.push_record(repo or self._only_project(path, line), payload))
        yield from file_batches(path, flat)

    def _saved(
        self, path: Path, line: int, record: Any, details: gitlab_saved.Details | None = None
    ) -> list[WorkItem | Deployment | Build]:
        shape = _shape(record)
        if shape is None:
            raise InputError(
                f"{path} line {line}: not a GitLab issue, merge request, pipeline, job or deployment",
                _SAVED_FIX,
            )
        repo_id = gl.repo_id_from_url(record) or self._only_project(path, line)
        types = self.options.types
        try:
            if shape == "deployment":
                return [gl.deployment_record(repo_id, record)]
            if shape == "job":
                return [gl.job_build(repo_id, record)]
            if shape == "pipeline":
                return list(gl.pipeline_builds(repo_id, record))
            if shape == "merge_request":
                notes, approvals, commits = (details or gitlab_saved.Details()).of_merge_request(
                    record
                )
                return [gl.merge_request_item(repo_id, record, notes, approvals, commits, types)]
            return [gl.issue_item(repo_id, record, types=types)]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path} line {line}: a GitLab record without a usable {exc}", _SAVED_FIX
            ) from None

    def _only_project(self, path: Path, line: int) -> str:
        if len(self.options.projects) == 1:
            root = gl.web_root(self.options.base_url)
            return gl.repo_id_of(root, self.options.projects[0])
        raise InputError(
            f"{path} line {line}: cannot tell which project this record belongs to",
            f"save the API's answer whole (with its web_url), or set one project under [sources.{self.name}]",
        )


_SAVED_FIX = (
    "save the answer of a GitLab list endpoint as it came, "
    "e.g. glab api --paginate 'projects/GROUP%2FPROJECT/issues'"
)


class _Run(ScopeRun[GitLabSource]):
    """One project's sync: one generator per section, each yielding page batches."""

    def __init__(
        self, source: GitLabSource, api: ApiClient, known: Known, project: Repository
    ) -> None:
        super().__init__(source, api, known)
        self.options = source.options
        self.project = project
        self.path = f"projects/{quote(project.path, safe='')}"
        self._environments: dict[int, Json] | None = None

    # -- sections ------------------------------------------------------------------------------

    def issues(self) -> Iterator[Batch]:
        extra = {"pagination": "keyset"} if self.options.pagination == "keyset" else {}
        yield from self._window("issues", extra, "work_items", self._issue_key, self._issue_records)

    def merge_requests(self) -> Iterator[Batch]:
        yield from self._window(
            "merge_requests", {"state": "all"}, "work_items", self._merge_request_key,
            self._merge_request_records,
        )  # fmt: skip

    def pipelines(self) -> Iterator[Batch]:
        yield from self._window(
            "pipelines", {}, "builds", self._pipeline_key, self._pipeline_records
        )

    def deployments(self) -> Iterator[Batch]:
        yield from self._window(
            "deployments",
            {},
            "deployments",
            lambda d: gl.deployment_key(self.project.repo_id, d["id"]),
            self._deployment_records,
        )

    # -- records of changed items, with their details --------------------------------------------

    def _issue_records(self, scope: str, issues: list[Json]) -> dict[str, tuple[Any, ...]]:
        repo_id, types = self.project.repo_id, self.options.types

        def details(issue: Json) -> tuple[list[Any], list[Any]]:
            base = f"{self.path}/issues/{issue['iid']}"
            return self._all(f"{base}/notes", _NOTES), self._all(f"{base}/resource_state_events")

        found = self._details(scope, issues, details, self._issue_key)
        with self.parsing():
            items = tuple(
                gl.issue_item(repo_id, i, *d, types)
                if d
                else gl.issue_item(repo_id, i, types=types)
                for i, d in zip(issues, found, strict=True)
            )
        return {"work_items": items}

    def _merge_request_records(self, scope: str, mrs: list[Json]) -> dict[str, tuple[Any, ...]]:
        repo_id, types = self.project.repo_id, self.options.types

        def details(mr: Json) -> tuple[list[Any], Any, list[Any]]:
            base = f"{self.path}/merge_requests/{mr['iid']}"
            approvals = self.api.get_json(f"{base}/approvals")
            return self._all(f"{base}/notes", _NOTES), approvals, self._all(f"{base}/commits")

        found = self._details(scope, mrs, details, self._merge_request_key)
        with self.parsing():
            items = tuple(
                gl.merge_request_item(repo_id, m, *d, types)
                if d
                else gl.merge_request_item(repo_id, m, types=types)
                for m, d in zip(mrs, found, strict=True)
            )
        return {"work_items": items}

    def _pipeline_records(self, scope: str, pipelines: list[Json]) -> dict[str, tuple[Any, ...]]:
        def jobs(pipeline: Json) -> list[Any]:
            path = f"{self.path}/pipelines/{pipeline['id']}/jobs"
            return self._all(path, {"include_retried": "true"})

        found = self._details(scope, pipelines, jobs, self._pipeline_key)
        with self.parsing():
            builds = tuple(
                b
                for p, js in zip(pipelines, found, strict=True)
                for b in gl.pipeline_builds(self.project.repo_id, p, js or ())
            )
        return {"builds": builds}

    def _details(
        self,
        scope: str,
        records: list[Json],
        fetch: Callable[[Json], T],
        key: Callable[[Json], str],
    ) -> list[T | None]:
        """Each record's details (None where gone, or where `details = false` asks for none)."""
        if not self.options.details:
            return [None] * len(records)
        return self.details(scope, records, fetch, key)

    def _issue_key(self, issue: Json) -> str:
        return gl.issue_key(self.project.repo_id, issue["iid"])

    def _merge_request_key(self, mr: Json) -> str:
        return gl.merge_request_key(self.project.repo_id, mr["iid"])

    def _pipeline_key(self, pipeline: Json) -> str:
        return gl.pipeline_key(self.project.repo_id, pipeline["id"])

    def _deployment_records(
        self, scope: str, deployments: list[Json]
    ) -> dict[str, tuple[Any, ...]]:
        environments = self._tiers() if deployments and self.options.environment == "tier" else None
        with self.parsing():
            records = tuple(
                gl.deployment_record(self.project.repo_id, d, environments) for d in deployments
            )
        return {"deployments": records}

    def _tiers(self) -> dict[int, Json]:
        """The project's environments by id, read once per sync (their tier and URL)."""
        if self._environments is None:
            found = self._all(f"{self.path}/environments")
            self._environments = {int(e["id"]): e for e in found if isinstance(e, dict)}
        return self._environments

    # -- the window ------------------------------------------------------------------------------

    def _window(
        self,
        section: str,
        extra: dict[str, Any],
        table: str,
        key: Callable[[Json], str],
        records: Callable[[str, list[Json]], dict[str, tuple[Any, ...]]],
    ) -> Iterator[Batch]:
        """Read `section` newest-updated first from the cursor, then move the cursor."""
        scope = self.project.scope(section)
        since = self.since(scope, self.options.since)
        params: dict[str, Any] = {
            **extra,
            "order_by": "updated_at",
            "sort": "desc",
            "per_page": self.options.per_page,
        }
        if since is not None:
            params["updated_after"] = iso(since)
        newest = since
        for page in self._pages(f"{self.path}/{section}", params):
            newest = latest(newest, [r.get("updated_at") for r in page.items])
            changed, unchanged = self.changed(table, page.items, key)
            yield self.batch(scope, unchanged=unchanged, **records(scope, changed))
        yield from self.retry_missing(scope, table, lambda items: records(scope, items))
        yield from self.close_window(scope, newest, since)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[Page]:
        self.begin()
        for page in self.api.pages_by_link(path, params, next_page_header="x-next-page"):
            if any(not isinstance(item, dict) for item in page.items):
                raise FatalSourceError(
                    f"{self.source.name}: {path} answered with something other than objects",
                    "check base_url in ktlo.toml (the GitLab root, e.g. https://gitlab.example.com)",
                )
            yield page

    def _all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        query = {"per_page": 100, **(params or {})}
        pages = self.api.pages_by_link(path, query, next_page_header="x-next-page")
        return [item for page in pages for item in page.items]


_NOTES = {"sort": "asc", "order_by": "created_at"}


def _shape(record: Any) -> str | None:
    """Which list endpoint a saved record came from, by the fields GitLab documents for it."""
    if not isinstance(record, dict):
        return None
    if "deployable" in record and "environment" in record:
        return "deployment"
    if "stage" in record and "pipeline" in record:
        return "job"
    if "source_branch" in record and "target_branch" in record:
        return "merge_request"
    if "iid" in record and "sha" in record and "status" in record:
        return "pipeline"
    if "iid" in record and "title" in record:
        return "issue"
    return None
