"""One DORA scenario, written three ways: ktlo's file import, saved GitHub answers and saved
GitLab answers (shaped as each vendor documents its REST API and push webhooks).

Two services, `shop` and `search`, one repository each; the window is March 2026 (March 1
is a Sunday). The traps: each service's first deployment (shop's in February, search's in
March), a failed deployment retried with the same head (S2, S3), a week without any
deployment (March 16-22), a revert pull request (shop #6 reverts #5), a branch pushed and
never merged (`experiment`), a bot's commit pushed straight to main (b1), an incident still
open (I4), two incidents on one deployment (I1, I2 on S4), a Sunday hotfix (#4, S5 on
March 8), and an incident that began while its deployment was still running (I6 during S8).
tests/test_dora_scenario.py works every figure out by hand from this data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ZERO = "0" * 40


def sha(name: str) -> str:
    """A commit's sha, made up from its name (`m1` is shop's first merge)."""
    return hashlib.sha1(name.encode()).hexdigest()


def ts(text: str) -> str:
    """`03-02 09:00` (2026) or `2026-02-20 10:00` -> `2026-03-02T09:00:00Z`."""
    if not text.startswith("20"):
        text = f"2026-{text}"
    return text.replace(" ", "T") + ":00Z"


@dataclass(frozen=True)
class Deploy:
    ident: str
    service: str
    started: str
    finished: str
    status: str  # success or failure
    head: str  # the commit's name


@dataclass(frozen=True)
class Push:
    service: str
    ref: str
    before: str  # a commit's name, or "" for a new branch
    after: str
    commits: tuple[tuple[str, str, str], ...]  # (name, authored, author)


@dataclass(frozen=True)
class Pull:
    service: str
    number: int
    title: str
    head_branch: str
    opened: str
    merged: str
    merge: str  # the merge commit's name
    commits: tuple[tuple[str, str, str], ...]  # (name, authored, committed)
    reviews: tuple[tuple[str, str, str], ...] = ()  # (submitted, state, reviewer)
    body: str = ""
    author: str = "ana"


@dataclass(frozen=True)
class Incident:
    ident: str
    service: str
    title: str
    created: str
    resolved: str | None


DEPLOYS = (
    Deploy("S0", "shop", "2026-02-20 10:00", "2026-02-20 10:10", "success", "a0"),
    Deploy("S1", "shop", "03-03 11:00", "03-03 11:20", "success", "m1"),
    Deploy("S2", "shop", "03-04 09:00", "03-04 09:05", "failure", "b1"),
    Deploy("S3", "shop", "03-04 10:00", "03-04 10:15", "success", "b1"),
    Deploy("S4", "shop", "03-06 17:00", "03-06 17:30", "success", "m3"),
    Deploy("S5", "shop", "03-08 09:00", "03-08 09:10", "success", "m4"),
    Deploy("S6", "shop", "03-11 11:00", "03-11 11:30", "success", "m5"),
    Deploy("S7", "shop", "03-12 10:00", "03-12 10:20", "success", "m6"),
    Deploy("S8", "shop", "03-24 10:00", "03-24 10:30", "success", "m7"),
    Deploy("T1", "search", "03-10 10:00", "03-10 10:45", "success", "n1"),
    Deploy("T2", "search", "03-26 13:00", "03-26 13:40", "success", "n2"),
)

MAIN = "refs/heads/main"
PUSHES = (
    Push("shop", MAIN, "", "a0", (("a0", "2026-02-19 09:00", "ana"),)),
    Push("shop", MAIN, "a0", "m1", (("c11", "03-02 09:00", "ana"), ("c12", "03-02 13:00", "ana"),
                                    ("m1", "03-03 10:00", "ana"))),
    Push("shop", MAIN, "m1", "b1", (("b1", "03-04 07:55", "renovate[bot]"),)),
    Push("shop", MAIN, "b1", "m2", (("c21", "03-05 10:00", "raj"), ("m2", "03-06 11:00", "raj"))),
    Push("shop", MAIN, "m2", "m3", (("c31", "03-06 15:00", "lee"), ("m3", "03-06 16:00", "lee"))),
    Push("shop", MAIN, "m3", "m4", (("c41", "03-08 08:00", "ana"), ("m4", "03-08 08:40", "ana"))),
    Push("shop", MAIN, "m4", "m5", (("c51", "03-10 09:00", "raj"), ("m5", "03-11 10:00", "raj"))),
    Push("shop", MAIN, "m5", "m6", (("r61", "03-12 09:00", "lee"), ("m6", "03-12 09:30", "lee"))),
    Push("shop", "refs/heads/experiment", "m5", "e2",
         (("e1", "03-13 09:00", "raj"), ("e2", "03-13 10:00", "raj"))),
    Push("shop", MAIN, "m6", "m7", (("c71", "03-23 09:00", "ana"), ("m7", "03-24 09:00", "ana"))),
    Push("search", MAIN, "q0", "n1", (("s11", "03-09 09:00", "eve"), ("n1", "03-10 09:00", "eve"))),
    Push("search", MAIN, "n1", "n2", (("s21", "03-25 09:00", "eve"), ("n2", "03-26 12:00", "eve"))),
)  # fmt: skip

PULLS = (
    Pull("shop", 1, "Add cart", "feature/cart", "03-02 14:00", "03-03 10:00", "m1",
         (("c11", "03-02 09:00", "03-02 09:30"), ("c12", "03-02 13:00", "03-02 13:00")),
         (("03-02 16:00", "commented", "bob"), ("03-03 09:00", "approved", "carol"))),
    Pull("shop", 2, "Add coupons", "feature/coupons", "03-05 12:00", "03-06 11:00", "m2",
         (("c21", "03-05 10:00", "03-06 09:00"),), (("03-06 10:00", "approved", "carol"),),
         author="raj"),
    Pull("shop", 3, "Fix totals", "fix/totals", "03-06 15:30", "03-06 16:00", "m3",
         (("c31", "03-06 15:00", "03-06 15:00"),), author="lee"),
    Pull("shop", 4, "Hotfix: coupon rounding", "hotfix/rounding", "03-08 08:10", "03-08 08:40",
         "m4", (("c41", "03-08 08:00", "03-08 08:00"),), (("03-08 08:30", "approved", "bob"),)),
    Pull("shop", 5, "Add wishlist", "feature/wishlist", "03-10 10:00", "03-11 10:00", "m5",
         (("c51", "03-10 09:00", "03-10 09:00"),),
         (("03-10 12:00", "changes_requested", "carol"), ("03-11 09:00", "approved", "carol")),
         author="raj"),
    Pull("shop", 6, 'Revert "Add wishlist"', "revert-5-add-wishlist", "03-12 09:05",
         "03-12 09:30", "m6", (("r61", "03-12 09:00", "03-12 09:00"),),
         (("03-12 09:20", "approved", "bob"),), body=f"This reverts commit {sha('m5')}.",
         author="lee"),
    Pull("shop", 7, "Search box", "feature/search-box", "03-23 10:00", "03-24 09:00", "m7",
         (("c71", "03-23 09:00", "03-23 09:00"),), (("03-23 15:00", "approved", "bob"),)),
    Pull("search", 1, "Index v2", "feature/index-v2", "03-09 10:00", "03-10 09:00", "n1",
         (("s11", "03-09 09:00", "03-09 09:00"),), (("03-09 14:00", "approved", "dave"),),
         author="eve"),
    Pull("search", 2, "Ranking", "feature/ranking", "03-26 09:00", "03-26 12:00", "n2",
         (("s21", "03-25 09:00", "03-26 08:00"),), author="eve"),
)  # fmt: skip

INCIDENTS = (
    Incident("I1", "shop", f"Checkout errors, root cause: {sha('c31')}", "03-06 18:00", "03-06 20:00"),
    Incident("I2", "shop", "Coupon totals wrong", "03-07 09:00", "03-07 10:30"),
    Incident("I3", "shop", "Wishlist page 500", "03-11 12:00", "03-12 10:30"),
    Incident("I4", "shop", "Search box crash", "03-25 09:00", None),
    Incident("I5", "search", f"Search latency, root cause: {sha('s21')}", "03-26 14:00", "03-26 16:00"),
    Incident("I6", "shop", f"Checkout slow, root cause: {sha('c71')}", "03-24 10:15", "03-24 10:25"),
)  # fmt: skip


def _before(push: Push) -> str:
    return sha(push.before) if push.before else ZERO


def _write(path: Path, values: list[Any]) -> Path:
    path.write_text("\n".join(json.dumps(v) for v in values) + "\n")
    return path


def incidents_file(folder: Path) -> Path:
    """The incidents, as ktlo's import reads them (every route takes them from here)."""
    rows = [
        {"id": i.ident, "title": i.title, "service": i.service, "created_at": ts(i.created),
         "resolved_at": ts(i.resolved) if i.resolved else None}
        for i in INCIDENTS
    ]  # fmt: skip
    return _write(folder / "incidents.json", rows)


