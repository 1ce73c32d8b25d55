"""Look up any stored item (commit, pull request, issue) and the reasons behind its verdict."""

from __future__ import annotations

from typing import Any

from ktlo.store import Store
from ktlo.verdicts.refs import resolve_item, short_refs

SCHEMA = "ktlo.explain/v1"


def explain_item(store: Store, ref: str) -> dict[str, Any]:
    """The item `ref` names (a full id, a sha prefix, a tracker key: ktlo.verdicts.refs), with its
    effective verdict and every reason; the document `ktlo explain --json` prints."""
    item_id = resolve_item(store, ref)
    rows = store.query(
        """
        SELECT w.item_id AS id, w.kind, w.source, w.external_id, w.repo_id, w.title,
               w.author_name AS author, w.created_at, w.url, w.state, w.labels,
               w.issue_type, w.refs, c.sha, v.investment, v.subcategory, v.confidence,
               v.reasons, v.overridden, v.predicted, v.classifier,
               (SELECT list(DISTINCT l.to_ref ORDER BY l.to_ref) FROM links l
                WHERE l.from_id = w.item_id) AS links
        FROM work_items w
        LEFT JOIN commits c USING (item_id)
        LEFT JOIN effective_verdicts v USING (item_id)
        WHERE w.item_id = ?
        """,
        [item_id],
    )
    row = rows[0]
    names = sorted({*(row.pop("refs") or ()), *(row.pop("links") or ())})
    created = row["created_at"]
    return {
        "schema": SCHEMA,
        "ref": short_refs(store, [item_id])[item_id],
        **row,
        "created_at": created.isoformat() if created is not None else None,
        "labels": list(row["labels"] or ()),
        "reasons": list(row["reasons"] or ()),
        "overridden": bool(row["overridden"]),
        "names": names,
    }
