"""Look up a stored item's verdict and the reasons behind it."""

from __future__ import annotations

from typing import Any

from ktlo.errors import InputError
from ktlo.store import Store


def explain_commit(store: Store, ref: str) -> dict[str, Any]:
    """The verdict of the commit whose sha starts with `ref` (at least 4 characters)."""
    ref = ref.strip().lower()
    if len(ref) < 4 or any(ch not in "0123456789abcdef" for ch in ref):
        raise InputError(f"{ref!r} is not a commit sha", "give at least 4 hex characters of a sha")
    rows = store.query(
        """
        SELECT c.sha, w.item_id AS id, w.title, w.author_name, c.authored_at, v.investment,
               v.subcategory, v.confidence, v.reasons, v.classifier, w.refs
        FROM commits c JOIN work_items w USING (item_id) JOIN effective_verdicts v USING (item_id)
        WHERE c.sha LIKE ? ORDER BY c.authored_at DESC LIMIT 2
        """,
        [ref + "%"],
    )
    if not rows:
        raise InputError(
            f"no stored commit starts with {ref}", "run `ktlo analyze` on its repository first"
        )
    if len(rows) > 1:
        raise InputError(f"{ref} is ambiguous", "give more characters of the sha")
    return rows[0]
