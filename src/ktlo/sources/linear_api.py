"""What ktlo asks Linear's GraphQL API, and how Linear's errors map to HTTP statuses.

The queries select exactly the fields `linear_records` reads (tests/fixtures/linear/ holds
answers to them). Linear answers most errors with HTTP 400 and a GraphQL error whose
`extensions` name it; `graphql_status`, a response hook, gives such answers the status they
mean (RATELIMITED -> 429 with the wait until Linear's reset, authentication -> 401,
FORBIDDEN -> 403), so the shared HTTP layer retries, waits and words them as for any source.
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import httpx2

NESTED = 10  # nodes of each nested connection (labels, history, comments) asked with the issue

_USER = "id name displayName email"
_ISSUE_FIELDS = f"""
      id identifier number title description priority priorityLabel estimate url branchName
      createdAt updatedAt startedAt completedAt canceledAt archivedAt
      state {{ id name type }}
      team {{ id key name }}
      project {{ id name }}
      cycle {{ id number name startsAt endsAt }}
      parent {{ id identifier }}
      assignee {{ {_USER} }}
      creator {{ {_USER} }}
      labels(first: {NESTED}) {{ nodes {{ id name }} pageInfo {{ hasNextPage endCursor }} }}
      history(first: {NESTED}) {{ nodes {{ HISTORY }} pageInfo {{ hasNextPage endCursor }} }}
      comments(first: {NESTED}) {{ nodes {{ COMMENT }} pageInfo {{ hasNextPage endCursor }} }}
"""
_HISTORY_FIELDS = f"""
      id createdAt
      actor {{ {_USER} }}
      fromState {{ id name type }} toState {{ id name type }}
      fromAssignee {{ {_USER} }} toAssignee {{ {_USER} }}
      fromCycle {{ id number name }} toCycle {{ id number name }}
      fromParent {{ id identifier }} toParent {{ id identifier }}
      fromProject {{ id name }} toProject {{ id name }}
      fromEstimate toEstimate fromPriority toPriority fromTitle toTitle
      addedLabels {{ id name }} removedLabels {{ id name }}
"""
_COMMENT_FIELDS = f"id createdAt user {{ {_USER} }}"
_NESTED_FIELDS = {"history": _HISTORY_FIELDS, "comments": _COMMENT_FIELDS, "labels": "id name"}

ISSUES_QUERY = f"""
query Issues($first: Int!, $after: String, $filter: IssueFilter) {{
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt, includeArchived: true) {{
    nodes {{ {_ISSUE_FIELDS.replace("HISTORY", _HISTORY_FIELDS).replace("COMMENT", _COMMENT_FIELDS)} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
CYCLES_QUERY = """
query Cycles($first: Int!, $after: String, $filter: CycleFilter) {
  cycles(first: $first, after: $after, filter: $filter, orderBy: updatedAt, includeArchived: true) {
    nodes {
      id number name startsAt endsAt completedAt createdAt updatedAt archivedAt
      isActive isFuture isPast
      team { id key name }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def nested_query(connection: str) -> str:
    """The rest of one issue's connection, after the page that came with the issue."""
    return f"""
query IssueConnection($id: String!, $first: Int!, $after: String) {{
  issue(id: $id) {{
    {connection}(first: $first, after: $after) {{
      nodes {{ {_NESTED_FIELDS[connection]} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""


def graphql_status(response: httpx2.Response) -> None:
    """Give Linear's HTTP-400 GraphQL errors the HTTP status they mean, for the shared layer.

    RATELIMITED becomes 429 (with a `Retry-After` from Linear's reset headers), an
    authentication error 401 and FORBIDDEN 403; other answers are left as they are.
    """
    if response.status_code != 400:
        return
    response.read()
    status = _meant_status(response.content)
    if status is None:
        return
    if status == 429 and "retry-after" not in response.headers:
        wait = _reset_wait(response)
        if wait is not None:
            response.headers["Retry-After"] = f"{wait:.0f}"
    response.status_code = status


_CODES = {"RATELIMITED": 429, "AUTHENTICATION_ERROR": 401, "FORBIDDEN": 403}
_TYPES = {"ratelimited": 429, "authentication error": 401, "forbidden": 403}


def _meant_status(content: bytes) -> int | None:
    """The HTTP status the first GraphQL error's `extensions` (code or type) stand for."""
    try:
        body = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    extensions = first.get("extensions") if isinstance(first, dict) else None
    if not isinstance(extensions, dict):
        return None
    code = _CODES.get(str(extensions.get("code") or "").upper())
    return code or _TYPES.get(str(extensions.get("type") or "").lower())


def _reset_wait(response: httpx2.Response) -> float | None:
    """Seconds until the budget that ran out resets (Linear's reset headers are epoch ms).

    Linear keeps two budgets, requests and complexity; the one whose `…-Remaining` is 0
    decides, or the later reset when the answer does not say which.
    """
    resets: dict[bool, list[float]] = {True: [], False: []}
    for budget in ("requests", "complexity"):
        try:
            reset = float(response.headers[f"x-ratelimit-{budget}-reset"]) / 1000.0
        except (KeyError, ValueError):
            continue
        resets[response.headers.get(f"x-ratelimit-{budget}-remaining") == "0"].append(reset)
    chosen = resets[True] or resets[False]
    date_header = response.headers.get("date")
    now = _http_date(date_header) if date_header else None
    if not chosen or now is None:
        return None
    return max(max(chosen) - now, 0.0) + 1.0


def _http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
