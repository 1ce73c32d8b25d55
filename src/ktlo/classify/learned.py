"""A text model fitted to one organisation's own labeled items: naive Bayes over words and paths.

Pure Python, no numpy: the store's items are counted, not optimised, so fitting 100,000
items takes seconds and the model is a table of counts that fits in a row of the store.

Features (binary: an item has a feature or not)
    s:word, s:w1_w2   words and word pairs of the subject (ticket keys and #numbers removed)
    t:type            the team's own prefix (`chg:`, `maint:`, `[ui]`) opening the subject
    f:word            the subject's first word (after that prefix): usually its verb
    b:word            words of the body's first 600 characters
    r:word            words of the branch name (`bugfix/pay-12-timeout`)
    p:dir, x:ext      top and last directories and extensions of the paths touched
    l:label           labels, including those the built-in vocabulary does not know
    k:subcategory     what the built-in phrase model reads in the text (counted KNOWN_WEIGHT
                      times): the model learns how far this organisation's words agree with it

Binarized multinomial naive Bayes (Wang & Manning 2012 found it the strongest simple
baseline on short texts) with Laplace smoothing, and class priors flattened by a square root
so that a large class does not swallow the small ones.
"""

from __future__ import annotations

import json
import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ktlo.records import WorkText

ALPHA = 0.5  # Laplace smoothing
KNOWN_WEIGHT = 3.0  # the built-in's reading counts as this many words
PRIOR_POWER = 0.5
MIN_FEATURE_COUNT = 2  # a feature seen once is noise and would bloat the stored model
MAX_BODY = 600

