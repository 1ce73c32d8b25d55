"""Saved GitLab answers: the details a list answer lacks, gathered from the same file.

A saved `/merge_requests` answer has no commits, approvals or notes; the DORA definitions
need them. In one saved file:

    /merge_requests/:iid/approvals  names its merge request (`project_id`, `iid`)
    /merge_requests/:iid/notes      each note names it (`project_id`, `noteable_iid`)
    /merge_requests/:iid/commits    a commit names no merge request: the commits belong to the
                                    merge request saved before them
    push hook payloads              `object_kind` push: ref, before, after, commits

`gather` sorts a file's values into these details and everything else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

Key = tuple[Any, Any]  # (project_id, iid)


@dataclass
class Details:
    """A saved file's values: details keyed by what they belong to, and the rest in order."""

    rest: list[tuple[int, Any]] = field(default_factory=list)
    pushes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    approvals: dict[Key, dict[str, Any]] = field(default_factory=dict)
    notes: dict[Key, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def of_merge_request(
        self, mr: dict[str, Any]
    ) -> tuple[list[Any], dict[str, Any] | None, list[Any]]:
        """Its notes, approvals and the commits saved after it."""
        key = (mr.get("project_id"), mr.get("iid"))
        return self.notes.get(key, []), self.approvals.get(key), self.commits.get(id(mr), [])


def gather(values: list[tuple[int, Any]]) -> Details:
    """Sort a saved file's values into details and the rest (see the module's docstring)."""
    details = Details()
    mr: dict[str, Any] | None = None
    for line, value in values:
        kind = _detail(value)
        if kind == "commit" and mr is not None:
            details.commits[id(mr)].append(value)
        elif kind == "approvals":
            details.approvals[(value.get("project_id"), value.get("iid"))] = value
        elif kind == "note":
            details.notes[(value.get("project_id"), value.get("noteable_iid"))].append(value)
        elif kind == "push":
            details.pushes.append((line, value))
        else:
            details.rest.append((line, value))
            if isinstance(value, dict) and "source_branch" in value and "target_branch" in value:
                mr = value
    return details


def _detail(value: Any) -> str | None:
    """Which detail a saved value is, by the fields GitLab documents for it."""
    if not isinstance(value, dict):
        return None
    if value.get("object_kind") == "push":
        return "push"
    if "authored_date" in value and "committed_date" in value and "parent_ids" in value:
        return "commit"
    if "approved_by" in value and "iid" in value:
        return "approvals"
    if value.get("noteable_type") == "MergeRequest" and "noteable_iid" in value:
        return "note"
    return None