# -- ktlo's file import (docs/import.md) ---------------------------------------------------


def shipped(deploy: Deploy) -> list[tuple[str, str, str]]:
    """The commits a deployment shipped since the previous successful one of its service,
    followed back through the pushes to main (what a deployment record can list)."""
    ok = [d for d in DEPLOYS if d.service == deploy.service and d.status == "success"]
    before = [d for d in ok if ts(d.finished) < ts(deploy.finished)]
    stop = before[-1].head if before else None
    found, head = [], deploy.head
    while head != stop:
        push = next((p for p in PUSHES if p.ref == MAIN and p.after == head), None)
        if push is None:
            break
        found = list(push.commits) + found
        head = push.before
    return found


def import_files(folder: Path, carrier: str = "pushes") -> list[Path]:
    """work_items.json, deployments.json and what tells what each deployment shipped: the
    pushes (pushes.json, with or without their repository), or (`carrier="deployments"`)
    each deployment's own commits."""
    repo = {"shop": "github.com/acme/shop", "search": "github.com/acme/search"}
    pulls = [
        {"id": f"{p.service}-{p.number}", "number": str(p.number), "kind": "pull_request",
         "title": p.title, "body": p.body, "state": "merged", "author": p.author,
         "repo": repo[p.service], "branch": p.head_branch, "base_branch": "main",
         "created_at": ts(p.opened), "merged_at": ts(p.merged), "closed_at": ts(p.merged),
         "merge_sha": sha(p.merge),
         "commits": [{"sha": sha(c), "authored_at": ts(a), "committed_at": ts(m), "author": p.author}
                     for c, a, m in p.commits],
         "reviews": [{"submitted_at": ts(at), "state": state, "reviewer": who}
                     for at, state, who in p.reviews]}
        for p in PULLS
    ]  # fmt: skip
    deploys = [
        {"id": d.ident, "repo": repo[d.service], "service": d.service, "environment": "production",
         "sha": sha(d.head), "ref": "main", "status": d.status, "created_at": ts(d.started),
         "finished_at": ts(d.finished)}
        for d in DEPLOYS
    ]  # fmt: skip
    for row, d in zip(deploys, DEPLOYS, strict=True):  # as an export names them: S3 follows S2
        earlier = [e for e in DEPLOYS if e.service == d.service and ts(e.started) < ts(d.started)]
        row["previous"] = earlier[-1].ident if earlier else None
    pushes = [
        {"repo": repo[p.service], "ref": p.ref, "before": _before(p), "after": sha(p.after),
         "commits": [{"sha": sha(c), "authored_at": ts(at), "author": who} for c, at, who in p.commits]}
        for p in PUSHES
    ]  # fmt: skip
    if carrier == "pushes without repo":  # a hook log that never said which repository
        for row in pushes:
            del row["repo"]
    if carrier == "deployments":
        for row, d in zip(deploys, DEPLOYS, strict=True):
            row["commits"] = [{"sha": sha(c), "authored_at": ts(at), "author": who}
                              for c, at, who in shipped(d)]  # fmt: skip
        return [
            _write(folder / "work_items.json", pulls),
            _write(folder / "deployments.json", deploys),
        ]
    return [
        _write(folder / "work_items.json", pulls),
        _write(folder / "deployments.json", deploys),
        _write(folder / "pushes.json", pushes),
    ]


