"""Learning each organisation's language from the items its own signals already label.

    labeled   items whose verdict came from a strong signal: a config rule, an override
              (a review answer is one), a label or issue type, a conventional-commit type or
              gitmoji, a revert, a bot author, a security advisory id, changes confined to
              lockfiles/CI/docs, or inheritance from a linked issue or epic
    weak      every other item: the built-in phrase model read its words, or nothing matched
    fit       a naive Bayes text model (ktlo.classify.learned) on the labeled items; classes
              with fewer than MIN_PER_CLASS items are left out and stay with the built-in
    apply     each weak item whose built-in subcategory is one the model knows gets the
              model's verdict, with the words that weighed most as its reasons

The fitted model is stored (table `learned_models`), so a sync can apply it to new items
without refitting; `ktlo reclassify` always refits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ktlo.classify.classifier import classify, classify_text
from ktlo.classify.learned import Example, TextModel, cross_validate, fit
from ktlo.classify.taxonomy import SUBCATEGORIES, investment_of
from ktlo.ingest import save_verdicts
from ktlo.records import Reason, Verdict, WorkText
from ktlo.store import Store

STRONG_SIGNALS = frozenset(
    "rule override label issue_type conventional_type conventional_commit gitmoji revert "
    "bot_author security_advisory files inherited".split()
)
MIN_ITEMS = 50  # fewer labeled items than this: no model, the built-in decides everything
MIN_PER_CLASS = 10  # a class with fewer examples is left to the built-in
# A built-in verdict of a kind the organisation never labels stands when at least this sure.
CLEAR_PHRASE = 0.6
RETRAIN_AFTER = 100  # labeled items a sync must bring, beyond the last fit's, to refit
MAX_TRAINING = 50_000
KEEP_MODELS = 3
BATCH = 5000


@dataclass(frozen=True, slots=True)
class LearningSummary:
    """What fitting (or declining to fit) the store's model did."""

    fitted: bool
    items: int  # labeled items available
    per_class: dict[str, int] = field(default_factory=dict)  # the classes the model learned
    excluded: dict[str, int] = field(default_factory=dict)  # too few: left to the built-in
    cv_macro_f1: float | None = None
    decided: int = 0  # weak items the model decided
    model_id: int | None = None
    note: str = ""  # why no model was fitted


def learn(store: Store) -> LearningSummary:
    """Fit the model to the store's labeled items, store it, and let it decide the weak items."""
    examples, labels = _training_set(store)
    counts = Counter(labels)
    excluded = {c: n for c, n in counts.items() if n < MIN_PER_CLASS}
    kept = [(e, lab) for e, lab in zip(examples, labels, strict=True) if lab not in excluded]
    per_class = dict(sorted(Counter(lab for _, lab in kept).items()))
    if len(examples) < MIN_ITEMS or len(per_class) < 2:
        note = (
            f"{len(examples)} labeled items, at least {MIN_ITEMS} needed"
            if len(examples) < MIN_ITEMS
            else "labeled items of at least two kinds are needed"
        )
        return LearningSummary(False, len(examples), per_class, excluded, note=note)
    if len(kept) > MAX_TRAINING:
        kept = kept[:: len(kept) // MAX_TRAINING + 1]
    train_x, train_y = [e for e, _ in kept], [lab for _, lab in kept]
    model = fit(train_x, train_y)
    model.cv_macro_f1 = cross_validate(train_x, train_y)
    model_id = save_model(store, model, excluded)
    decided = apply_model(store, model, model_id, frozenset(excluded))
    return LearningSummary(
        True, len(examples), per_class, excluded, model.cv_macro_f1, decided, model_id
    )


def learn_after_sync(store: Store) -> LearningSummary | None:
    """After a sync: refit when enough new labeled items arrived, else apply the stored model."""
    labeled = _count_labeled(store)
    latest = load_model(store)
    if latest is None:
        return learn(store) if labeled >= MIN_ITEMS else None
    model_id, model, excluded = latest
    if labeled - model.items >= RETRAIN_AFTER:
        return learn(store)
    decided = apply_model(store, model, model_id, excluded, only_builtin=True)
    return LearningSummary(
        False, labeled, _per_class(model), {}, model.cv_macro_f1, decided, model_id,
        note="the stored model was applied to new items",
    )  # fmt: skip


def save_model(store: Store, model: TextModel, excluded: dict[str, int]) -> int:
    """Store a fitted model; keep the last KEEP_MODELS. Returns its id."""
    row = store.con.execute("SELECT coalesce(max(model_id), 0) + 1 FROM learned_models").fetchone()
    model_id = int(row[0]) if row else 1
    with store.transaction():
        store.con.execute(
            "INSERT INTO learned_models VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                model_id, datetime.now(UTC).replace(tzinfo=None), model.items,
                json.dumps(_per_class(model)), json.dumps(excluded), model.cv_macro_f1,
                model.to_bytes(),
            ],
        )  # fmt: skip
        store.con.execute(
            "DELETE FROM learned_models WHERE model_id <= ?", [model_id - KEEP_MODELS]
        )
    return model_id


