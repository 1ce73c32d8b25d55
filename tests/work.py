"""Write small, exact scenarios straight into a store: commits, activities, verdicts."""

from __future__ import annotations

from datetime import datetime

from ktlo.ingest.history import COMMIT_COLUMNS, WORK_ITEM_COLUMNS
from ktlo.records import WorkItem
from ktlo.store import Store


def add_commit(
    store: Store,
    item_id: str,
    author: str,
    when: str,
    verdict: tuple[str, str | None] = ("ktlo", "bug"),
    repo_id: str = "github.com/acme/shop",
    lines: int = 10,
    email: str | None = None,
    title: str | None = None,
) -> None:
    at = datetime.fromisoformat(when)
    email = email if email is not None else f"{author.split()[0].lower()}@acme.com"
    store.replace(
        "work_items", "item_id", [item_id], WORK_ITEM_COLUMNS,
        [(item_id, "git", "commit", repo_id, item_id, title or item_id, "", author, email, False, at, [], None, [])],
    )  # fmt: skip
    store.replace(
        "commits", "item_id", [item_id], COMMIT_COLUMNS,
        [(item_id, repo_id, item_id, [], at, 0, author, email, at, False, False, 1, lines, 0)],
    )  # fmt: skip
    set_verdict(store, item_id, *verdict)


def add_item(
    store: Store,
    item_id: str,
    kind: str,
    verdict: tuple[str, str | None],
    repo_id: str = "github.com/acme/shop",
    title: str | None = None,
) -> None:
    store.replace(
        "work_items", "item_id", [item_id], WORK_ITEM_COLUMNS,
        [(item_id, "github", kind, repo_id, item_id, title or item_id, "", None, None, False, None, [], None, [])],
    )  # fmt: skip
    set_verdict(store, item_id, *verdict)


def add_activity(store: Store, item_id: str, person: str, kind: str, when: str) -> None:
    store.insert(
        "activities",
        ["item_id", "person", "kind", "occurred_at", "source"],
        [(item_id, person, kind, datetime.fromisoformat(when), "github")],
    )


def set_verdict(store: Store, item_id: str, investment: str, subcategory: str | None) -> None:
    store.replace(
        "verdicts", "item_id", [item_id],
        ["item_id", "investment", "subcategory", "confidence", "reasons", "classifier", "classified_at"],
        [(item_id, investment, subcategory, 0.9, ["test"], "test", datetime(2026, 1, 1))],
    )  # fmt: skip


def jira(key: str, kind: str = "issue", parent: str | None = None, **fields: object) -> WorkItem:
    """A Jira issue of project PAY as a source hands it to `load_batch`."""
    return WorkItem(
        key=f"jira:issue:acme:{key}", source="jira", kind=kind, external_id=key, title=key,
        project="PAY", parent_key=parent, **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def plan_sprint(store: Store) -> None:
    """payments' Sprint 7 (2–13 March): a feature `f` (5 points) and a bug `b` (3) planned,
    an incident `i` (2) added on day 3. Ana spends 2 days on the feature, 1 on the bug, 1
    on the incident."""
    store.insert(
        "sprints", ["sprint_id", "source", "name", "team", "state", "starts_at", "ends_at"],
        [("jira:sprint:7", "jira", "Sprint 7", "payments", "closed", datetime(2026, 3, 2), datetime(2026, 3, 13, 23))],
    )  # fmt: skip
    for item, verdict, points in (
        ("f", ("new_work", "feature"), 5.0), ("b", ("ktlo", "bug"), 3.0),
        ("i", ("ktlo", "incident"), 2.0),
    ):  # fmt: skip
        add_item(store, item, "issue", verdict)
        store.con.execute("UPDATE work_items SET sprint = 'jira:sprint:7', estimate = ?, created_at = ? WHERE item_id = ?",
                          [points, datetime(2026, 2, 20), item])  # fmt: skip
    store.insert(
        "state_changes", ["item_id", "occurred_at", "field", "from_value", "to_value", "changed_by"],
        [("i", datetime(2026, 3, 4, 10), "sprint", None, "jira:sprint:7", "ana")],
    )  # fmt: skip
    for item, day in (("f", "02"), ("f", "03"), ("b", "05"), ("i", "04")):
        add_activity(store, item, "Ana Lima", "commented", f"2026-03-{day}T10:00:00")