# -- saved GitHub answers ------------------------------------------------------------------

API = "https://api.github.com/repos/acme"


def _user_id(name: str) -> int:
    return int(sha(name)[:6], 16)


def _gh_user(login: str) -> dict[str, Any]:
    return {"login": login, "id": _user_id(login), "type": "Bot" if "[bot]" in login else "User"}


def github_files(folder: Path) -> list[Path]:
    """Per repository: pulls, each followed by its commits and reviews; deployments and their
    statuses; push webhook payloads."""
    paths = []
    for service in ("shop", "search"):
        values: list[Any] = []
        for p in (p for p in PULLS if p.service == service):
            values += [_gh_pull(p), *(_gh_commit(p, c) for c in p.commits)]
            values += [_gh_review(p, k, r) for k, r in enumerate(p.reviews)]
        for d in (d for d in DEPLOYS if d.service == service):
            values += [_gh_deployment(d), *_gh_statuses(d)]
        values += [_gh_push(p) for p in PUSHES if p.service == service]
        paths.append(_write(folder / f"github-{service}.json", values))
    return paths


def _gh_pull(p: Pull) -> dict[str, Any]:
    url = f"{API}/{p.service}/pulls/{p.number}"
    return {
        "url": url, "id": 1000 + p.number, "number": p.number, "state": "closed",
        "title": p.title, "body": p.body, "user": _gh_user(p.author),
        "created_at": ts(p.opened), "updated_at": ts(p.merged), "closed_at": ts(p.merged),
        "merged_at": ts(p.merged), "merge_commit_sha": sha(p.merge), "labels": [],
        "html_url": f"https://github.com/acme/{p.service}/pull/{p.number}",
        "head": {"ref": p.head_branch, "sha": sha(p.commits[-1][0])},
        "base": {"ref": "main", "repo": {"full_name": f"acme/{p.service}"}},
    }  # fmt: skip


