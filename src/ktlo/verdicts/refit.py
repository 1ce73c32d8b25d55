"""Learning each organisation's language from the items its own signals already label.

    labeled   items whose verdict came from a strong signal: a config rule, an override
              (a review answer is one), a label or issue type, a conventional-commit type or
              gitmoji, a revert, a bot author, a security advisory id, changes confined to
              lockfiles/CI/docs, or inheritance from a linked issue or epic
    weak      every other item: the built-in phrase model read its words, or nothing matched
    fit       a naive Bayes text model (ktlo.classify.learned) on the labeled items; classes
              with fewer than MIN_PER_CLASS items are left out and stay with the built-in.
              Only when the labeled items hold at least MIN_PER_INVESTMENT of KTLO and of
              new work: a model that has seen one side only can move items one way only
              (on flask, with no `feat:` commits, it learned three KTLO kinds and moved
              "Added mini blogging application" to maintenance)
    check     5-fold cross-validation, scored as macro-F1 over the two investments (KTLO
              vs new work: what every share depends on) and over the kinds it learned
    apply     each weak item whose built-in subcategory is one the model knows gets the
              model's verdict, with the words that weighed most as its reasons

The fitted model is stored (table `learned_models`), so a sync can apply it to new items
without refitting. It is fitted by `ktlo reclassify`, and by a sync that succeeded and
brought enough new labeled items; a sync that failed leaves verdicts and model as they
were. When the labeled items no longer support a model, the stored ones are dropped and
the items they decided go back to the built-in's verdict.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ktlo.classify.classifier import classify, classify_text
from ktlo.classify.learned import Example, TextModel, cross_predict, fit, macro_f1
from ktlo.classify.taxonomy import KTLO, NEW_WORK, SUBCATEGORIES, investment_of
from ktlo.ingest.history import LINES_SQL, save_verdicts
from ktlo.records import Reason, Verdict, WorkText
from ktlo.store import Store

STRONG_SIGNALS = frozenset(
    "rule override label issue_type conventional_type conventional_commit gitmoji revert "
    "bot_author security_advisory files inherited".split()
)
MIN_ITEMS = 50  # fewer labeled items than this: no model, the built-in decides everything
MIN_PER_CLASS = 10  # a class with fewer examples is left to the built-in
# Labeled items of each investment needed to fit: each of the five folds then tests at
# least six of the rarer side, and its recall is measured to about ±0.09 (one standard
# error, sqrt(0.25 / 30)); with fewer, the cross-validated score says little.
MIN_PER_INVESTMENT = 30
# A built-in verdict of a kind the organisation never labels stands when at least this sure.
CLEAR_PHRASE = 0.6
NO_SIGNAL = "no_signal"  # the built-in read nothing it knows: the learned model may decide
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
    cv_macro_f1: float | None = None  # over the two investments, KTLO and new work
    decided: int = 0  # weak items the model decided
    model_id: int | None = None
    note: str = ""  # why no model was fitted
    cv_kinds_f1: float | None = None  # over the kinds (subcategories) it learned
    forgotten: int = 0  # items an earlier model decided, given back to the built-in


def learn(store: Store) -> LearningSummary:
    """Fit the model to the store's labeled items, store it, and let it decide the weak items."""
    rows, labels = _labeled(store)
    counts = Counter(labels)
    excluded = {c: n for c, n in counts.items() if n < MIN_PER_CLASS}
    kept = [(row, lab) for row, lab in zip(rows, labels, strict=True) if lab not in excluded]
    per_class = dict(sorted(Counter(lab for _, lab in kept).items()))
    note = _why_not(len(rows), _sides(per_class))
    if note:
        forgotten = forget_models(store)
        return LearningSummary(
            False, len(rows), per_class, excluded, note=note, forgotten=forgotten
        )
    if len(kept) > MAX_TRAINING:
        kept = kept[:: len(kept) // MAX_TRAINING + 1]
    train_x, train_y = [_example(row) for row, _ in kept], [lab for _, lab in kept]
    model = fit(train_x, train_y)
    model.cv_macro_f1, model.cv_kinds_f1 = cross_validate_both(train_x, train_y)
    model_id = save_model(store, model, excluded)
    decided = apply_model(store, model, model_id, frozenset(excluded))
    return LearningSummary(
        True, len(rows), per_class, excluded, model.cv_macro_f1, decided, model_id,
        cv_kinds_f1=model.cv_kinds_f1,
    )  # fmt: skip


def _why_not(items: int, sides: dict[str, int]) -> str:
    """Why these labeled items (`sides`: how many per investment) cannot train a model, or ""."""
    ktlo, new_work = sides.get(KTLO, 0), sides.get(NEW_WORK, 0)
    if items < MIN_ITEMS:
        return f"{items} labeled items, at least {MIN_ITEMS} needed"
    if min(ktlo, new_work) < MIN_PER_INVESTMENT:
        return (
            f"labeled items of both KTLO and new work are needed, at least {MIN_PER_INVESTMENT} "
            f"of each: {ktlo:,} KTLO, {new_work:,} new work"
        )
    return ""


def _sides(per_class: dict[str, int]) -> dict[str, int]:
    sides: Counter[str] = Counter()
    for kind, n in per_class.items():
        sides[investment_of(kind)] += n
    return dict(sides)


def cross_validate_both(examples: list[Example], labels: list[str]) -> tuple[float, float]:
    """Cross-validated macro-F1 over the investments (KTLO vs new work) and over the kinds."""
    truth, guess = cross_predict(examples, labels)
    sides = macro_f1([investment_of(t) for t in truth], [investment_of(g) for g in guess])
    return sides, macro_f1(truth, guess)


def forget_models(store: Store) -> int:
    """Drop the stored models and give the items they decided back to the built-in."""
    if load_model(store) is None:
        return 0
    forgotten = 0
    for batch in _items(store, strong=False, learned_only=True):
        ids = [row["item_id"] for row in batch]
        verdicts = [classify(_work_text(row)) for row in batch]
        with store.transaction():
            save_verdicts(store, ids, verdicts)
        forgotten += len(ids)
    with store.transaction():
        store.con.execute("DELETE FROM learned_models")
    return forgotten


def spans_both(model: TextModel) -> bool:
    """Whether the model learned kinds of both investments (models fitted before 0.x did not)."""
    return {investment_of(c) for c in model.classes} >= {KTLO, NEW_WORK}


def learn_after_sync(store: Store) -> LearningSummary | None:
    """After a successful sync: refit when enough new labeled items arrived, else apply the stored model."""
    per_kind = _count_labeled(store)
    labeled = sum(per_kind.values())
    latest = load_model(store)
    if latest is None or not spans_both(latest[1]):
        if latest is None and labeled < MIN_ITEMS:
            return None
        kept = {kind: n for kind, n in per_kind.items() if n >= MIN_PER_CLASS}
        if latest is None and (note := _why_not(labeled, _sides(kept))):
            return LearningSummary(False, labeled, kept, note=note)  # spares reading the items
        return learn(store)
    model_id, model, excluded = latest
    if labeled - model.items >= RETRAIN_AFTER:
        return learn(store)
    decided = apply_model(store, model, model_id, excluded, only_builtin=True)
    return LearningSummary(
        False, labeled, _per_class(model), {}, model.cv_macro_f1, decided, model_id,
        note="the stored model was applied to new items", cv_kinds_f1=model.cv_kinds_f1,
    )  # fmt: skip


def apply_stored(store: Store) -> LearningSummary | None:
    """Let the stored model (if it learned both investments) decide the weak items; no refit."""
    latest = load_model(store)
    if latest is None or not spans_both(latest[1]):
        return None
    model_id, model, excluded = latest
    decided = apply_model(store, model, model_id, excluded)
    return LearningSummary(
        False, model.items, _per_class(model), {}, model.cv_macro_f1, decided, model_id,
        note="the stored model was applied", cv_kinds_f1=model.cv_kinds_f1,
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
            if row["classifier"].startswith("learned-") or row["subcategory"] is None:
                # an earlier fit decided it, or the built-in read no signal: the team's own
                # words may say what a message without ktlo's vocabulary is
                builtin = _builtin(classify(_work_text(row)))
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


def _builtin(verdict: Verdict) -> tuple[str | None, float]:
    """The built-in's (subcategory, confidence); a verdict of no signal is the model's to take."""
    if verdict.subcategory is None and verdict.reasons and verdict.reasons[0].signal == "no_signal":
        return NO_SIGNAL, 0.0
    return verdict.subcategory, verdict.confidence


def decide(
    model: TextModel,
    item: WorkText,
    builtin: tuple[str | None, float],
    version: str,
    excluded: frozenset[str] = frozenset(),
    branch: str = "",
) -> Verdict | None:
    """The model's verdict for a weak item, or None where the built-in's should stand.

    `builtin` is the built-in verdict's subcategory and confidence (NO_SIGNAL when the
    built-in read nothing it knows). It stands for `other` (merges), for a kind the organisation labels too rarely to learn
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
    f1 = (
        f", cross-validated macro-F1 {model.cv_macro_f1:.2f} over KTLO and new work"
        if model.cv_macro_f1
        else ""
    )
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


def _labeled(store: Store) -> tuple[list[dict[str, Any]], list[str]]:
    """The labeled items (strong verdicts and overrides) and their labels."""
    rows: list[dict[str, Any]] = []
    labels: list[str] = []
    for batch in _items(store, strong=True):
        for row in batch:
            label = row["o_subcategory"] if row["overridden"] else row["subcategory"]
            if label in SUBCATEGORIES:
                rows.append(row)
                labels.append(label)
    return rows, labels


def _count_labeled(store: Store) -> dict[str, int]:
    """Labeled items per kind (overrides count as their answer), as `_labeled` reads them."""
    rows = store.con.execute(
        f"""
        SELECT CASE WHEN o.item_id IS NOT NULL THEN o.subcategory ELSE v.subcategory END, count(*)
        FROM verdicts v LEFT JOIN overrides o USING (item_id)
        WHERE ((o.item_id IS NOT NULL AND o.subcategory IS NOT NULL)
               OR (o.item_id IS NULL AND v.subcategory IS NOT NULL AND {_STRONG_SQL}))
          AND {_NOT_SAMPLED.format(item="v.item_id")}
        GROUP BY ALL
        """
    ).fetchall()
    return {str(kind): int(n) for kind, n in rows if kind in SUBCATEGORIES}


# Sampled items (`ktlo review --sample`) are held out: their answers measure the verdicts'
# error (ktlo.effort.error_bars), which they could not do for a model fitted on them.
_NOT_SAMPLED = "{item} NOT IN (SELECT item_id FROM review_sample_items)"
_STRONG_SQL = (
    "split_part(v.reasons[1], ':', 1) IN ("
    + ", ".join(f"'{s}'" for s in sorted(STRONG_SIGNALS))
    + ")"
)


def _items(
    store: Store, *, strong: bool, only_builtin: bool = False, learned_only: bool = False
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
        if learned_only:
            where += " AND v.classifier LIKE 'learned-%'"
    cursor = store.con.cursor()
    cursor.execute(
        f"""
        SELECT w.item_id, w.kind, w.title, w.body, w.labels, w.issue_type, w.branch,
               concat_ws(' ', w.author_name, w.author_email) AS author,
               (SELECT list(f.path) FROM commit_files f WHERE f.item_id = w.item_id) AS files,
               {LINES_SQL},
               v.subcategory, v.confidence, v.classifier, o.item_id IS NOT NULL AS overridden,
               o.subcategory AS o_subcategory
        FROM work_items w JOIN verdicts v USING (item_id) LEFT JOIN overrides o USING (item_id)
             LEFT JOIN commits c USING (item_id)
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
        lines_added=row["lines_added"], lines_deleted=row["lines_deleted"],
    )  # fmt: skip


def _example(row: dict[str, Any]) -> Example:
    return example_of(_work_text(row), row["branch"] or "")


def _per_class(model: TextModel) -> dict[str, int]:
    return dict(zip(model.classes, model.class_counts, strict=True))


def describe(summary: LearningSummary) -> str:
    """One line for people: what the model learned from, how well, and what it decided."""
    if not summary.fitted and summary.model_id is None:
        items = "1 item" if summary.forgotten == 1 else f"{summary.forgotten:,} items"
        given_back = (
            f"; {items} an earlier model decided {'is' if summary.forgotten == 1 else 'are'} "
            "back with the built-in"
            if summary.forgotten
            else ""
        )
        return f"learned model: none ({summary.note}); the built-in classifier decides{given_back}"
    classes = ", ".join(f"{c} {n:,}" for c, n in summary.per_class.items())
    f1 = f"{summary.cv_macro_f1:.2f}" if summary.cv_macro_f1 is not None else "n/a"
    kinds = (
        f" ({summary.cv_kinds_f1:.2f} over its kinds)" if summary.cv_kinds_f1 is not None else ""
    )
    left = (
        "; too few to learn, left to the built-in: "
        + ", ".join(f"{c} {n}" for c, n in sorted(summary.excluded.items()))
        if summary.excluded
        else ""
    )
    action = "fitted" if summary.fitted else "kept"
    return (
        f"learned model {action} (#{summary.model_id}): {sum(summary.per_class.values()):,} "
        f"labeled items ({classes}){left}; cross-validated macro-F1 over KTLO and new work "
        f"{f1}{kinds}; decided {summary.decided:,} weakly signalled items"
    )
