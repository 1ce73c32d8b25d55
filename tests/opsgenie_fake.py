"""A small Opsgenie REST API over tests/fixtures/opsgenie/, as Opsgenie documents it.

Lists (`/v2/alerts`, `/v1/incidents`, `/v2/users`, `/v1/services`) sort by `sort`/`order`
and page with `offset`/`limit`, naming the next page in `paging.next`; `/v2/teams` is one
answer; an incident's timeline pages with `offset` and `data.nextOffset`. The key goes in
`Authorization: GenieKey …`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fake_api import JSON, Answer, FakeApi, fixture_reader, params

FIXTURES = Path(__file__).parent / "fixtures" / "opsgenie"
API_KEY = "eb243592-faa2-4ba2-a551-1afdf565c889-must-never-leak"
REQUEST_ID = "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"


fixture = fixture_reader(FIXTURES)


class FakeOpsgenie(FakeApi):
    """Opsgenie's REST API for one account, in memory."""

    def __init__(self, key: str = API_KEY, base: str = "https://api.opsgenie.com") -> None:
        super().__init__("Authorization", f"GenieKey {key}")
        self.base = base
        self.alerts: list[dict[str, Any]] = fixture("alerts.json")["data"]
        self.incidents: list[dict[str, Any]] = fixture("incidents.json")["data"]
        self.timelines = {
            i["id"]: fixture(f"incident-{i['id']}-timeline.json")["data"]["entries"]
            for i in self.incidents
        }
        self.teams = fixture("teams.json")
        self.users: list[dict[str, Any]] = fixture("users.json")["data"]
        self.services: list[dict[str, Any]] = fixture("services.json")["data"]

    def unauthorized(self) -> Answer:
        return error(401, "Could not authenticate")

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        args = {k: v[-1] for k, v in params(query).items()}
        if method != "GET":
            return error(404, "Not found")
        if path == "/v2/alerts":
            return self._list(path, self.alerts, args)
        if path == "/v1/incidents":
            return self._list(path, self.incidents, args, total=True)
        if path == "/v2/users":
            return self._list(
                path, self.users, {"sort": "username", "order": "asc", **args}, total=True
            )
        if path == "/v1/services":
            return self._list(path, self.services, {"sort": "name", "order": "asc", **args})
        if path == "/v2/teams":
            return 200, JSON, self.teams
        parts = path.strip("/").split("/")
        if parts[:2] == ["v2", "incident-timelines"] and len(parts) == 4 and parts[3] == "entries":
            if parts[2] not in self.timelines:
                return error(404, f"Incident with id [{parts[2]}] does not exist")
            return self._timeline(self.timelines[parts[2]], args)
        return error(404, "Not found")

    def _list(
        self, path: str, items: list[dict[str, Any]], args: dict[str, str], total: bool = False
    ) -> Answer:
        field = args.get("sort", "createdAt")
        found = sorted(
            items, key=lambda i: (i[field], i["id"]), reverse=args.get("order", "desc") == "desc"
        )
        offset, limit = int(args.get("offset", 0)), min(int(args.get("limit", 20)), 100)
        chunk = found[offset : offset + limit]
        paging = {"first": self._url(path, args, 0, limit)}
        if offset + limit < len(found):
            paging["next"] = self._url(path, args, offset + limit, limit)
        if offset > 0:
            paging["prev"] = self._url(path, args, max(offset - limit, 0), limit)
        paging["last"] = self._url(path, args, max((len(found) - 1) // limit * limit, 0), limit)
        body: dict[str, Any] = {
            "data": chunk,
            "paging": paging,
            "took": 0.05,
            "requestId": REQUEST_ID,
        }
        if total:
            body["totalCount"] = len(found)
        return 200, JSON, body

    def _timeline(self, entries: list[dict[str, Any]], args: dict[str, str]) -> Answer:
        start, limit = int(args.get("offset", 0)), int(args.get("limit", 20))
        chunk = entries[start : start + limit]
        following = str(start + limit) if start + limit < len(entries) else None
        data = {"entries": chunk, "nextOffset": following}
        return 200, JSON, {"data": data, "took": 0.03, "requestId": REQUEST_ID}

    def _url(self, path: str, args: dict[str, str], offset: int, limit: int) -> str:
        return f"{self.base}{path}?{urlencode({**args, 'offset': offset, 'limit': limit})}"


def error(status: int, message: str, **headers: str) -> Answer:
    """An Opsgenie error answer."""
    return (
        status,
        JSON | {k.replace("_", "-"): v for k, v in headers.items()},
        {"message": message, "took": 0.002, "requestId": REQUEST_ID},
    )