def _gh_commit(p: Pull, commit: tuple[str, str, str]) -> dict[str, Any]:
    name, authored, committed = commit
    return {
        "sha": sha(name), "url": f"{API}/{p.service}/commits/{sha(name)}",
        "html_url": f"https://github.com/acme/{p.service}/commit/{sha(name)}",
        "commit": {"message": f"{p.title} ({name})",
                   "author": {"name": p.author, "email": f"{p.author}@acme.test", "date": ts(authored)},
                   "committer": {"name": p.author, "email": f"{p.author}@acme.test", "date": ts(committed)}},
        "author": _gh_user(p.author), "committer": _gh_user(p.author), "parents": [],
    }  # fmt: skip


def _gh_review(p: Pull, k: int, review: tuple[str, str, str]) -> dict[str, Any]:
    at, state, who = review
    return {
        "id": 100 * p.number + k, "user": _gh_user(who), "body": "", "state": state.upper(),
        "submitted_at": ts(at), "pull_request_url": f"{API}/{p.service}/pulls/{p.number}",
        "html_url": f"https://github.com/acme/{p.service}/pull/{p.number}#pullrequestreview-{k}",
    }  # fmt: skip


def _gh_id(d: Deploy) -> int:
    return 500 + [x.ident for x in DEPLOYS].index(d.ident)


