"""Saved GitHub answers: the details a list answer lacks, gathered from the same file.

A saved `/pulls` answer has no commits or reviews and a saved `/deployments` answer no
statuses; the DORA definitions need them. In one saved file:

    /pulls/{n}/reviews            each review names its pull request (`pull_request_url`)
    /deployments/{id}/statuses    each status names its deployment (`deployment_url`)
    /pulls/{n}/commits            a commit names no pull request: the commits belong to the
                                  pull request saved before them (save the pull request,
                                  then its commits: `gh api repos/O/R/pulls/12 >> f.json;
                                  gh api repos/O/R/pulls/12/commits >> f.json`)
    push webhook payloads         `ref`, `before`, `after`, `commits` (docs/import.md)

`gather` sorts a file's values into these details and everything else, which the
connector turns into records as before.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ktlo.sources.saved_details import SavedDetails

_PULL_URL = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<number>\d+)$")


@dataclass
class Details(SavedDetails):
    """A saved file's values: pushes, commits, reviews and statuses, and the rest in order."""

    reviews: dict[tuple[str, int], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def of_pull(self, pull: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        """The commits saved after this pull request, and its reviews."""
        repo = str((((pull.get("base") or {}).get("repo")) or {}).get("full_name") or "")
        match = _PULL_URL.search(str(pull.get("url") or ""))
        if match:
            repo = match["repo"]
        return self.commits.get(id(pull), []), self.reviews.get((repo, int(pull["number"])), [])

    def of_deployment(self, deployment: dict[str, Any]) -> list[Any]:
        """The statuses saved for this deployment."""
        return self.statuses.get(str(deployment.get("url") or ""), [])

    def detail(self, value: Any) -> str | None:
        return _detail(value)

    def keep(self, kind: str, value: dict[str, Any]) -> bool:
        if kind == "review":
            match = _PULL_URL.search(str(value["pull_request_url"]))
            if match:
                self.reviews[(match["repo"], int(match["number"]))].append(value)
        elif kind == "status":
            self.statuses[str(value["deployment_url"])].append(value)
        return kind in ("review", "status")

    def opens(self, value: dict[str, Any]) -> bool:
        return "head" in value and "base" in value


def gather(values: list[tuple[int, Any]]) -> Details:
    """Sort a saved file's values into details and the rest (see the module's docstring)."""
    return Details().gather(values)


def _detail(value: Any) -> str | None:
    """Which detail a saved value is, by the fields GitHub documents for it."""
    if not isinstance(value, dict):
        return None
    if "sha" in value and isinstance(value.get("commit"), dict) and "parents" in value:
        return "commit"
    if "pull_request_url" in value and "submitted_at" in value:
        return "review"
    if "deployment_url" in value and "state" in value:
        return "status"
    if {"ref", "before", "after", "commits"} <= value.keys():
        return "push"
    return None
