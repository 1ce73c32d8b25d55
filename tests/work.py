"""Write small, exact scenarios straight into a store: commits, activities, verdicts."""

from __future__ import annotations

from datetime import datetime

from ktlo.ingest.history import COMMIT_COLUMNS, WORK_ITEM_COLUMNS
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