def load_model(store: Store) -> tuple[int, TextModel, frozenset[str]] | None:
    """The latest stored model, its id and the kinds it left to the built-in, if any."""
    row = store.con.execute(
        "SELECT model_id, model, excluded FROM learned_models ORDER BY model_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), TextModel.from_bytes(bytes(row[1])), frozenset(json.loads(row[2]))


def apply_model(
    store: Store,
    model: TextModel,
    model_id: int,
    excluded: frozenset[str] = frozenset(),
    only_builtin: bool = False,
) -> int:
    """Let the model decide the weak items (only those the built-in decided, if `only_builtin`)."""
    version = f"learned-{model_id}"
    decided = 0
    for batch in _items(store, strong=False, only_builtin=only_builtin):
        ids, verdicts = [], []
        for row in batch:
            builtin = (row["subcategory"], row["confidence"])
            if row["classifier"].startswith("learned-"):  # an earlier fit decided it
                again = classify(_work_text(row))
                builtin = (again.subcategory, again.confidence)
            verdict = decide(
                model, _work_text(row), builtin, version, excluded, row["branch"] or ""
            )
            if verdict is not None:
                ids.append(row["item_id"])
                verdicts.append(verdict)
        if ids:
            with store.transaction():
                save_verdicts(store, ids, verdicts, classifier=version)
            decided += len(ids)
    return decided


def decide(
    model: TextModel,
    item: WorkText,
    builtin: tuple[str | None, float],
    version: str,
    excluded: frozenset[str] = frozenset(),
    branch: str = "",
) -> Verdict | None:
    """The model's verdict for a weak item, or None where the built-in's should stand.

    `builtin` is the built-in verdict's subcategory and confidence. It stands for `other`
    (merges, empty subjects), for a kind the organisation labels too rarely to learn
    (`excluded`), and for a kind it never labels when a clear phrase says so ("fix the XSS
    in search" is security though no item was labeled so).
    """
    sub, sure = builtin
    if sub is None or sub in excluded:
        return None
    if sub not in model.classes and sure >= CLEAR_PHRASE:
        return None
    prediction = model.predict(example_of(item, branch))
    confidence = round(min(0.8, 0.3 + 0.5 * prediction.probability), 2)
    f1 = f", cross-validated macro-F1 {model.cv_macro_f1:.2f}" if model.cv_macro_f1 else ""
    reasons = [
        Reason("learned", f"{version}, fitted on {model.items:,} labeled items{f1}"),
        *(Reason("learned_word", f"{word} → {prediction.subcategory}") for word in prediction.evidence),
    ]  # fmt: skip
    return Verdict(
        investment_of(prediction.subcategory), prediction.subcategory, confidence, tuple(reasons)
    )


def example_of(item: WorkText, branch: str = "") -> Example:
    """What the model reads of an item: its text and the built-in phrase model's reading."""
    return Example(item, classify_text(item).subcategory, branch)


def _training_set(store: Store) -> tuple[list[Example], list[str]]:
    examples: list[Example] = []
    labels: list[str] = []
    for batch in _items(store, strong=True):
        for row in batch:
            label = row["o_subcategory"] if row["overridden"] else row["subcategory"]
            if label in SUBCATEGORIES:
                examples.append(_example(row))
                labels.append(label)
    return examples, labels


def _count_labeled(store: Store) -> int:
    row = store.con.execute(
        f"""
        SELECT count(*) FROM verdicts v LEFT JOIN overrides o USING (item_id)
        WHERE ((o.item_id IS NOT NULL AND o.subcategory IS NOT NULL)
               OR (o.item_id IS NULL AND v.subcategory IS NOT NULL AND {_STRONG_SQL}))
          AND {_NOT_SAMPLED.format(item="v.item_id")}
        """
    ).fetchone()
    return int(row[0]) if row else 0


# Sampled items (`ktlo review --sample`) are held out: their answers measure the verdicts'
# error (ktlo.estimate), which they could not do for a model fitted on them.
_NOT_SAMPLED = "{item} NOT IN (SELECT item_id FROM review_sample_items)"
_STRONG_SQL = (
    "split_part(v.reasons[1], ':', 1) IN ("
    + ", ".join(f"'{s}'" for s in sorted(STRONG_SIGNALS))
    + ")"
)


def _items(
    store: Store, *, strong: bool, only_builtin: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """Labeled items (strong verdicts and overrides), or the weak ones, in batches."""
    if strong:
        where = (
            f"(o.item_id IS NOT NULL OR {_STRONG_SQL}) AND {_NOT_SAMPLED.format(item='w.item_id')}"
        )
    else:
        where = f"o.item_id IS NULL AND NOT {_STRONG_SQL}"
        if only_builtin:
            where += " AND v.classifier NOT LIKE 'learned-%'"
    cursor = store.con.cursor()
    cursor.execute(
        f"""
        SELECT w.item_id, w.kind, w.title, w.body, w.labels, w.issue_type, w.branch,
               concat_ws(' ', w.author_name, w.author_email) AS author,
               (SELECT list(f.path) FROM commit_files f WHERE f.item_id = w.item_id) AS files,
               v.subcategory, v.confidence, v.classifier, o.item_id IS NOT NULL AS overridden,
               o.subcategory AS o_subcategory
        FROM work_items w JOIN verdicts v USING (item_id) LEFT JOIN overrides o USING (item_id)
        WHERE {where}
        ORDER BY w.item_id
        """
    )
    names = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(BATCH):
        yield [dict(zip(names, row, strict=True)) for row in rows]
    cursor.close()


def _work_text(row: dict[str, Any]) -> WorkText:
    return WorkText(
        title=row["title"], body=row["body"] or "", files=tuple(row["files"] or ()),
        labels=tuple(row["labels"] or ()), author=row["author"] or "",
        issue_type=row["issue_type"] or "", kind=row["kind"],
    )  # fmt: skip


def _example(row: dict[str, Any]) -> Example:
    return example_of(_work_text(row), row["branch"] or "")


def _per_class(model: TextModel) -> dict[str, int]:
    return dict(zip(model.classes, model.class_counts, strict=True))


def describe(summary: LearningSummary) -> str:
    """One line for people: what the model learned from, how well, and what it decided."""
    if not summary.fitted and summary.model_id is None:
        return f"learned model: none ({summary.note}); the built-in classifier decides"
    classes = ", ".join(f"{c} {n:,}" for c, n in summary.per_class.items())
    f1 = f"{summary.cv_macro_f1:.2f}" if summary.cv_macro_f1 is not None else "n/a"
    left = (
        "; too few to learn, left to the built-in: "
        + ", ".join(f"{c} {n}" for c, n in sorted(summary.excluded.items()))
        if summary.excluded
        else ""
    )
    action = "fitted" if summary.fitted else "kept"
    return (
        f"learned model {action} (#{summary.model_id}): {sum(summary.per_class.values()):,} "
        f"labeled items ({classes}){left}; cross-validated macro-F1 {f1}; "
        f"decided {summary.decided:,} weakly signalled items"
    )
