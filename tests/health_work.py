"""Small operational scenarios written straight into a store: deployments, incidents, CI runs,
alerts, pull requests, commits and bugs, each with only the fields a test cares about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ktlo.store import Store

REPO = "github.com/acme/shop"


def at(text: str | None) -> datetime | None:
    """`2026-03-02 10:00` -> a naive UTC datetime."""
    return datetime.fromisoformat(text) if text else None


def _row(store: Store, table: str, values: dict[str, Any]) -> None:
    store.insert(table, list(values), [tuple(values.values())])


def deployment(
    store: Store, ident: str, when: str, service: str | None = "shop", status: str = "success",
    environment: str = "production", sha: str | None = None, repo: str | None = REPO,
    finished: str | None = None,
) -> None:  # fmt: skip
    _row(store, "deployments", {
        "deployment_id": f"test:deployment:{ident}", "source": "test", "external_id": ident,
        "repo_id": repo, "service": service, "environment": environment, "sha": sha,
        "ref": "main", "status": status, "created_at": at(when), "finished_at": at(finished),
    })  # fmt: skip


def incident(
    store: Store, ident: str, created: str, resolved: str | None = None,
    service: str | None = "shop", severity: str = "sev2", title: str | None = None,
    acknowledged: str | None = None, raw: str | None = None, teams: Sequence[str] = (),
) -> None:  # fmt: skip
    _row(store, "incidents", {
        "incident_id": f"test:incident:{ident}", "source": "test", "external_id": ident,
        "title": title or f"incident {ident}", "service": service, "teams": list(teams),
        "severity": severity, "created_at": at(created), "acknowledged_at": at(acknowledged),
        "resolved_at": at(resolved), "raw": raw,
    })  # fmt: skip


def incident_event(store: Store, ident: str, when: str, kind: str, person: str | None) -> None:
    _row(store, "incident_events", {
        "incident_id": f"test:incident:{ident}", "occurred_at": at(when), "kind": kind, "person": person,
    })  # fmt: skip


def build(
    store: Store, ident: str, workflow: str, conclusion: str, started: str, finished: str,
    queued: str | None = None, sha: str = "s1", branch: str = "main", attempt: int = 1,
    job: str | None = None, repo: str = REPO,
) -> None:  # fmt: skip
    _row(store, "builds", {
        "build_id": f"test:build:{ident}", "source": "test", "external_id": ident, "repo_id": repo,
        "workflow": workflow, "job": job, "sha": sha, "branch": branch, "event": "push",
        "status": "completed", "conclusion": conclusion, "attempt": attempt,
        "queued_at": at(queued or started), "started_at": at(started), "finished_at": at(finished),
    })  # fmt: skip


def alert(
    store: Store, ident: str, created: str, closed: str | None = None, title: str = "CPU high",
    service: str | None = "shop", acknowledged: str | None = None, incident: str | None = None,
    responders: Sequence[str] = (), source: str = "test",
) -> None:  # fmt: skip
    _row(store, "alerts", {
        "alert_id": f"test:alert:{ident}", "source": source, "external_id": ident,
        "incident_id": f"test:incident:{incident}" if incident else None, "service": service,
        "title": title, "created_at": at(created), "acknowledged_at": at(acknowledged),
        "closed_at": at(closed), "responders": list(responders),
    })  # fmt: skip


def work_item(
    store: Store, item_id: str, kind: str, title: str, created: str, *, repo: str | None = REPO,
    external_id: str | None = None, body: str = "", closed: str | None = None,
    merged: str | None = None, labels: Sequence[str] = (), standard_type: str | None = None,
    refs: Sequence[str] = (), raw: str | None = None, state: str | None = None,
) -> None:  # fmt: skip
    _row(store, "work_items", {
        "item_id": item_id, "source": "test", "kind": kind, "repo_id": repo,
        "external_id": external_id or item_id.rsplit(":", 1)[-1], "title": title, "body": body,
        "is_bot": False, "created_at": at(created), "labels": list(labels), "refs": list(refs),
        "closed_at": at(closed), "merged_at": at(merged), "standard_type": standard_type,
        "raw": raw, "state": state,
    })  # fmt: skip


def pull(
    store: Store, number: int, title: str, opened: str, merged: str, *, first_commit: str | None = None,
    body: str = "", labels: Sequence[str] = (), repo: str = REPO, merged_as: str | None = None,
    base: str | None = None,
) -> str:  # fmt: skip
    item_id = f"github:pull_request:{repo}:{number}"
    raw = f'{{"base": {{"ref": "{base}"}}}}' if base else None
    work_item(store, item_id, "pull_request", title, opened, repo=repo, external_id=str(number),
              body=body, merged=merged, closed=merged, labels=labels, raw=raw, state="merged")  # fmt: skip
    if first_commit:
        _row(store, "activities", {"item_id": item_id, "person": "dev", "kind": "committed",
                                   "occurred_at": at(first_commit), "source": "test"})  # fmt: skip
    if merged_as:
        _row(store, "links", {"from_id": item_id, "to_ref": merged_as, "kind": "merged_as"})
    return item_id


def commit(
    store: Store, sha: str, title: str, authored: str, committed: str | None = None, *,
    body: str = "", repo: str = REPO, refs: Sequence[str] = (), author: str = "dev",
) -> None:  # fmt: skip
    item_id = f"git:commit:{repo}:{sha}"
    work_item(
        store, item_id, "commit", title, authored, repo=repo, external_id=sha, body=body, refs=refs
    )
    store.con.execute("UPDATE work_items SET author_name = ? WHERE item_id = ?", [author, item_id])
    _row(store, "commits", {
        "item_id": item_id, "repo_id": repo, "sha": sha, "parents": [], "authored_at": at(authored),
        "author_utc_offset_minutes": 0, "committed_at": at(committed or authored), "is_merge": False,
        "is_boundary": False, "files_changed": 1, "lines_added": 1, "lines_deleted": 0,
    })  # fmt: skip


def review(store: Store, item_id: str, when: str, state: str, who: str = "rev") -> None:
    _row(store, "state_changes", {"item_id": item_id, "occurred_at": at(when), "field": "review",
                                  "from_value": None, "to_value": state, "changed_by": who})  # fmt: skip


def bug(
    store: Store, ident: str, created: str, closed: str | None = None, labels: Sequence[str] = (),
    title: str | None = None, repo: str = REPO,
) -> None:  # fmt: skip
    work_item(store, f"test:issue:{ident}", "issue", title or f"bug {ident}", created, repo=repo,
              closed=closed, labels=labels, standard_type="bug",
              state="closed" if closed else "open")  # fmt: skip
