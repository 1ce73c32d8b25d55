"""What the DORA definitions read of a change, as an import or a saved answer gives it.

A pull request's commits (sha, authored and committed time), its reviews (time, state,
reviewer), its merge sha and base branch; a deployment's commits and the deployment it
followed; a push (ref, before, after, commits). The file import (`files.py`) and the GitHub
and GitLab records (`github_records.py`, `gitlab_records.py`) build them with these
functions, so every route stores them alike: commits in `change_commits`, reviews as
`reviewed` activities and `review` state changes, the merge sha as a `merged_as` link
(docs/import.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ktlo.classify.signals import is_bot
from ktlo.records import Activity, CommitRef, Link, StateChange
from ktlo.sources.base import parse_time

COMMIT_FIELDS = ("sha", "authored_at", "committed_at", "author")
REVIEW_FIELDS = ("submitted_at", "state", "reviewer")


def commit_list(value: Any) -> tuple[CommitRef, ...]:
    """Commits given as shas (`a1b2; c3d4` or a JSON array) or as objects.

    An object names its commit by `sha` (or `id`, as push hooks do) and may give
    `authored_at`, `committed_at` (ISO 8601), `author`; a push hook's `timestamp` is taken
    as the authored time. ValueError says what is wrong.
    """
    items = value if isinstance(value, list) else str(value).split(";")
    found = []
    for item in items:
        if isinstance(item, dict):
            found.append(_commit(item))
        elif str(item).strip():
            found.append(CommitRef(_sha(item)))
    return tuple(found)


def _commit(item: Mapping[str, Any]) -> CommitRef:
    sha = item.get("sha") or item.get("id")
    if not sha:
        raise ValueError("has a commit without its sha")
    author = item.get("author")
    name = str(author.get("name") or "") if isinstance(author, dict) else str(author or "")
    return CommitRef(
        sha=_sha(sha),
        authored_at=_time(item.get("authored_at") or item.get("timestamp"), "authored_at"),
        committed_at=_time(item.get("committed_at"), "committed_at"),
        author=name or None,
        is_bot=bool(item.get("bot")) or (bool(name) and is_bot(name)),
    )


def _sha(value: Any) -> str:
    text = str(value).strip().lower()
    if not text or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"has {value!r}, which is not a commit sha (hexadecimal)")
    return text


def _time(value: Any, name: str) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        raise ValueError(f"has a commit whose {name} {value!r} is not ISO 8601") from None


def review_list(value: Any) -> tuple[tuple[datetime, str, str | None], ...]:
    """Reviews as objects `{"submitted_at", "state", "reviewer"}`: (time, state, reviewer)."""
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise TypeError("is not a list of objects")
    found = []
    for review in value:
        when = parse_time(review.get("submitted_at"))
        if when is None or not review.get("state"):
            raise ValueError("has a review without submitted_at or state")
        reviewer = str(review.get("reviewer") or "") or None
        found.append((when, str(review["state"]).strip().lower(), reviewer))
    return tuple(found)


def review_parts(
    reviews: tuple[tuple[datetime, str, str | None], ...],
) -> tuple[list[Activity], list[StateChange]]:
    """Reviews as ktlo stores them (as the GitHub connector does): activities, state changes."""
    activities = [Activity(who, "reviewed", when, state) for when, state, who in reviews if who]
    changes = [StateChange(when, "review", None, state, who) for when, state, who in reviews]
    return activities, changes


def commit_parts(
    commits: tuple[CommitRef, ...], merge_sha: str | None
) -> tuple[list[Link], list[Activity]]:
    """A pull request's commits and merge sha as links, and `committed` activities."""
    links = [Link(c.sha, "contains") for c in commits]
    if merge_sha:
        links.append(Link(merge_sha.lower(), "merged_as"))
    activities = [
        Activity(c.author, "committed", c.authored_at, c.sha)
        for c in commits
        if c.author and c.authored_at is not None
    ]
    return links, activities
