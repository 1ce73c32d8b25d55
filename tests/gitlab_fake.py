"""A small GitLab REST API v4 over the fixtures in tests/fixtures/gitlab/, as GitLab documents it.

It filters (`updated_after`, `state`), sorts (`order_by`, `sort`) and paginates like GitLab:
offset pages (`page`, `per_page`) with `Link`, `X-Next-Page`, `X-Page`, `X-Total` ... headers,
or keyset pages (`pagination=keyset`, an opaque `cursor` in the `Link` header only). It
checks the token (`PRIVATE-TOKEN` or `Authorization: Bearer`) and can be told to fail
(`tests.fake_api`; paths decoded). `links = False` drops the `Link` header, as some proxies do.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tests.fake_api import Answer, FakeRest, fixture_reader

FIXTURES = Path(__file__).parent / "fixtures" / "gitlab"
PROJECT = "acme/shop"
TOKEN = "glpat-TestTokenThatMustNeverLeak01"


fixture = fixture_reader(FIXTURES)


class FakeGitLab(FakeRest):
    """GitLab's REST API for one project, in memory."""

    def __init__(self, base: str = "https://gitlab.com", token: str = TOKEN) -> None:
        super().__init__("PRIVATE-TOKEN", token)
        self.base = base.rstrip("/")
        self.token = token
        self.issues: list[dict[str, Any]] = fixture("issues.json")
        self.merge_requests: list[dict[str, Any]] = fixture("merge_requests.json")
        self.pipelines: list[dict[str, Any]] = fixture("pipelines.json")
        self.deployments: list[dict[str, Any]] = fixture("deployments.json")
        self.environments: list[dict[str, Any]] = fixture("environments.json")
        self.parts: dict[str, Any] = {
            path.stem: fixture(path.name)
            for path in FIXTURES.glob("*-*.json")
            if not path.name.startswith(("issues", "merge_requests", "pipelines"))
        }
        self.links = True

    def authorized(self, headers: Mapping[str, str]) -> bool:
        bearer = headers.get("authorization") == f"Bearer {self.expected}"
        return super().authorized(headers) or bearer

    def unauthorized(self) -> Answer:
        return error(401, "401 Unauthorized")

    def get(self, path: str, query: dict[str, str]) -> Answer:
        prefix = f"/api/v4/projects/{PROJECT}/"
        if not path.startswith(prefix):
            return error(404, "404 Project Not Found")
        rest = path.removeprefix(prefix)
        lists = {
            "issues": self.issues,
            "merge_requests": self.merge_requests,
            "pipelines": self.pipelines,
            "deployments": self.deployments,
        }
        if rest in lists:
            return self._list(path, query, self._filtered(lists[rest], query))
        if rest == "environments":
            return self._offset(path, query, self.environments)
        match = re.fullmatch(
            r"(issues|merge_requests)/(\d+)/(notes|resource_state_events|approvals|commits)", rest
        )
        if match:
            part = self.parts.get(f"{match[1].removesuffix('s')}-{match[2]}-{match[3]}")
            if part is None:
                return error(404, "404 Not found")
            return (
                (200, _headers(), part)
                if match[3] == "approvals"
                else self._offset(path, query, part)
            )
        match = re.fullmatch(r"pipelines/(\d+)/jobs", rest)
        if match:
            jobs = self.parts.get(f"pipeline-{match[1]}-jobs", [])
            return self._offset(path, query, sorted(jobs, key=lambda j: -j["id"]))
        return error(404, "404 Not found")

    def _filtered(self, items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        if query.get("state") not in (None, "all"):
            items = [i for i in items if i["state"] == query["state"]]
        if "updated_after" in query:
            items = [i for i in items if _stamp(i["updated_at"]) >= _stamp(query["updated_after"])]
        field = query.get("order_by", "created_at" if "iid" in (items or [{}])[0] else "id")
        reverse = query.get("sort", "desc") == "desc"
        return sorted(items, key=lambda i: (str(i.get(field)), i["id"]), reverse=reverse)

    def _list(self, path: str, query: dict[str, str], items: list[dict[str, Any]]) -> Answer:
        if query.get("pagination") == "keyset":
            return self._keyset(path, query, items)
        return self._offset(path, query, items)

    def _offset(self, path: str, query: dict[str, str], items: list[Any]) -> Answer:
        per_page = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers = _headers() | {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < last else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(items)),
            "X-Total-Pages": str(last),
        }
        links = []
        if page > 1:
            links.append(f'<{self._url(path, query, page=page - 1)}>; rel="prev"')
        if page < last:
            links.append(f'<{self._url(path, query, page=page + 1)}>; rel="next"')
        links.append(f'<{self._url(path, query, page=1)}>; rel="first"')
        links.append(f'<{self._url(path, query, page=last)}>; rel="last"')
        if self.links:
            headers["Link"] = ", ".join(links)
        return 200, headers, chunk

    def _keyset(self, path: str, query: dict[str, str], items: list[dict[str, Any]]) -> Answer:
        per_page = min(int(query.get("per_page", 20)), 100)
        start = 0
        if "cursor" in query:
            after = json.loads(base64.urlsafe_b64decode(query["cursor"]))
            start = next((n + 1 for n, i in enumerate(items) if i["id"] == after["id"]), len(items))
        chunk = items[start : start + per_page]
        headers = _headers()
        if len(chunk) == per_page:  # a full page links on; the end is an empty page without a link
            cursor = base64.urlsafe_b64encode(json.dumps({"id": chunk[-1]["id"]}).encode()).decode()
            headers["Link"] = f'<{self._url(path, query, cursor=cursor)}>; rel="next"'
        return 200, headers, chunk

    def _url(self, path: str, query: dict[str, str], **changes: Any) -> str:
        encoded = path.replace(f"/projects/{PROJECT}/", f"/projects/{quote(PROJECT, safe='')}/")
        return f"{self.base}{encoded}?{urlencode({**query, **changes})}"


def _stamp(value: str) -> str:
    """An ISO timestamp comparable as text: UTC, to the second."""
    return value.replace(".000", "").replace("+00:00", "Z")[:19]


def _headers() -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "RateLimit-Limit": "2000",
        "RateLimit-Remaining": "1999",
        "RateLimit-Reset": "1767225600",
        "X-Request-Id": "01JH0000000000000000000000",
    }


def error(status: int, message: str, **headers: str) -> Answer:
    """A GitLab error answer: `{"message": "404 Project Not Found"}`."""
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return status, _headers() | extra, {"message": message}
