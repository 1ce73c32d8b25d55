"""Look up any stored item (commit, pull request, issue) and the reasons behind its verdict."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ktlo.documents import Document
from ktlo.store import Store
from ktlo.verdicts.refs import resolve_item, short_refs

SCHEMA = "ktlo.explain/v1"


class ExplainDocument(Document):
    """`ktlo explain --json`: one stored item, its effective verdict and every reason."""

    schema_: Literal["ktlo.explain/v1"] = Field(alias="schema", description="the schema id")
    ref: str = Field(description="the shortest name that finds the item again")
    id: str = Field(description="the item's full id")
    kind: str = Field(description="`commit`, `pull_request`, `issue` or `epic`")
    source: str = Field(description="where it was read from (`git`, `github`, `jira`, ...)")
    external_id: str | None = Field(description="its id at the source")
    repo_id: str | None = Field(description="its repository, `null` for a tracker's issue")
    title: str | None = Field(description="its title or a commit's first line")
    author: str | None = Field(description="who wrote it")
    created_at: str | None = Field(description="when it was made")
    url: str | None = Field(description="its page at the source")
    state: str | None = Field(description="its state at the source")
    labels: list[str] = Field(description="its labels")
    issue_type: str | None = Field(description="an issue's type at the tracker")
    sha: str | None = Field(description="a commit's sha")
    investment: str | None = Field(
        description="the effective verdict: `ktlo`, `new_work` or `other`; `null` before "
        "`ktlo reclassify`"
    )
    subcategory: str | None = Field(description="its subcategory")
    confidence: float | None = Field(description="the verdict's confidence")
    reasons: list[str] = Field(description="every reason behind the verdict")
    overridden: bool = Field(description="a person's override decided it")
    predicted: str | None = Field(description="the investment the classifier gave")
    classifier: str | None = Field(description="the classifier and its version")
    names: list[str] = Field(description="other names of the item: its refs and links")


def explain_item(store: Store, ref: str) -> ExplainDocument:
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
    return ExplainDocument(
        **{
            "schema": SCHEMA,
            "ref": short_refs(store, [item_id])[item_id],
            **row,
            "created_at": created.isoformat() if created is not None else None,
            "labels": list(row["labels"] or ()),
            "reasons": list(row["reasons"] or ()),
            "overridden": bool(row["overridden"]),
            "names": names,
        }
    )
