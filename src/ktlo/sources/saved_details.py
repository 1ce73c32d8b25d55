"""Saved forge answers (GitHub, GitLab): the details a list answer lacks, sorted out of the
same file. What every forge shares lives here: push payloads, commits that belong to the
pull (merge) request saved before them, and the rest of the values in their order; each
forge's module (`github_saved`, `gitlab_saved`) says which value is which detail and keeps
its own (reviews, statuses, approvals, notes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Self


@dataclass
class SavedDetails(ABC):
    """A saved file's values: details keyed by what they belong to, and the rest in order."""

    rest: list[tuple[int, Any]] = field(default_factory=list)
    pushes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def gather(self, values: list[tuple[int, Any]]) -> Self:
        """Sort `values` into details and the rest; a commit goes to the pull request saved
        last before it (a commit saved before any stays with the rest)."""
        parent: dict[str, Any] | None = None
        for line, value in values:
            kind = self.detail(value)
            if kind == "commit" and parent is not None:
                self.commits[id(parent)].append(value)
            elif kind == "push":
                self.pushes.append((line, value))
            elif kind is None or not self.keep(kind, value):
                self.rest.append((line, value))
                if isinstance(value, dict) and self.opens(value):
                    parent = value
        return self

    @abstractmethod
    def detail(self, value: Any) -> str | None:
        """Which detail a saved value is (`commit`, `push` or the forge's own), None if none."""

    @abstractmethod
    def keep(self, kind: str, value: dict[str, Any]) -> bool:
        """Keep a detail of the forge's own kind; False for a value that is none of them."""

    @abstractmethod
    def opens(self, value: dict[str, Any]) -> bool:
        """True for a pull (merge) request: the commits saved after it are its own."""