def _gh_deployment(d: Deploy) -> dict[str, Any]:
    return {
        "url": f"{API}/{d.service}/deployments/{_gh_id(d)}", "id": _gh_id(d), "sha": sha(d.head),
        "ref": "main", "task": "deploy", "environment": "production", "payload": {},
        "creator": _gh_user("deployer"), "created_at": ts(d.started), "updated_at": ts(d.finished),
        "statuses_url": f"{API}/{d.service}/deployments/{_gh_id(d)}/statuses",
        "repository_url": f"{API}/{d.service}",
    }  # fmt: skip


def _gh_statuses(d: Deploy) -> Iterator[dict[str, Any]]:
    url = f"{API}/{d.service}/deployments/{_gh_id(d)}"
    for k, (state, at) in enumerate((("in_progress", d.started), (d.status, d.finished))):
        yield {"url": f"{url}/statuses/{10 * _gh_id(d) + k}", "id": 10 * _gh_id(d) + k,
               "state": state, "environment": "production", "created_at": ts(at),
               "updated_at": ts(at), "deployment_url": url, "repository_url": f"{API}/{d.service}"}  # fmt: skip


def _gh_push(p: Push) -> dict[str, Any]:
    commits = [
        {"id": sha(c), "tree_id": sha(c + "-tree"), "distinct": True, "message": c,
         "timestamp": ts(at), "url": f"https://github.com/acme/{p.service}/commit/{sha(c)}",
         "author": {"name": who, "email": f"{who}@acme.test", "username": who},
         "committer": {"name": who, "email": f"{who}@acme.test", "username": who}}
        for c, at, who in p.commits
    ]  # fmt: skip
    return {
        "ref": p.ref, "before": _before(p), "after": sha(p.after), "created": not p.before,
        "deleted": False, "forced": False, "base_ref": None, "commits": commits,
        "head_commit": commits[-1], "compare": f"https://github.com/acme/{p.service}/compare",
        "repository": {"full_name": f"acme/{p.service}", "name": p.service,
                       "html_url": f"https://github.com/acme/{p.service}"},
        "pusher": {"name": p.commits[-1][2], "email": None},
    }  # fmt: skip


# -- saved GitLab answers ------------------------------------------------------------------

WEB = "https://gitlab.com/acme"
PROJECT = {"shop": 42, "search": 43}


def gitlab_files(folder: Path) -> list[Path]:
    """Per project: merge requests, each followed by its commits, approvals and notes;
    deployments; push hook payloads. A revert's source branch is GitLab's own name for it."""
    paths = []
    for service in ("shop", "search"):
        values: list[Any] = []
        for p in (p for p in PULLS if p.service == service):
            values += [_gl_mr(p), *(_gl_commit(p, c) for c in p.commits), _gl_approvals(p)]
            values += [_gl_note(p, k, r) for k, r in enumerate(p.reviews) if r[1] != "approved"]
        values += [_gl_deployment(d) for d in DEPLOYS if d.service == service]
        values += [_gl_push(p) for p in PUSHES if p.service == service]
        paths.append(_write(folder / f"gitlab-{service}.json", values))
    return paths


def _gl_user(username: str) -> dict[str, Any]:
    return {"id": _user_id(username), "username": username, "name": username,
            "bot": "[bot]" in username, "web_url": f"https://gitlab.com/{username}"}  # fmt: skip


def _gl_source_branch(p: Pull) -> str:
    reverted = p.head_branch.removeprefix("revert-").split("-")[0]
    if p.head_branch.startswith("revert-"):  # GitLab names a revert after the merge sha
        original = next(q for q in PULLS if q.service == p.service and q.number == int(reverted))
        return "revert-" + sha(original.merge)[:8]
    return p.head_branch


