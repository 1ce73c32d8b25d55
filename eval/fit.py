"""Fit the text model's weights on the development sets, and only on them.

    python eval/fit.py [--cv] [--write]

Development sets (rules and weights may be written from these):
    eval/dev.csv                         authored items in many teams' styles
    eval/real/dev-commits.csv            real commits of requests, flask, curl, cargo, redis, vite
    eval/real/dev-titles.csv             real pull-request titles of the same projects
(the real sets' texts are rebuilt from mirrors, see eval/real.py). The frozen test sets
(eval/test.csv, eval/real/test-*.csv) are never read here.

The model is a multinomial logistic regression with L2 regularisation over the features
of src/ktlo/classify/features.py, fitted by AdaGrad; pure Python, since the data is small.
`--cv` prints 5-fold cross-validated binary macro-F1 per development set for a grid of
regularisation strengths and new-work biases, and picks the best; `--write` fits on all
development items with the chosen settings and writes src/ktlo/classify/vocabulary/weights.toml.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

from ktlo.classify import classifier, model, signals  # noqa: E402
from ktlo.classify.evaluate import LabeledItem, evaluate, read_labeled_csv  # noqa: E402
from ktlo.classify.prepare import prepare  # noqa: E402
from ktlo.classify.taxonomy import KTLO, NEW_WORK, OTHER, SUBCATEGORIES, investment_of  # noqa: E402

CLASSES = (*SUBCATEGORIES, OTHER)
WEIGHTS = ROOT / "src" / "ktlo" / "classify" / "vocabulary" / "weights.toml"
DEV_SETS = (
    "eval/dev.csv",
    "eval/topics-dev.csv",
    "eval/real/dev-commits.csv",
    "eval/real/dev-titles.csv",
    "eval/real/dev2-commits.csv",
    "eval/real/dev2-titles.csv",
)
# The sets whose cross-validated mean picks the settings: real text and the topic set
# (eval/dev.csv says nothing of kinds, so it trains but does not choose).
SELECT_ON = ("dev-commits", "dev2-commits", "dev-titles", "dev2-titles", "topics-dev")
MIN_COUNT = 2
UNFITTED = {"kind:issue"}  # read for the titles' shift, never weighed (too few labeled issues)
MIN_PAIR_COUNT = 5  # a verb paired with a word class, seen fewer times, is noise
BALANCE = 1.0  # a feature seen once in the development sets is left out


@dataclass(frozen=True)
class Row:
    set_name: str
    item: LabeledItem
    features: tuple[str, ...]
    label: str  # a class of CLASSES


def load_rows() -> list[Row]:
    import real

    rows = []
    for name in DEV_SETS:
        path = ROOT / name
        items = (
            [i for _, i in real.labeled_items(path)] if "real" in name else read_labeled_csv(path)
        )
        for item in items:
            label = item.label if item.label in CLASSES else None
            if label is None:  # an investment alone: not a training target
                continue
            rows.append(Row(path.stem, item, tuple(f[0] for f in model_features(item)), label))
    return rows


def model_features(item: LabeledItem) -> list:  # type: ignore[type-arg]
    """The features the model reads of an item, as classify() would compute them."""
    from ktlo.records import WorkText

    work = item.work or WorkText(*_split(item.text))
    text = prepare(work.title, work.body)
    subject = text.subject
    convention = signals.conventional_signal(subject) or signals.gitmoji_signal(subject)
    if convention:
        subject = convention[1]
    return classifier.read(
        subject, text.body, work.files, work.kind, (work.lines_added, work.lines_deleted)
    )


def _split(text: str) -> tuple[str, str]:
    title, _, body = text.partition("\n")
    return title, body.strip()


def priors() -> dict[str, list[float]]:
    """The prior weight of each feature that has one (vocabulary/priors.toml)."""
    import tomllib

    data = tomllib.loads((WEIGHTS.parent / "priors.toml").read_text(encoding="utf-8"))
    out = {}
    for entry in data["prior"]:
        row = [0.0] * len(CLASSES)
        for cls, weight in entry["leans"].items():
            row[CLASSES.index(cls)] = float(weight)
        out[entry["feature"]] = row
    return out


def fit(
    rows: Sequence[Row], l2: float, epochs: int = 40, seed: int = 7
) -> tuple[list[float], dict[str, list[float]]]:
    """Multinomial logistic regression by AdaGrad, weights shrunk toward their priors."""
    counts = Counter(f for r in rows for f in set(r.features))
    prior = priors()
    kept = {f for f, n in counts.items() if n >= _min_count(f) and f not in UNFITTED} | set(prior)
    for f in prior:
        counts[f] = max(counts[f], 1)
    per_investment = Counter(_inv(r.label) for r in rows)
    decided = per_investment[KTLO] + per_investment[NEW_WORK]
    # KTLO and new work weigh alike in total (the measure is their macro-F1); `other`, a
    # handful of empty messages, weighs as much per row as a KTLO row
    row_weight = {inv: decided / (2 * n) for inv, n in per_investment.items() if n}
    row_weight[OTHER] = row_weight[KTLO]
    if BALANCE < 1:  # partly balanced: a power between 1 (balanced) and 0 (as labeled)
        row_weight = {inv: w**BALANCE for inv, w in row_weight.items()}
    k = len(CLASSES)
    bias = [0.0] * k
    table: dict[str, list[float]] = {f: list(prior.get(f, [0.0] * k)) for f in kept}
    origin = {f: prior.get(f, [0.0] * k) for f in kept}
    g_bias = [1e-8] * k
    g_table: dict[str, list[float]] = {f: [1e-8] * k for f in kept}
    rate = 0.3
    order = list(range(len(rows)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for index in order:
            row = rows[index]
            feats = [f for f in row.features if f in kept]
            scores = list(bias)
            for f in feats:
                for j, w in enumerate(table[f]):
                    scores[j] += w
            top = max(scores)
            exp = [math.exp(s - top) for s in scores]
            norm = sum(exp)
            weight = row_weight[_inv(row.label)]
            target = CLASSES.index(row.label)
            for j in range(k):
                grad = weight * (exp[j] / norm - (1.0 if j == target else 0.0))
                g_bias[j] += grad * grad
                bias[j] -= rate * grad / math.sqrt(g_bias[j])
                for f in feats:
                    # λ‖w − prior‖², spread over the feature's occurrences
                    g = grad + l2 * (table[f][j] - origin[f][j]) / counts[f]
                    g_table[f][j] += g * g
                    table[f][j] -= rate * g / math.sqrt(g_table[f][j])
    return bias, table


def _min_count(feature: str) -> int:
    """How often a feature must occur to be fitted: a pair of verb and word more often."""
    return MIN_PAIR_COUNT if "+" in feature.partition(":")[2] else MIN_COUNT


def _inv(label: str) -> str:
    return OTHER if label == OTHER else investment_of(label)


Shift = tuple[float, float]  # new-work bias of commits, of titles


def as_weights(bias: list[float], table: dict[str, list[float]], shift: Shift) -> model.Weights:
    rounded = {
        f: tuple(round(w, 3) for w in ws)
        for f, ws in table.items()
        if any(abs(w) >= 0.01 for w in ws)
    }
    shifts = {"commit": shift[0], "title": shift[1]}
    return model.Weights(CLASSES, tuple(round(b, 3) for b in bias), rounded, shifts, {})


def use(weights: model.Weights) -> None:
    """Make the classifier read these weights (in this process only)."""
    model.weights = lambda: weights  # type: ignore[assignment]


def score_sets(
    rows: Sequence[Row], predict: Callable[[Row], str] | None = None
) -> dict[str, float]:
    """Binary macro-F1 of the full classifier per development set."""
    by_set: dict[str, list[LabeledItem]] = {}
    for row in rows:
        by_set.setdefault(row.set_name, []).append(row.item)
    return {name: evaluate(items)["binary"]["macro_f1"] for name, items in by_set.items()}


def cross_validate(
    rows: list[Row], l2: float, shifts: Sequence[Shift], folds: int = 5
) -> dict[Shift, dict[str, float]]:
    rng = random.Random(11)
    order = list(range(len(rows)))
    rng.shuffle(order)
    held_out_items: dict[Shift, dict[str, list[tuple[LabeledItem, str]]]] = {s: {} for s in shifts}
    for fold in range(folds):
        test_idx = set(order[fold::folds])
        train = [r for i, r in enumerate(rows) if i not in test_idx]
        bias, table = fit(train, l2)
        for shift in shifts:
            use(as_weights(bias, table, shift))
            for i in test_idx:
                row = rows[i]
                guess = classifier.classify(row.item.work or _work(row.item))
                held_out_items[shift].setdefault(row.set_name, []).append(
                    (row.item, guess.subcategory or OTHER)
                )
    return {
        shift: {name: _binary_f1(pairs) for name, pairs in held_out_items[shift].items()}
        for shift in shifts
    }


def _work(item: LabeledItem):  # type: ignore[no-untyped-def]
    from ktlo.records import WorkText

    return WorkText(*_split(item.text))


def _binary_f1(pairs: list[tuple[LabeledItem, str]]) -> float:
    truth = [_inv(i.label) if i.label in CLASSES else i.label for i, _ in pairs]
    guess = [_inv(g) for _, g in pairs]
    kept = [(t, g) for t, g in zip(truth, guess, strict=True) if t != OTHER]
    f1s = []
    for cls in (KTLO, NEW_WORK):
        tp = sum(1 for t, g in kept if t == cls and g == cls)
        fp = sum(1 for t, g in kept if t != cls and g == cls)
        fn = sum(1 for t, g in kept if t == cls and g != cls)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / 2


def show_mistakes(rows: list[Row], l2: float, shift: Shift, set_name: str, folds: int = 5) -> None:
    """Cross-validated binary mistakes of one development set, with the features read."""
    rng = random.Random(11)
    order = list(range(len(rows)))
    rng.shuffle(order)
    for fold in range(folds):
        test_idx = set(order[fold::folds])
        bias, table = fit([r for i, r in enumerate(rows) if i not in test_idx], l2)
        use(as_weights(bias, table, shift))
        for i in sorted(test_idx):
            row = rows[i]
            if row.set_name != set_name:
                continue
            verdict = classifier.classify(row.item.work or _work(row.item))
            truth, guess = _inv(row.label), verdict.investment
            if truth != OTHER and truth != guess:
                why = "; ".join(r.detail for r in verdict.reasons)[:150]
                print(
                    f"{truth[:4]}>{guess[:4]} {row.label:11} {row.item.text.splitlines()[0][:90]!r}\n      {why}"
                )


def write(
    bias: list[float], table: dict[str, list[float]], shift: Shift, l2: float, rows: Sequence[Row]
) -> None:
    weights = as_weights(bias, table, shift)
    sizes = Counter(r.set_name for r in rows)
    lines = [
        "# Fitted weights of the text model (src/ktlo/classify/model.py). Generated by",
        "# `python eval/fit.py --write`; do not edit by hand.",
        "[meta]",
        f"classes = [{', '.join(repr(c).replace(chr(39), chr(34)) for c in CLASSES)}]",
        f"new_work_bias = {{ commit = {shift[0]}, title = {shift[1]} }}",
        f"l2 = {l2}",
        f'fitted = "{date.today().isoformat()}"',
        "fitted_on = ["
        + ", ".join(f'"{name}: {n} items"' for name, n in sorted(sizes.items()))
        + "]",
        "",
        "[bias]",
        f"values = {list(weights.bias)}",
        "",
        "[weights]",
    ]
    for feature in sorted(weights.table):
        lines.append(f'"{feature}" = {list(weights.table[feature])}')
    WEIGHTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {WEIGHTS.relative_to(ROOT)}: {len(weights.table)} features", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument(
        "--shift",
        type=lambda t: tuple(float(x) for x in t.split(",")),
        default=(0.0, 0.0),
        help="COMMIT,TITLE",
    )
    parser.add_argument(
        "--grid", type=lambda t: [float(x) for x in t.split(",")], default=[0.3, 1.0, 3.0]
    )
    parser.add_argument("--balance", type=float, default=1.0)
    parser.add_argument("--mistakes", help="print cross-validated mistakes of this development set")
    args = parser.parse_args()
    global BALANCE
    BALANCE = args.balance
    rows = load_rows()
    print(
        f"{len(rows)} development items: {dict(Counter(r.set_name for r in rows))}", file=sys.stderr
    )
    l2, shift = args.l2, args.shift
    if args.cv:
        best = (-1.0, l2, shift)
        grid = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
        shifts = [(c, t) for c in grid for t in grid]
        for l2_try in args.grid:
            for shift_try, per_set in cross_validate(rows, l2_try, shifts).items():
                judged = {k: v for k, v in per_set.items() if k in SELECT_ON}
                mean = sum(judged.values()) / len(judged)
                shown = "  ".join(f"{k} {v:.3f}" for k, v in sorted(per_set.items()))
                print(f"l2 {l2_try:<4} shift {shift_try!s:<12} mean {mean:.3f}  {shown}")
                if mean > best[0]:
                    best = (mean, l2_try, shift_try)
        _, l2, shift = best
        print(f"chosen: l2 {l2}, new-work bias {shift}", file=sys.stderr)
    if args.mistakes:
        show_mistakes(rows, l2, shift, args.mistakes)
    if args.write:
        bias, table = fit(rows, l2)
        write(bias, table, shift, l2, rows)


if __name__ == "__main__":
    main()