_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:['’][a-z]+)?|\d+(?:\.\d+)+")
_TEAM_PREFIX = re.compile(
    r"^\s*(?:\[([^\]]{1,24})\]|([A-Za-z][\w-]{0,15})(?:\([^)]{0,40}\))?!?:)\s*"
)
_NOISE = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b|#\d+|\bgh-\d+\b|https?://\S+", re.IGNORECASE)
_STOP = frozenset(
    "a an the to of in on for and or with by at as is be it this that from into via".split()
)
_BRANCH_SPLIT = re.compile(r"[/_.\-]+")


@dataclass(frozen=True, slots=True)
class Example:
    """One item the model reads: the text, and what the built-in phrase model made of it."""

    text: WorkText
    builtin: str | None = None  # subcategory the phrase model read, if any
    branch: str = ""
    strength: float = 1.0  # how sure the phrase model was (its confidence, 0..1)


def features(example: Example) -> dict[str, float]:
    """The item's features and their weights (1 each; the built-in's reading KNOWN_WEIGHT)."""
    item = example.text
    found: dict[str, float] = {}
    subject = _NOISE.sub(" ", item.title)
    prefix = _TEAM_PREFIX.match(subject)
    if prefix:
        found["t:" + (prefix[1] or prefix[2]).strip().lower()] = 1.0
        subject = subject[prefix.end() :]
    words = [_word(w) for w in _TOKEN.findall(subject.lower())]
    if words:
        found["f:" + words[0]] = 1.0
    for index, word in enumerate(words):
        if word not in _STOP:
            found["s:" + word] = 1.0
        if index:
            found[f"s:{words[index - 1]}_{word}"] = 1.0
    if item.body:
        for word in _TOKEN.findall(_NOISE.sub(" ", item.body[:MAX_BODY]).lower()):
            if word not in _STOP:
                found["b:" + _word(word)] = 1.0
    for word in _BRANCH_SPLIT.split(example.branch.lower()):
        if word.isalpha() and len(word) > 1:
            found["r:" + word] = 1.0
    for path in item.files[:50]:
        found.update(dict.fromkeys(_path_features(path), 1.0))
    for label in item.labels:
        found["l:" + label.strip().lower()] = 1.0
    if example.builtin:
        found["k:" + example.builtin] = KNOWN_WEIGHT * example.strength
    return found


def _word(token: str) -> str:
    return "<version>" if token[0].isdigit() else token


def _path_features(path: str) -> list[str]:
    parts = PurePosixPath(path.lower()).parts
    found = [f"x:{PurePosixPath(parts[-1]).suffix or parts[-1]}"] if parts else []
    if len(parts) > 1:
        found += [f"p:{parts[0]}", f"p:{parts[-2]}"]
    return found


@dataclass(slots=True)
class TextModel:
    """Per-class counts of each feature; scores are computed from them on load."""

    classes: tuple[str, ...]
    class_counts: list[int]
    feature_counts: dict[str, list[float]]
    cv_macro_f1: float | None = None  # cross-validated, over the investments (KTLO, new work)
    cv_kinds_f1: float | None = None  # cross-validated, over the classes it learned
    _log_prior: list[float] = field(default_factory=list, repr=False)
    _log_unseen: list[float] = field(default_factory=list, repr=False)
    _weights: dict[str, list[float]] = field(default_factory=dict, repr=False)
    _means: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        totals = [0.0] * len(self.classes)
        for counts in self.feature_counts.values():
            for i, count in enumerate(counts):
                totals[i] += count
        vocabulary = len(self.feature_counts) + 1
        denominators = [math.log(total + ALPHA * vocabulary) for total in totals]
        self._log_unseen = [math.log(ALPHA) - d for d in denominators]
        self._weights = {
            name: [math.log(c + ALPHA) - d for c, d in zip(counts, denominators, strict=True)]
            for name, counts in self.feature_counts.items()
        }
        self._means = {name: sum(row) / len(row) for name, row in self._weights.items()}
        flattened = [n**PRIOR_POWER for n in self.class_counts]
        norm = math.log(sum(flattened))
        self._log_prior = [math.log(f) - norm for f in flattened]

    @property
    def items(self) -> int:
        return sum(self.class_counts)

    def scores(self, found: dict[str, float]) -> list[float]:
        """Log-probability (unnormalised) of each class."""
        totals = list(self._log_prior)
        for name, weight in found.items():
            row = self._weights.get(name)
            if row is None:
                continue
            for i, value in enumerate(row):
                totals[i] += weight * value
        return totals

    def predict(self, example: Example) -> Prediction:
        """The most probable class, its probability and the features that weighed most for it."""
        found = features(example)
        scores = self.scores(found)
        top = max(range(len(scores)), key=scores.__getitem__)
        peak = scores[top]
        probability = 1.0 / sum(math.exp(s - peak) for s in scores)
        return Prediction(self.classes[top], probability, self._evidence(found, top))

    def _evidence(self, found: dict[str, float], top: int, most: int = 3) -> tuple[str, ...]:
        """Words that favour the chosen class most over the average class."""
        weighed: dict[str, float] = {}
        for name, weight in found.items():
            row = self._weights.get(name)
            if row is None or name.startswith("k:"):
                continue
            lift = weight * (row[top] - self._means[name])
            word = _readable(name)
            if lift > 0.5 and lift > weighed.get(word, 0.0):
                weighed[word] = lift
        ranked = sorted(weighed.items(), key=lambda wl: -wl[1])[:most]
        return tuple(f"{word} (+{lift:.1f})" for word, lift in ranked)

    def to_bytes(self) -> bytes:
        doc = {
            "classes": self.classes,
            "class_counts": self.class_counts,
            "features": self.feature_counts,
            "cv_macro_f1": self.cv_macro_f1,
            "cv_kinds_f1": self.cv_kinds_f1,
        }
        return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> TextModel:
        doc = json.loads(zlib.decompress(blob))
        return cls(
            tuple(doc["classes"]), list(doc["class_counts"]), doc["features"], doc["cv_macro_f1"],
            doc.get("cv_kinds_f1"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Prediction:
    subcategory: str
    probability: float
    evidence: tuple[str, ...]  # `"word" (+1.2)`, strongest first


def _readable(name: str) -> str:
    kind, _, value = name.partition(":")
    where = {
        "t": "prefix ",
        "b": "body ",
        "r": "branch ",
        "p": "path ",
        "x": "files ",
        "l": "label ",
    }
    return f'{where.get(kind, "")}"{value.replace("_", " ") if kind == "s" else value}"'


def fit(examples: Sequence[Example], labels: Sequence[str]) -> TextModel:
    """Count each class's features (features seen fewer than MIN_FEATURE_COUNT times are dropped)."""
    classes = tuple(sorted(set(labels)))
    index = {c: i for i, c in enumerate(classes)}
    counts: dict[str, list[float]] = {}
    seen: Counter[str] = Counter()
    for example, label in zip(examples, labels, strict=True):
        column = index[label]
        for name, weight in features(example).items():
            row = counts.get(name)
            if row is None:
                row = counts[name] = [0.0] * len(classes)
            row[column] += weight
            seen[name] += 1
    kept = {name: row for name, row in counts.items() if seen[name] >= MIN_FEATURE_COUNT}
    class_counts = [0] * len(classes)
    for label in labels:
        class_counts[index[label]] += 1
    return TextModel(classes, class_counts, kept)


def cross_validate(
    examples: Sequence[Example], labels: Sequence[str], folds: int = 5, most: int = 5000
) -> float:
    """Macro-F1 over `folds` folds (on a random sample of at most `most` items)."""
    return macro_f1(*cross_predict(examples, labels, folds, most))


def cross_predict(
    examples: Sequence[Example], labels: Sequence[str], folds: int = 5, most: int = 5000
) -> tuple[list[str], list[str]]:
    """Each held-out item's label and the prediction of the model fitted without its fold."""
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    order = order[:most]
    truth: list[str] = []
    guess: list[str] = []
    for fold in range(folds):
        test = order[fold::folds]
        held = set(test)
        train = [i for i in order if i not in held]
        if not test or len({labels[i] for i in train}) < 2:
            continue
        model = fit([examples[i] for i in train], [labels[i] for i in train])
        truth += [labels[i] for i in test]
        guess += [model.predict(examples[i]).subcategory for i in test]
    return truth, guess


def macro_f1(truth: Sequence[str], guess: Sequence[str]) -> float:
    """Mean F1 over the classes present in `truth`."""
    scores = []
    for cls in sorted(set(truth)):
        tp = sum(1 for t, g in zip(truth, guess, strict=True) if t == g == cls)
        predicted = sum(1 for g in guess if g == cls)
        actual = sum(1 for t in truth if t == cls)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        scores.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return round(sum(scores) / len(scores), 4) if scores else 0.0
