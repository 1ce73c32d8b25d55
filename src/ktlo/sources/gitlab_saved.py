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

from ktlo.sources.saved_details import SavedDetails

Key = tuple[Any, Any]  # (project_id, iid)


@dataclass
class Details(SavedDetails):
    """A saved file's values: pushes, commits, approvals and notes, and the rest in order."""

    approvals: dict[Key, dict[str, Any]] = field(default_factory=dict)
    notes: dict[Key, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def of_merge_request(
        self, mr: dict[str, Any]
    ) -> tuple[list[Any], dict[str, Any] | None, list[Any]]:
        """Its notes, approvals and the commits saved after it."""
        key = (mr.get("project_id"), mr.get("iid"))
        return self.notes.get(key, []), self.approvals.get(key), self.commits.get(id(mr), [])

    def detail(self, value: Any) -> str | None:
        return _detail(value)

    def keep(self, kind: str, value: dict[str, Any]) -> bool:
        if kind == "approvals":
            self.approvals[(value.get("project_id"), value.get("iid"))] = value
        elif kind == "note":
            self.notes[(value.get("project_id"), value.get("noteable_iid"))].append(value)
        return kind in ("approvals", "note")

    def opens(self, value: dict[str, Any]) -> bool:
        return "source_branch" in value and "target_branch" in value


def gather(values: list[tuple[int, Any]]) -> Details:
    """Sort a saved file's values into details and the rest (see the module's docstring)."""
    return Details().gather(values)


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
