"""A small PagerDuty REST API v2 over tests/fixtures/pagerduty/, as PagerDuty documents it.

`GET /incidents` filters on `since`/`until` (creation time), `service_ids[]`, `team_ids[]`
and `statuses[]`, sorts by `sort_by` and pages with `offset`/`limit`/`more`; an incident's
`/log_entries` and `/alerts` page the same way. The token goes in `Authorization: Token token=…`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tests.fake_api import JSON, Answer, FakeApi, fixture_reader, params

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"
TOKEN = "u+PdTestTokenThatMustNeverLeak01"


fixture = fixture_reader(FIXTURES)


class FakePagerDuty(FakeApi):
    """PagerDuty's REST API for one account, in memory."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__("Authorization", f"Token token={token}")
        self.incidents: list[dict[str, Any]] = fixture("incidents.json")["incidents"]
        ids = [i["id"] for i in self.incidents]
        self.log_entries = {
            i: fixture(f"incident-{i}-log_entries.json")["log_entries"] for i in ids
        }
        self.alerts = {i: fixture(f"incident-{i}-alerts.json")["alerts"] for i in ids}

    def unauthorized(self) -> Answer:
        return error(401, "Authentication failed", 2006)

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        args = params(query)
        if method != "GET":
            return error(404, "Not Found", 2100)
        if path == "/incidents":
            return self._page("incidents", self._incidents(args), args)
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "incidents" and parts[1] in self.log_entries:
            if parts[2] == "log_entries":
                return self._page("log_entries", self.log_entries[parts[1]], args)
            if parts[2] == "alerts":
                return self._page("alerts", self.alerts[parts[1]], args)
        return error(404, "Not Found", 2100)

    def _incidents(self, args: dict[str, list[str]]) -> list[dict[str, Any]]:
        found = list(self.incidents)
        if "since" in args:
            since, until = _time(args["since"][0]), _time(args["until"][0])
            found = [i for i in found if since <= _time(i["created_at"]) < until]
        if "service_ids[]" in args:
            found = [i for i in found if i["service"]["id"] in args["service_ids[]"]]
        if "team_ids[]" in args:
            found = [i for i in found if any(t["id"] in args["team_ids[]"] for t in i["teams"])]
        if "statuses[]" in args:
            found = [i for i in found if i["status"] in args["statuses[]"]]
        field, _, direction = (args.get("sort_by") or ["incident_number:asc"])[0].partition(":")
        return sorted(found, key=lambda i: (i[field], i["id"]), reverse=direction == "desc")

    def _page(self, name: str, items: list[Any], args: dict[str, list[str]]) -> Answer:
        offset = int((args.get("offset") or ["0"])[0])
        limit = min(int((args.get("limit") or ["25"])[0]), 100)
        chunk = items[offset : offset + limit]
        more = offset + len(chunk) < len(items)
        body = {name: chunk, "limit": limit, "offset": offset, "more": more, "total": None}
        return 200, JSON | {"ratelimit-limit": "960", "ratelimit-remaining": "950"}, body


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def error(status: int, message: str, code: int, **headers: str) -> Answer:
    """A PagerDuty error answer."""
    return (
        status,
        JSON | {k.replace("_", "-"): v for k, v in headers.items()},
        {"error": {"message": message, "code": code}},
    )
