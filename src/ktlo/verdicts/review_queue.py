"""The review queue: the verdicts most worth a person's look, and their answers.

An item is in the queue when nobody has answered for it yet (no override) and either
    uncertain   its verdict's confidence is below UNCERTAIN (a weak phrase, no signal,
                or a learned verdict the model was unsure of), or
    disagreeing two strong signals name different investments: its own type or label
                against the issue or epic it links to (a `feat:` commit that fixes a
                bug report), or its conventional type against its own label.
The queue is ordered by effort (person-days, docs/effort.md) so the answers that move
the numbers most come first, then by confidence. An answer, a confirmation or a
correction, is stored as an override: it outlives re-syncs and re-classification, and
the next fit of the learned model (ktlo.verdicts.refit) takes it as a labeled item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from ktlo.classify import signals
from ktlo.classify.taxonomy import investment_of
from ktlo.classify.vocabulary import conventions
from ktlo.config import Config
from ktlo.documents import Document
from ktlo.effort.allocation import build_allocation
from ktlo.errors import NotFoundError
from ktlo.store import Store
from ktlo.verdicts.overrides import set_override
from ktlo.verdicts.refs import short_refs

UNCERTAIN = 0.5
CANDIDATES = 5000  # items whose type and label may disagree, checked in Python, at most


class QueueFields(Document):
    """One item of the review queue (a row of `ktlo review --json`, docs/classification.md)."""

    item_id: str = Field(description="the item's full id")
    kind: str = Field(description="`commit`, `pull_request`, `issue` or `epic`")
    title: str | None = Field(description="its title")
    investment: str = Field(description="its verdict's investment: `ktlo`, `new_work` or `other`")
    subcategory: str | None = Field(description="its verdict's subcategory, `null` without one")
    confidence: float = Field(description="the verdict's confidence, 0 to 1")
    why: str = Field(description="why it is here: `uncertain (0.27)` or `signals disagree: ...`")
    effort_days: float = Field(
        description="person-days spent on it (of the team, with --team), to 2 decimals"
    )
    reasons: list[str] = Field(description="the verdict's reasons, strongest first")
    classifier: str = Field(description="the classifier version that decided it")
    ref: str = Field(description="the shortest id that names the item, to copy into commands")


class ReviewItem(QueueFields):
    """One item of the review queue (a row of `ktlo review --json`, docs/classification.md)."""

    @property
    def label(self) -> str:
        """`ktlo/bug`, or the investment alone when there is no subcategory."""
        return f"{self.investment}/{self.subcategory}" if self.subcategory else self.investment


def review_queue(
    store: Store, config: Config, limit: int = 20, *, effort: str | None = None,
    team: str | None = None,
) -> list[ReviewItem]:  # fmt: skip
    """The items to review, most effort first (for the CLI and the dashboard).

    `effort` names a table of person-days per item and team already built (the
    dashboard's `alloc_all`); without it, effort is allocated here. With `team`, only the
    items that team spent effort on, ranked by that effort. Every uncertain or
    link-disagreeing item is ranked by effort in SQL; items whose label and conventional
    type name different investments are found in SQL too, and confirmed in Python.
    """
    if effort is None:
        build_allocation(store, config, None, None)
    sql = _queue_sql(effort or "alloc", team is not None)
    rows = store.query(sql, [*([team] if team is not None else []), limit, CANDIDATES])
    queue = []
    for row in rows:
        why = _why(row)
        if why is None:
            continue
        queue.append(
            {
                "item_id": row["item_id"],
                "kind": row["kind"],
                "title": row["title"],
                "investment": row["investment"],
                "subcategory": row["subcategory"],
                "confidence": row["confidence"],
                "why": why,
                "effort_days": round(row["effort_days"], 2),
                "reasons": list(row["reasons"]),
                "classifier": row["classifier"],
            }
        )
    queue.sort(key=lambda r: (-r["effort_days"], r["confidence"], r["item_id"]))
    shown = queue[:limit]
    refs = short_refs(store, [r["item_id"] for r in shown])
    return [ReviewItem(**r, ref=refs[r["item_id"]]) for r in shown]


def answer(
    store: Store, item_id: str, config: Config, label: str | None = None
) -> tuple[str, str | None]:
    """Confirm an item's verdict (`label` None) or correct it to `label`; stored as an override."""
    label, note = answer_override(store, item_id, label)
    return set_override(store, item_id, label, note, config)


def answer_override(store: Store, item_id: str, label: str | None) -> tuple[str, str]:
    """The override an answer makes: (label, note), the note saying what the verdict was."""
    current = store.con.execute(
        "SELECT investment, subcategory FROM effective_verdicts WHERE item_id = ?", [item_id]
    ).fetchone()
    if current is None:
        raise NotFoundError(f"no stored verdict for {item_id!r}", "copy an id from `ktlo review`")
    was = f"{current[0]}/{current[1]}" if current[1] else current[0]
    if label is None or label == was:
        return was, "review: confirmed"
    return label, f"review: corrected from {was}"


def _queue_sql(effort: str, one_team: bool) -> str:
    """The candidates (of the team `?` when `one_team`): uncertain or link-disagreeing items
    (the first `?` by effort), and confident items whose conventional type and label name
    different investments (the first `?` by effort)."""
    return f"""
    WITH days AS (
        SELECT item_id, sum(person_days) AS effort_days FROM {effort}
        {"WHERE team = ?" if one_team else ""} GROUP BY item_id
    ),
    linked AS (  -- the strongest verdict among the issues and epics an item names
        SELECT r.child, p.external_id, v.investment, v.subcategory,
               row_number() OVER (PARTITION BY r.child ORDER BY v.confidence DESC, p.item_id) AS pick
        FROM (
            SELECT item_id AS child, unnest(refs) AS ref, repo_id FROM work_items
            UNION ALL SELECT from_id, to_ref, NULL FROM links
            UNION ALL SELECT item_id, parent_key, NULL FROM work_items WHERE parent_key IS NOT NULL
        ) r
        JOIN work_items p
          ON p.kind IN ('issue', 'epic')
         AND (p.external_id = r.ref
              OR (r.ref LIKE '#%' AND p.external_id = substr(r.ref, 2) AND p.repo_id = r.repo_id))
        JOIN verdicts v ON v.item_id = p.item_id
        WHERE v.confidence >= 0.85 AND v.investment <> 'other' AND p.item_id <> r.child
    ),
    candidates AS (
        SELECT w.item_id, w.kind, w.title, w.labels, v.investment, v.subcategory, v.confidence,
               v.reasons, v.classifier, l.external_id AS linked_id,
               l.investment AS linked_investment, l.subcategory AS linked_subcategory,
               coalesce(d.effort_days, 0) AS effort_days,
               v.confidence < {UNCERTAIN}
                 OR (l.investment IS NOT NULL AND l.investment <> v.investment) AS decided
        FROM work_items w
        JOIN verdicts v USING (item_id)
        LEFT JOIN linked l ON l.child = w.item_id AND l.pick = 1
        {"" if one_team else "LEFT"} JOIN days d ON d.item_id = w.item_id
        ANTI JOIN overrides o ON o.item_id = w.item_id
        WHERE v.confidence < {UNCERTAIN}
           OR (v.confidence >= 0.85 AND l.investment IS NOT NULL AND l.investment <> v.investment)
           OR (v.confidence >= 0.85 AND len(w.labels) > 0 AND {_TYPE_INVESTMENT} <> v.investment)
    )
    SELECT * FROM candidates
    QUALIFY row_number() OVER (PARTITION BY decided ORDER BY effort_days DESC, confidence, item_id)
            <= CASE WHEN decided THEN ? ELSE ? END
    """


def _sql_list(words: Iterable[str]) -> str:
    """`('a', 'b')` from lexicon words (letters, digits and dashes only)."""
    chosen = sorted(set(words))
    assert all(re.fullmatch(r"[\w-]+", w) for w in chosen)
    return "(" + ", ".join(f"'{w}'" for w in chosen) + ")"


CONVENTIONAL_TYPES = conventions()["conventional_types"]
CONVENTIONAL_SCOPES = conventions()["conventional_scopes"]
# The investment a subject's conventional type names (`feat:` new work, `fix(api)!:` and
# `feat(security):` KTLO), NULL without a known type: as signals.conventional_signal reads
# it, so that only items whose type and (deciding) label differ are read in Python.
_BASE = "lower(regexp_extract(w.title, '^([a-zA-Z]+)(\\([^)]{0,40}\\))?!?:', 1))"
_SCOPE = "lower(trim(regexp_extract(w.title, '^[a-zA-Z]+\\(([^)]{0,40})\\)!?:', 1)))"
_TYPE_INVESTMENT = f"""CASE
    WHEN {_BASE} IN {_sql_list(k for k, v in CONVENTIONAL_TYPES.items() if v == "feature")}
        THEN CASE WHEN {_SCOPE} IN {_sql_list(k for k, v in CONVENTIONAL_SCOPES.items() if v == "security")}
                  THEN 'ktlo' ELSE 'new_work' END
    WHEN {_BASE} IN {_sql_list(k for k, v in CONVENTIONAL_TYPES.items() if v != "feature")}
        THEN 'ktlo'
    END"""


def _why(row: dict[str, Any]) -> str | None:
    """Why an item is worth reviewing, or None when it is not."""
    linked = row["linked_investment"]
    if row["confidence"] >= 0.85 and linked and linked != row["investment"]:
        own = row["reasons"][0] if row["reasons"] else row["investment"]
        return (
            f"signals disagree: {own} but it links to {row['linked_id']} "
            f"({linked}/{row['linked_subcategory'] or ''})"
        ).rstrip("/")
    if row["confidence"] >= 0.85:
        return _own_conflict(row)
    return f"uncertain ({row['confidence']:.2f})"


def _own_conflict(row: dict[str, Any]) -> str | None:
    """A conventional type and a label of the same item that name different investments."""
    labeled = signals.label_signal(row["labels"] or (), "")
    typed = signals.conventional_signal(row["title"])
    if not labeled or not typed:
        return None
    (label_kind, label_reason), ((type_kind, type_reason), _) = labeled, typed
    if investment_of(label_kind) == investment_of(type_kind):
        return None
    return f"signals disagree: {type_reason.detail} but {label_reason.detail}"


class QueuedItem(QueueFields):
    """A review-queue item on the dashboard's review page: the row and its label."""

    label: str = Field(description="`ktlo/bug`, or the investment alone without a subcategory")


class ReviewPageDocument(Document):
    """The dashboard's review page as JSON (`/review.json`, docs/report.md)."""

    schema_: Literal["ktlo.review/v1"] = Field(alias="schema", description="the schema id")
    team: str | None = Field(description="the team whose effort ranks the items, or `null`")
    limit: int = Field(description="how many items at most")
    teams: list[str] = Field(description="the teams the page can be filtered to")
    choices: list[str] = Field(description="every label an override may give")
    items: list[QueuedItem] = Field(description="the queue, most effort first")

    @classmethod
    def of(
        cls, team: str | None, limit: int, teams: list[str], choices: list[str],
        queue: list[ReviewItem],
    ) -> ReviewPageDocument:  # fmt: skip
        """The page's document from the queue `review_queue` answered."""
        items = [QueuedItem(**item.model_dump(), label=item.label) for item in queue]
        return cls(schema="ktlo.review/v1", team=team, limit=limit, teams=teams,
                   choices=choices, items=items)  # fmt: skip
