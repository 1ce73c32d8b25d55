"""A small Jira REST API over the fixtures in tests/fixtures/jira/, Cloud (v3) or Data Center (v2).

Cloud: `GET /rest/api/3/search/jql` pages by `nextPageToken` (and says `isLast`); the old
`/rest/api/3/search` answers 410 Gone, as it does on Cloud now. Data Center: `GET
/rest/api/2/search` pages by `startAt`/`maxResults` with `total`. Both read the JQL the
source sends (`(project = KEY) AND updated >= "yyyy-MM-dd HH:mm" ORDER BY updated DESC`),
with the date in the time zone of the token's account (`/myself`), as Jira does; answer
only the `fields` asked for; and check Basic (Cloud) or Bearer (Data Center) auth.
`fake.fail(path, answer, ...)` queues answers (or exceptions) for the next requests to `path`.
"""

from __future__ import annotations

import base64
import copy
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.fake_api import Answer, FakeRest, fixture_reader

FIXTURES = Path(__file__).parent / "fixtures" / "jira"
EMAIL = "ktlo@acme.com"
TOKEN = "ATATT3xFfGF0TestTokenThatMustNeverLeak"
PAT = "NjM4MzQ5TestPersonalAccessTokenNeverLeak"
CLOUD = "https://acme.atlassian.net"
DATA_CENTER = "https://jira.example.com/jira"


fixture = fixture_reader(FIXTURES)


class FakeJira(FakeRest):
    """Jira's REST API for one project, in memory."""

    def __init__(self, cloud: bool = True) -> None:
        basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        super().__init__("Authorization", f"Basic {basic}" if cloud else f"Bearer {PAT}")
        self.cloud = cloud
        prefix = "cloud" if cloud else "dc"
        self.base = CLOUD if cloud else DATA_CENTER
        self.rest = "/rest/api/3" if cloud else "/jira/rest/api/2"
        self.issues: list[dict[str, Any]] = fixture(f"{prefix}-issues.json")
        self.myself: dict[str, Any] = fixture(f"{prefix}-myself.json")
        self.parts: dict[str, Any] = (
            {
                "/rest/api/3/issue/10003/changelog": fixture("cloud-issue-10003-changelog.json"),
                "/rest/api/3/issue/10003/comment": fixture("cloud-issue-10003-comment.json"),
            }
            if cloud
            else {}
        )
        self.jql: list[str] = []

    def issue(self, key: str) -> dict[str, Any]:
        return next(i for i in self.issues if i["key"] == key)

    # -- serving ------------------------------------------------------------------------------

    def unauthorized(self) -> Answer:
        return error(
            401, "You are not authenticated. Authentication required to perform this operation."
        )

    def get(self, path: str, query: dict[str, str]) -> Answer:
        if path == "/rest/api/3/search" or path == "/rest/api/2/search" and self.cloud:
            return error(
                410,
                "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
                "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
            )
        if path == f"{self.rest}/myself":
            return 200, _headers(), self.myself
        if path == f"{self.rest}/search/jql" and self.cloud:
            return self._search_cloud(query)
        if path == f"{self.rest}/search" and not self.cloud:
            return self._search_dc(query)
        if path in self.parts:
            return 200, _headers(), self.parts[path]
        return error(404, "Issue does not exist or you do not have permission to see it.")

    # -- search -------------------------------------------------------------------------------

    def _found(self, query: dict[str, str]) -> list[dict[str, Any]] | Answer:
        jql = query.get("jql", "")
        self.jql.append(jql)
        match = re.fullmatch(
            r'\(project = (?P<project>\w+)\)(?: AND updated >= "(?P<since>[\d-]+(?: [\d:]+)?)")? ORDER BY updated DESC',
            jql,
        )
        if not match:
            return error(400, f"Error in the JQL Query: cannot read {jql!r}.")
        found = [i for i in self.issues if i["fields"]["project"]["key"] == match["project"]]
        if match["since"]:
            zone = ZoneInfo(self.myself["timeZone"])
            form = "%Y-%m-%d %H:%M" if " " in match["since"] else "%Y-%m-%d"
            # An hour the clocks repeat reads as its later occurrence: the worst case for a bound.
            since = datetime.strptime(match["since"], form).replace(tzinfo=zone, fold=1)
            found = [i for i in found if _time(i["fields"]["updated"]) >= since]
        found.sort(key=lambda i: _time(i["fields"]["updated"]), reverse=True)
        wanted = set(query.get("fields", "id").split(","))
        expand = "changelog" in query.get("expand", "")
        return [_shaped(i, wanted, expand) for i in found]

    def _search_cloud(self, query: dict[str, str]) -> Answer:
        found = self._found(query)
        if not isinstance(found, list):
            return found
        size = min(int(query.get("maxResults", 50)), 100)
        start = int(base64.b64decode(query["nextPageToken"])) if "nextPageToken" in query else 0
        body: dict[str, Any] = {"issues": found[start : start + size]}
        if start + size < len(found):
            body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        body["isLast"] = start + size >= len(found)
        return 200, _headers(), body

    def _search_dc(self, query: dict[str, str]) -> Answer:
        found = self._found(query)
        if not isinstance(found, list):
            return found
        size = min(int(query.get("maxResults", 50)), 100)
        start = int(query.get("startAt", 0))
        body = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": found[start : start + size],
        }
        return 200, _headers(), body


def _shaped(issue: dict[str, Any], wanted: set[str], changelog: bool) -> dict[str, Any]:
    """The issue as a search returns it: the fields asked for, the changelog if expanded."""
    shaped = {k: v for k, v in issue.items() if k != "changelog"}
    every = "*all" in wanted
    shaped["fields"] = {k: v for k, v in issue["fields"].items() if every or k in wanted}
    if changelog:
        shaped["changelog"] = issue["changelog"]
    return copy.deepcopy(shaped)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _headers() -> dict[str, str]:
    return {"Content-Type": "application/json;charset=UTF-8", "X-AREQUESTID": "a1b2c3"}


def error(status: int, message: str, **headers: str) -> Answer:
    """A Jira error answer: `{"errorMessages": [...], "errors": {}}`."""
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return status, _headers() | extra, {"errorMessages": [message], "errors": {}}
