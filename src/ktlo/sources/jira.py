"""Jira (Cloud and Data Center): the issues a JQL query finds, with history, comments, sprints.

    Cloud        GET /rest/api/3/search/jql?jql=…&fields=…&expand=changelog, paged by
                 nextPageToken (the old /rest/api/3/search answers 410 Gone)
                 + /rest/api/3/issue/{id}/changelog and /comment when the search truncated them
    Data Center  GET /rest/api/2/search?jql=…&fields=…&expand=changelog, paged by startAt
                 + /rest/api/2/issue/{id}?expand=changelog and /comment likewise

Incremental: the query is `(<jql>) AND updated >= "<cursor>" ORDER BY updated DESC`, where
the cursor is the newest `updated` the previous run stored. JQL reads dates to the minute,
in the time zone of the account the token belongs to (`/myself`), so the cursor is written
in that zone, rounded down; what was already stored unchanged costs nothing more. A cursor
is kept per query: changing `jql` reads everything it finds again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from ktlo.errors import ConfigError, FatalSourceError, InputError
from ktlo.records import Sprint, WorkItem
from ktlo.sources import jira_records as jr
from ktlo.sources.api_source import ApiSource, Connection, Json, ScopeRun
from ktlo.sources.base import Batch, Known, SourceOptions, file_batches, latest, parse_time
from ktlo.sources.http import ApiClient, Credentials
from ktlo.sources.jsonfile import read_values
from ktlo.sources.option_types import Since, StandardTypes, token_env
from ktlo.sources.pagination import Page

NEED_CLOUD = "access to browse the projects the JQL names (an API token of the account in `email`)"
NEED_DC = "access to browse the projects the JQL names (a personal access token)"
_CUSTOM_FIELD = r"^customfield_\d+$"
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


class JiraOptions(SourceOptions):
    """[sources.jira] in ktlo.toml; see docs/sources.md."""

    base_url: str | None = Field(None, pattern=r"^https?://[^/]+")
    jql: str = ""  # which issues; ktlo adds the time window and the order
    edition: Literal["auto", "cloud", "data_center"] = "auto"  # auto: *.atlassian.net is Cloud
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+$")  # Cloud: the token's account
    token_env: str = token_env("JIRA_API_TOKEN")
    since: Since = None  # how far back the first sync reaches (default: everything)
    sprint_field: str | None = Field("customfield_10020", pattern=_CUSTOM_FIELD)
    story_points_field: str | None = Field(None, pattern=_CUSTOM_FIELD)
    epic_link_field: str | None = Field(None, pattern=_CUSTOM_FIELD)  # Data Center's Epic Link
    team: str | None = None  # the team the sprints belong to (default: the issue's project)
    max_results: int = Field(100, ge=1, le=100)
    types: StandardTypes = {}

    @field_validator("jql")
    @classmethod
    def _no_order(cls, jql: str) -> str:
        if _ORDER_BY.search(re.sub(r'"[^"]*"|\'[^\']*\'', "", jql)):
            raise ValueError("leave ORDER BY out of jql: ktlo orders by updated itself")
        return jql.strip()

    def fields(self) -> jr.FieldIds:
        return jr.FieldIds(self.sprint_field, self.story_points_field, self.epic_link_field)


class JiraSource(ApiSource):
    """The issues of a JQL query, with changelog, comments and sprints."""

    kind = "jira"
    Options = JiraOptions
    options: JiraOptions

    def connection(self) -> Connection:
        base_url, jql = self.options.base_url, self.options.jql
        where = f"under [sources.{self.name}] in ktlo.toml"
        if not base_url:
            raise ConfigError(
                f"{self.name}: no base_url",
                f'set base_url = "https://YOUR-SITE.atlassian.net" (or your Jira server) {where}',
            )
        if not jql:
            raise ConfigError(f"{self.name}: no jql", f'set jql = "project = KEY" {where}')
        cloud = self.cloud()
        env = self.options.token_env
        if cloud and not self.options.email:
            raise ConfigError(
                f"{self.name}: Jira Cloud needs the email of the account the API token belongs to",
                f'set email = "you@example.com" {where} (or edition = "data_center")',
            )
        need = NEED_CLOUD if cloud else NEED_DC
        token = self.token(env, need)
        credentials = (
            Credentials.basic(env, str(self.options.email), token)
            if cloud
            else Credentials.bearer(env, token)
        )
        return Connection(base_url, credentials, need)

    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        yield from _Run(self, api, known, self.cloud()).issues()

    def cloud(self) -> bool:
        """Cloud (REST v3, Basic auth) or Data Center (REST v2, Bearer token)."""
        if self.options.edition != "auto":
            return self.options.edition == "cloud"
        host = jr.site_of(self.options.base_url or "").split("/", 1)[0]
        return host.endswith((".atlassian.net", ".jira.com"))

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """A saved search answer (pages back to back, or their `issues`), or saved issues."""
        found: list[WorkItem | Sprint] = []
        for line, value in read_values(path):
            issues = value.get("issues") if isinstance(value, dict) else None
            for issue in issues if isinstance(issues, list) else [value]:
                found += self._saved(path, line, issue)
        yield from file_batches(path, found)

    def _saved(self, path: Path, line: int, issue: Any) -> list[WorkItem | Sprint]:
        if not (
            isinstance(issue, dict) and "key" in issue and isinstance(issue.get("fields"), dict)
        ):
            raise InputError(f"{path} line {line}: not a Jira issue", _SAVED_FIX)
        root = jr.root_from_self(issue) or self.options.base_url
        if not root:
            raise InputError(
                f"{path} line {line}: cannot tell which Jira site this issue belongs to",
                f"save the search answer whole (with self URLs), or set base_url under [sources.{self.name}]",
            )
        try:
            item, sprints = jr.issue_records(
                root, issue, self.options.fields(), types=self.options.types, team=self.options.team
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path} line {line}: a Jira issue without a usable {exc}", _SAVED_FIX
            ) from None
        return [item, *sprints]


_SAVED_FIX = (
    "save the answer of /rest/api/3/search/jql (Cloud) or /rest/api/2/search (Data Center) "
    "as it came, with fields and expand=changelog"
)


class _Run(ScopeRun[JiraSource]):
    """One sync of the query: pages of issues, the details the search truncated, the cursor."""

    def __init__(self, source: JiraSource, api: ApiClient, known: Known, cloud: bool) -> None:
        super().__init__(source, api, known)
        self.options = source.options
        self.cloud = cloud
        self.rest = "rest/api/3" if cloud else "rest/api/2"
        self.root = str(self.options.base_url).rstrip("/")
        self.ids = self.options.fields()

    def issues(self) -> Iterator[Batch]:
        digest = hashlib.sha256(self.options.jql.encode()).hexdigest()[:12]
        scope = f"{jr.site_of(self.root)}:issues:{digest}"
        cursor = self.known.cursor(scope)
        since = parse_time(cursor["since"]) if cursor and cursor.get("since") else None
        newest = since
        self.begin()
        for page in self._pages(self._jql(since)):
            newest = latest(newest, [(i.get("fields") or {}).get("updated") for i in page.items])
            changed, unchanged = self.changed("work_items", page.items, self._key)
            yield self.batch(scope, unchanged=unchanged, **self._records(scope, changed))
        yield from self.retry_missing(scope, "work_items", lambda i: self._records(scope, i))
        yield from self.close_window(scope, newest, since)

    def _records(self, scope: str, issues: list[Json]) -> dict[str, tuple[Any, ...]]:
        """Issues (with what the search truncated, unless it is gone) and their sprints."""
        details = self.details(scope, issues, self._details, self._key)
        with self.parsing():
            made = [
                jr.issue_records(
                    self.root, i, self.ids, *(d or (None, None)), self.options.types,
                    self.options.team,
                )
                for i, d in zip(issues, details, strict=True)
            ]  # fmt: skip
        return {
            "work_items": tuple(item for item, _ in made),
            "sprints": tuple(s for _, sprints in made for s in sprints),
        }

    # -- the query -------------------------------------------------------------------------------

    def _jql(self, since: datetime | None) -> str:
        where = f"({self.options.jql})"
        if since is not None:
            where += f' AND updated >= "{self._in_account_zone(since)}"'
        elif self.options.since is not None:
            where += f' AND updated >= "{self.options.since.isoformat()}"'
        return f"{where} ORDER BY updated DESC"

    def _in_account_zone(self, moment: datetime) -> str:
        """`2026-01-09 13:00`: the moment as JQL reads it, in the account's zone, to the minute."""
        me = self.api.get_json(f"{self.rest}/myself")
        name = me.get("timeZone") if isinstance(me, dict) else None
        try:
            zone = ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            # An unknown zone: a day earlier covers every offset; unchanged issues cost nothing.
            return (moment - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
        local = moment.astimezone(zone)
        if local.replace(fold=1).utcoffset() != local.replace(fold=0).utcoffset():
            local -= timedelta(hours=1)  # an hour the clocks repeat: take the earlier reading
        return local.strftime("%Y-%m-%d %H:%M")

    def _pages(self, jql: str) -> Iterator[Page]:
        params: dict[str, Any] = {
            "jql": jql,
            "fields": ",".join(self.ids.requested()),
            "expand": "changelog",
        }
        if self.cloud:
            pages = self.api.pages_by_cursor(
                f"{self.rest}/search/jql",
                {**params, "maxResults": self.options.max_results},
                items_key="issues",
                next_cursor=lambda body: None if body.get("isLast") else body.get("nextPageToken"),
                cursor_param="nextPageToken",
            )
        else:
            pages = self.api.pages_by_offset(
                f"{self.rest}/search",
                params,
                items_key="issues",
                limit=self.options.max_results,
                offset_param="startAt",
                limit_param="maxResults",
                has_more=_more,
            )
        for page in pages:
            if not isinstance(page.body, dict) or any(
                not isinstance(i, dict) or "id" not in i or "key" not in i for i in page.items
            ):
                raise FatalSourceError(
                    f"{self.source.name}: the search answered with something other than issues",
                    "check base_url in ktlo.toml (the site root, e.g. https://acme.atlassian.net)",
                )
            yield page

    # -- what the search truncated ---------------------------------------------------------------

    def _details(self, issue: Json) -> tuple[list[Any] | None, list[Any] | None]:
        """The whole changelog and all comments, when the search answer holds only some."""
        changelog = issue.get("changelog") or {}
        comment = (issue.get("fields") or {}).get("comment") or {}
        histories = comments = None
        if _truncated(changelog, "histories"):
            histories = self._changelog(issue)
        if _truncated(comment, "comments"):
            comments = self._paged(f"{self.rest}/issue/{issue['id']}/comment", "comments")
        return histories, comments

    def _changelog(self, issue: Json) -> list[Any]:
        if self.cloud:
            return self._paged(f"{self.rest}/issue/{issue['id']}/changelog", "values")
        whole = self.api.get_json(
            f"{self.rest}/issue/{issue['id']}", {"fields": "created", "expand": "changelog"}
        )
        return list(((whole or {}).get("changelog") or {}).get("histories") or [])

    def _paged(self, path: str, key: str) -> list[Any]:
        pages = self.api.pages_by_offset(
            path,
            items_key=key,
            limit=100,
            offset_param="startAt",
            limit_param="maxResults",
            has_more=lambda b: not b.get("isLast", not _more(b, key)),
        )
        return [item for page in pages for item in page.items]

    # -- shared ----------------------------------------------------------------------------------

    def _key(self, issue: Json) -> str:
        return jr.issue_key(jr.site_of(self.root), issue["id"])


def _more(body: Any, key: str = "issues") -> bool:
    """Offset paging (Data Center search, comments): are there items past this page?"""
    if not isinstance(body, dict):
        return False
    items = body.get(key) or []
    return int(body.get("startAt") or 0) + len(items) < int(body.get("total") or 0)


def _truncated(page: Json, key: str) -> bool:
    return int(page.get("total") or 0) > len(page.get(key) or [])