def _gl_mr(p: Pull) -> dict[str, Any]:
    return {
        "id": 7000 + p.number, "iid": p.number, "project_id": PROJECT[p.service],
        "title": p.title, "description": p.body, "state": "merged", "author": _gl_user(p.author),
        "created_at": ts(p.opened), "updated_at": ts(p.merged), "merged_at": ts(p.merged),
        "closed_at": None, "merge_commit_sha": sha(p.merge), "squash_commit_sha": None,
        "source_branch": _gl_source_branch(p), "target_branch": "main", "labels": [],
        "web_url": f"{WEB}/{p.service}/-/merge_requests/{p.number}",
    }  # fmt: skip


def _gl_commit(p: Pull, commit: tuple[str, str, str]) -> dict[str, Any]:
    name, authored, committed = commit
    return {
        "id": sha(name), "short_id": sha(name)[:8], "title": name, "message": name,
        "author_name": p.author, "author_email": f"{p.author}@acme.test",
        "authored_date": ts(authored), "committer_name": p.author,
        "committer_email": f"{p.author}@acme.test", "committed_date": ts(committed),
        "created_at": ts(committed), "parent_ids": [], "web_url": f"{WEB}/{p.service}/-/commit/{sha(name)}",
    }  # fmt: skip


def _gl_approvals(p: Pull) -> dict[str, Any]:
    approved = [{"user": _gl_user(who), "approved_at": ts(at)}
                for at, state, who in p.reviews if state == "approved"]  # fmt: skip
    return {"id": 7000 + p.number, "iid": p.number, "project_id": PROJECT[p.service],
            "title": p.title, "state": "merged", "approved": bool(approved), "approved_by": approved}  # fmt: skip


def _gl_note(p: Pull, k: int, review: tuple[str, str, str]) -> dict[str, Any]:
    at, state, who = review
    return {
        "id": 30000 + 100 * p.number + k, "type": "DiffNote" if state == "changes_requested" else None,
        "body": "Please change this" if state == "changes_requested" else "A question",
        "author": _gl_user(who), "created_at": ts(at), "updated_at": ts(at), "system": False,
        "noteable_id": 7000 + p.number, "noteable_type": "MergeRequest", "noteable_iid": p.number,
        "project_id": PROJECT[p.service],
    }  # fmt: skip


def _gl_deployment(d: Deploy) -> dict[str, Any]:
    job = 90000 + _gh_id(d)
    status = "success" if d.status == "success" else "failed"
    return {
        "id": 800 + _gh_id(d), "iid": _gh_id(d), "ref": "main", "sha": sha(d.head),
        "created_at": ts(d.started), "updated_at": ts(d.finished), "finished_at": ts(d.finished),
        "status": status, "user": _gl_user("deployer"),
        "deployable": {"id": job, "name": "deploy-production", "stage": "deploy", "status": status,
                       "started_at": ts(d.started), "finished_at": ts(d.finished), "ref": "main",
                       "web_url": f"{WEB}/{d.service}/-/jobs/{job}"},
        "environment": {"id": 9, "name": "production", "external_url": f"https://{d.service}.acme.test"},
    }  # fmt: skip


def _gl_push(p: Push) -> dict[str, Any]:
    commits = [
        {"id": sha(c), "message": c, "title": c, "timestamp": ts(at),
         "url": f"{WEB}/{p.service}/-/commit/{sha(c)}",
         "author": {"name": who, "email": f"{who}@acme.test"}, "added": [], "modified": [], "removed": []}
        for c, at, who in p.commits
    ]  # fmt: skip
    return {
        "object_kind": "push", "event_name": "push", "before": _before(p), "after": sha(p.after),
        "ref": p.ref, "checkout_sha": sha(p.after), "user_username": p.commits[-1][2],
        "project_id": PROJECT[p.service], "commits": commits, "total_commits_count": len(commits),
        "project": {"id": PROJECT[p.service], "name": p.service, "web_url": f"{WEB}/{p.service}",
                    "path_with_namespace": f"acme/{p.service}", "default_branch": "main"},
    }  # fmt: skip
