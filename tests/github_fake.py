"""A small GitHub REST API over the fixtures in tests/fixtures/github/, as GitHub documents it.

It sorts, filters (`since`, `state`) and paginates (`per_page`, `page`, `Link` headers)
like GitHub, checks the token, and can be told to fail (`tests.fake_api`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fake_api import Answer, FakeRest, fixture_reader

FIXTURES = Path(__file__).parent / "fixtures" / "github"
REPO = "acme/shop"
TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"


fixture = fixture_reader(FIXTURES)


class FakeGitHub(FakeRest):
    """GitHub's REST API for one repository, in memory."""

    def __init__(self, base: str = "https://api.github.com", token: str = TOKEN) -> None:
        super().__init__("Authorization", f"Bearer {token}")
        self.base = base.rstrip("/")
        self.token = token
        self.issues: list[dict[str, Any]] = fixture("issues.json")
        self.pulls: list[dict[str, Any]] = fixture("pulls.json")
        self.timelines = {n: fixture(f"issue-{n}-timeline.json") for n in (1, 2, 3, 4)}
        self.pull_parts = {
            (n, part): fixture(f"pull-{n}-{part}.json")
            for n in (7, 8, 9)
            for part in ("commits", "reviews", "comments")
        }
        self.runs: list[dict[str, Any]] = fixture("runs.json")["workflow_runs"]
        self.jobs = {r["id"]: fixture(f"run-{r['id']}-jobs.json")["jobs"] for r in self.runs}
        self.deployments: list[dict[str, Any]] = fixture("deployments.json")
        self.statuses = {
            d["id"]: fixture(f"deployment-{d['id']}-statuses.json") for d in self.deployments
        }
        self.releases: list[dict[str, Any]] = fixture("releases.json")
        self.extra_headers: dict[str, str] = {}

    def unauthorized(self) -> Answer:
        return error(401, "Bad credentials")

    def get(self, path: str, query: dict[str, str]) -> Answer:
        path = path.removeprefix("/api/v3")  # GitHub Enterprise Server
        prefix = f"/repos/{REPO}/"
        if not path.startswith(prefix):
            return _not_found()
        rest = path.removeprefix(prefix)
        if rest == "issues":
            return self._page(path, query, self._issue_list(query))
        if match := re.fullmatch(r"issues/(\d+)/timeline", rest):
            return self._page(path, query, self.timelines.get(int(match[1]), []))
        if rest == "pulls":
            return self._page(path, query, self._pull_list(query))
        if match := re.fullmatch(r"pulls/(\d+)/(commits|reviews|comments)", rest):
            return self._page(path, query, self.pull_parts.get((int(match[1]), match[2]), []))
        if rest == "actions/runs":
            runs = sorted(self.runs, key=lambda r: r["created_at"], reverse=True)
            return self._page(path, query, runs, "workflow_runs")
        if match := re.fullmatch(r"actions/runs/(\d+)/jobs", rest):
            jobs = self.jobs.get(int(match[1]), [])
            if query.get("filter", "latest") == "latest" and jobs:
                latest = max(j["run_attempt"] for j in jobs)
                jobs = [j for j in jobs if j["run_attempt"] == latest]
            return self._page(path, query, jobs, "jobs")
        if rest == "deployments":
            deployments = sorted(self.deployments, key=lambda d: d["created_at"], reverse=True)
            return self._page(path, query, deployments)
        if match := re.fullmatch(r"deployments/(\d+)/statuses", rest):
            return self._page(path, query, self.statuses.get(int(match[1]), []))
        if rest == "releases":
            releases = sorted(self.releases, key=lambda r: r["created_at"], reverse=True)
            return self._page(path, query, releases)
        return _not_found()

    def _issue_list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        issues = [i for i in self.issues if _state_matches(i, query)]
        if "since" in query:
            issues = [i for i in issues if i["updated_at"] >= query["since"]]
        return _sorted(issues, query)

    def _pull_list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        return _sorted([p for p in self.pulls if _state_matches(p, query)], query)

    def _page(
        self, path: str, query: dict[str, str], items: list[Any], key: str | None = None
    ) -> Answer:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers = _json_headers() | self.extra_headers
        links = []
        if page < last:
            links.append(f'<{self._url(path, query, page + 1)}>; rel="next"')
            links.append(f'<{self._url(path, query, last)}>; rel="last"')
        if page > 1:
            links.append(f'<{self._url(path, query, 1)}>; rel="first"')
        if links:
            headers["Link"] = ", ".join(links)
        body: Any = {"total_count": len(items), key: chunk} if key else chunk
        return 200, headers, body

    def _url(self, path: str, query: dict[str, str], page: int) -> str:
        return f"{self.base}{path}?{urlencode({**query, 'page': page})}"


def _state_matches(item: dict[str, Any], query: dict[str, str]) -> bool:
    state = query.get("state", "open")
    return state == "all" or item["state"] == state


def _sorted(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    field = {"updated": "updated_at", "created": "created_at"}.get(query.get("sort", "created"))
    reverse = query.get("direction", "desc") == "desc"
    return sorted(items, key=lambda i: (i[field or "created_at"], i["number"]), reverse=reverse)


def _json_headers() -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-GitHub-Api-Version-Selected": "2022-11-28",
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "4999",
        "X-RateLimit-Reset": "1767225600",
        "X-RateLimit-Resource": "core",
    }


def _not_found() -> Answer:
    return error(404, "Not Found")


def error(status: int, message: str, **headers: str) -> Answer:
    """A GitHub error answer."""
    return (
        status,
        _json_headers() | {k.replace("_", "-"): v for k, v in headers.items()},
        {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": str(status),
        },
    )


def with_many_issues(fake: FakeGitHub, count: int) -> FakeGitHub:
    """Add `count` generated issues (a few changed in each hour of January 2026)."""
    template = next(i for i in fake.issues if i["number"] == 4)
    for n in range(100, 100 + count):
        stamp = f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
        fake.issues.append(
            {**template, "number": n, "id": 1000000 + n, "title": f"Issue {n}: fix flaky test ✅",
             "html_url": f"https://github.com/{REPO}/issues/{n}", "updated_at": stamp}
        )  # fmt: skip
    return fake
