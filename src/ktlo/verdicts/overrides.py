"""People's corrections of verdicts, kept in their own table so nothing recomputed erases them."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import Field

from ktlo.classify.rules import parse_category
from ktlo.config import Config
from ktlo.documents import Document
from ktlo.errors import InputError, NotFoundError
from ktlo.store import Store
from ktlo.verdicts.refs import resolve_item, short_refs


class Override(Document):
    """One person's correction of a verdict (a row of `ktlo override --list --json`)."""

    item_id: str = Field(description="the overridden item's full id")
    title: str | None = Field(description="its title; `null` when the item is no longer stored")
    investment: str = Field(description="the investment it is now: `ktlo`, `new_work` or `other`")
    subcategory: str | None = Field(description="the subcategory it is now, `null` without one")
    note: str | None = Field(description="why, as given with `--note` (or `review: ...`)")
    created_by: str | None = Field(description="the user who recorded it")
    created_at: str = Field(description="when (ISO 8601, UTC, no offset)")
    classifier_investment: str | None = Field(
        description="the classifier's investment for the item; `null` when it has no verdict"
    )
    classifier_subcategory: str | None = Field(description="the classifier's subcategory")
    ref: str = Field(description="the shortest id that names the item, to copy into commands")


def set_override(
    store: Store, item_id: str, label: str, note: str | None, config: Config
) -> tuple[str, str | None]:
    """Record that `item_id` is `label` (e.g. ktlo/security)."""
    custom = {c.name: c.investment for c in config.categories.add}
    investment, subcategory = parse_category(label, custom)
    found = store.con.execute(
        "SELECT count(*) FROM work_items WHERE item_id = ?", [item_id]
    ).fetchone()
    if not found or not found[0]:
        raise InputError(
            f"no stored item {item_id!r}", "copy the id from `ktlo explain` or `ktlo review`"
        )
    with store.transaction():
        store_overrides(store, [(item_id, investment, subcategory, note)])
    return investment, subcategory


def store_overrides(store: Store, rows: Sequence[tuple[str, str, str | None, str | None]]) -> None:
    """Write (item_id, investment, subcategory, note) overrides, checked by the caller, as
    the current user now; inside the caller's transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    who = _who()
    store.upsert(
        "overrides",
        ["item_id", "investment", "subcategory", "note", "created_by", "created_at"],
        [(item_id, inv, sub, note, who, now) for item_id, inv, sub, note in rows],
    )


def remove_override(store: Store, item_id: str) -> None:
    gone = store.con.execute(
        "DELETE FROM overrides WHERE item_id = ? RETURNING item_id", [item_id]
    ).fetchall()
    if not gone:
        raise InputError(f"{item_id!r} has no override", "see `ktlo override --list`")


def with_override(store: Store, ref: str) -> str:
    """The id of the overridden item `ref` names (ktlo.verdicts.refs), or `ref` itself when it is
    the id of an override whose item is no longer stored (a commit a rewrite removed)."""
    kept = store.con.execute("SELECT 1 FROM overrides WHERE item_id = ?", [ref]).fetchone()
    if kept:
        return ref
    try:
        return resolve_item(store, ref)
    except NotFoundError:
        raise InputError(f"{ref!r} has no override", "see `ktlo override --list`") from None


def list_overrides(store: Store) -> list[Override]:
    """Every override, oldest first, with `ref`: the shortest id that names its item."""
    rows = store.query(
        """
        SELECT o.item_id, w.title, o.investment, o.subcategory, o.note, o.created_by,
               o.created_at, v.investment AS classifier_investment,
               v.subcategory AS classifier_subcategory
        FROM overrides o
        LEFT JOIN work_items w USING (item_id)
        LEFT JOIN verdicts v USING (item_id)
        ORDER BY o.created_at, o.item_id
        """
    )
    refs = short_refs(store, [row["item_id"] for row in rows])
    return [
        Override(
            **{**row, "created_at": row["created_at"].isoformat()},
            ref=refs.get(row["item_id"], row["item_id"]),
        )
        for row in rows
    ]


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
