"""The demo's pull requests, in ktlo's documented import format (docs/import.md).

The commits made on an issue land through one pull request: opened with its first commit,
named after the issue the way the team names things (`SRCH-412 Support facet filters`,
branch `SRCH-412-support-facet-filters`), reviewed by one or two teammates, and merged
(rebased: the last commit is the one main gets) when the issue is done.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from ktlo.demo.history import DemoCommit
from ktlo.demo.items import Issue
from ktlo.demo.organisation import END, ORG

LAST_MOMENT = datetime.combine(END, time(23, 0))
BRANCH_PREFIX = {"feature": "feat", "project": "feat", "bug": "fix", "incident": "hotfix"}


def write_pulls(
    path: Path, commits: list[DemoCommit], shas: list[str], rng: random.Random
) -> dict[tuple[str, str], str]:
    """One pull request per issue and repository its commits went to, as JSON lines.
    Returns what each is: (repository, number) → the kind of work."""
    groups: dict[tuple[Issue, str], list[int]] = {}
    for i, commit in enumerate(commits):
        issue = commit.change.issue
        if issue is not None:
            groups.setdefault((issue, commit.repo), []).append(i)
    numbers: dict[str, int] = {}
    rows = []
    order = sorted(groups.values(), key=lambda indexes: commits[indexes[0]].when)
    for indexes in order:
        repo = commits[indexes[0]].repo
        numbers[repo] = numbers.get(repo, 0) + 1
        rows.append(_pull(repo, numbers[repo], [commits[i] for i in indexes],
                          [shas[i] for i in indexes], rng))  # fmt: skip
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n")
    return {
        (row["repo"], row["number"]): commits[i[0]].sub for row, i in zip(rows, order, strict=True)
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pull(
    repo: str, number: int, commits: list[DemoCommit], shas: list[str], rng: random.Random
) -> dict[str, Any]:
    issue = commits[0].change.issue
    assert issue is not None
    first, last = commits[0], commits[-1]
    title = _title(issue, first.message.split("\n", 1)[0])
    opened = first.when + timedelta(minutes=rng.randint(5, 90))
    merged = None
    if issue.done is not None:
        merged = max(issue.done, last.when + timedelta(hours=1), opened + timedelta(minutes=30))
    reviewers = [p for p in issue.team.people if p not in issue.people]
    reviews = []
    for reviewer in rng.sample(reviewers, rng.randint(1, 2)):
        at = last.when + timedelta(minutes=rng.randint(20, 300))
        at = min(at, merged - timedelta(minutes=5)) if merged else min(at, LAST_MOMENT)
        state = "approved" if merged is not None and rng.random() < 0.7 else "commented"
        reviews.append(
            {"submitted_at": _iso(max(at, opened)), "state": state, "reviewer": reviewer.name}
        )
    row: dict[str, Any] = {
        "id": f"{repo}-{number}", "number": str(number), "kind": "pull_request", "title": title,
        "body": f"{'Fixes' if issue.kind == 'Bug' else 'Closes'} {issue.key}" if issue.tracked else "",
        "repo": f"{ORG}/{repo}", "author": issue.people[0].name, "author_email": issue.people[0].email,
        "state": "merged" if merged else "open", "branch": _branch(issue), "base_branch": "main",
        "created_at": _iso(opened), "updated_at": _iso(merged or last.when),
        "commits": [{"sha": sha, "authored_at": _iso(c.when), "committed_at": _iso(c.when),
                     "author": c.author[0]} for c, sha in zip(commits, shas, strict=True)],
        "reviews": sorted(reviews, key=lambda r: r["submitted_at"]),
    }  # fmt: skip
    if merged is not None:
        row["merged_at"] = row["closed_at"] = _iso(merged)
        row["merge_sha"] = shas[-1]
    return row


def _title(issue: Issue, subject: str) -> str:
    """The first commit's subject, with the issue's key where the team puts keys in titles."""
    style = issue.team.style
    if style == "free" and issue.tracked and issue.key not in subject:
        return f"{subject} ({issue.key})"
    return subject


def _branch(issue: Issue) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", issue.title.lower()).strip("-")[:40].rstrip("-")
    if not issue.tracked:
        return f"chore/{slug}"
    if issue.team.style == "ticket":
        return f"{issue.key}-{slug}"
    prefix = BRANCH_PREFIX.get(issue.sub, "chore")
    return f"{prefix}/{issue.key.lower()}-{slug}"
