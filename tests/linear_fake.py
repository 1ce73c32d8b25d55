"""A small Linear GraphQL API over tests/fixtures/linear/, as Linear's schema documents it.

It answers the three operations the source sends (`Issues`, `Cycles`, `IssueConnection`):
filters on `updatedAt.gte` and `team.key.eq`, orders by `updatedAt` (newest first) and pages
with relay cursors (`first`, `after`, `pageInfo`). The issues' nested connections are served
as the fixtures hold them; the rest of ENG-103's history comes from its own fixture.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.fake_api import JSON, Answer, FakeApi, fixture_reader

FIXTURES = Path(__file__).parent / "fixtures" / "linear"
API_KEY = "lin_api_TestKeyThatMustNeverLeak0123456789abcdef"


fixture = fixture_reader(FIXTURES)


class FakeLinear(FakeApi):
    """Linear's GraphQL endpoint for one workspace, in memory."""

    def __init__(self, token: str = API_KEY, oauth: bool = False) -> None:
        super().__init__("Authorization", f"Bearer {token}" if oauth else token)
        self.issues: list[dict[str, Any]] = fixture("issues.json")["data"]["issues"]["nodes"]
        self.cycles: list[dict[str, Any]] = fixture("cycles.json")["data"]["cycles"]["nodes"]
        rest = fixture("issue-ENG-103-history.json")["data"]["issue"]["history"]
        self.rest = {("3f2a1b0c-9d8e-4f7a-b6c5-000000000103", "history", "h-103-10"): rest}
        self.extra_headers: dict[str, str] = {}
        self._by_operation: dict[str, deque[Answer]] = defaultdict(deque)

    def fail_operation(self, operation: str, *answers: Answer) -> None:
        """The next requests of a GraphQL operation (`Issues`, `Cycles` ...) get these answers."""
        self._by_operation[operation].extend(answers)

    def unauthorized(self) -> Answer:
        return (
            401,
            JSON,
            {
                "errors": [
                    {
                        "message": "Authentication required, not authenticated",
                        "extensions": {
                            "type": "authentication error",
                            "code": "AUTHENTICATION_ERROR",
                            "statusCode": 401,
                            "userError": True,
                            "userPresentableMessage": "You need to authenticate to access this operation.",
                        },
                    }
                ]
            },
        )

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        if method != "POST" or path != "/graphql" or not isinstance(body, dict):
            return 404, JSON, {"errors": [{"message": "Not found"}]}
        text, variables = str(body.get("query", "")), body.get("variables") or {}
        operation = re.search(r"query (\w+)", text)
        if operation and self._by_operation.get(operation[1]):
            return self._by_operation[operation[1]].popleft()
        if "query Issues(" in text:
            return self._connection("issues", self.issues, variables)
        if "query Cycles(" in text:
            return self._connection("cycles", self.cycles, variables)
        if "query IssueConnection(" in text:
            name = (
                "history" if "history(" in text else "comments" if "comments(" in text else "labels"
            )
            page = self.rest.get((variables["id"], name, variables.get("after")))
            empty = {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
            return 200, self._headers(), {"data": {"issue": {name: page or empty}}}
        return 400, JSON, {"errors": [{"message": "Unknown operation"}]}

    def _connection(
        self, name: str, nodes: list[dict[str, Any]], variables: dict[str, Any]
    ) -> Answer:
        found = sorted(nodes, key=lambda n: n["updatedAt"], reverse=True)
        condition = variables.get("filter") or {}
        if "updatedAt" in condition:
            since = _time(condition["updatedAt"]["gte"])
            found = [n for n in found if _time(n["updatedAt"]) >= since]
        if "team" in condition:
            found = [n for n in found if n["team"]["key"] == condition["team"]["key"]["eq"]]
        start = 0
        if variables.get("after"):
            start = next(i for i, n in enumerate(found) if n["id"] == variables["after"]) + 1
        chunk = found[start : start + int(variables["first"])]
        info = {
            "hasNextPage": start + len(chunk) < len(found),
            "endCursor": chunk[-1]["id"] if chunk else None,
        }
        return 200, self._headers(), {"data": {name: {"nodes": chunk, "pageInfo": info}}}

    def _headers(self) -> dict[str, str]:
        return {
            **JSON,
            "X-RateLimit-Requests-Limit": "5000",
            "X-RateLimit-Requests-Remaining": "4990",
            "X-RateLimit-Requests-Reset": "1767229200000",
            **self.extra_headers,
        }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def graphql_error(status: int, code: str, kind: str, message: str, **headers: str) -> Answer:
    """A Linear error answer: a GraphQL error whose extensions name its code and type."""
    extensions = {"type": kind, "code": code, "userError": True, "userPresentableMessage": message}
    return (
        status,
        JSON | {k.replace("_", "-"): v for k, v in headers.items()},
        {"errors": [{"message": message, "extensions": extensions}]},
    )
