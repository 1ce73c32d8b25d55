"""The text model: a linear model over what a change does (features.py), weights as data.

    score(k)  = bias(k) + Σ weight(f, k)            over the item's features f
    P(k)      = exp(score(k)) / Σ_j exp(score(j))   for the ten subcategories and `other`
    P(ktlo)   = Σ P(k) over KTLO's subcategories; P(new work) likewise

The weights (vocabulary/weights.toml) are a multinomial logistic regression fitted by
`eval/fit.py` on the development sets only, and say which sets and when; no weight is
written by hand. An item is KTLO or new work by the larger of the two sums (P(new work)
shifted by the fitted `new_work_bias` of its kind: commits, or titles of pull requests and
issues), and its subcategory is the likeliest within that investment.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from operator import itemgetter, sub, truediv
from typing import NamedTuple

from ktlo.classify.features import Feature
from ktlo.classify.taxonomy import KTLO, NEW_WORK, OTHER, investment_of
from ktlo.classify.vocabulary import HERE, VocabularyError


@dataclass(frozen=True, slots=True)
class Weights:
    classes: tuple[str, ...]  # subcategories and "other"
    bias: tuple[float, ...]
    table: dict[str, tuple[float, ...]]
    new_work_bias: dict[str, float]  # "commit"/"title" → added to P(new work)'s log-odds
    meta: dict[str, object]
    groups: dict[str, tuple[int, ...]] = field(default_factory=dict)  # each investment's classes
    index: dict[str, int] = field(default_factory=dict)  # each class's position
    others: dict[str, tuple[int, ...]] = field(default_factory=dict)  # the classes outside each


class Prediction(NamedTuple):
    """The model's reading: probabilities per class (in `weights().classes` order), the
    investment and subcategory chosen."""

    probabilities: list[float]
    investment: str
    subcategory: str | None
    confidence: float  # P(investment chosen)


@cache
def weights() -> Weights:
    """The fitted weights (vocabulary/weights.toml), validated."""
    path = HERE / "weights.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        classes = tuple(data["meta"]["classes"])
        bias = tuple(float(b) for b in data["bias"]["values"])
        table = {f: tuple(float(x) for x in w) for f, w in data["weights"].items()}
        shift = {k: float(v) for k, v in data["meta"]["new_work_bias"].items()}
    except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise VocabularyError(f"weights.toml: {exc}") from exc
    if len(bias) != len(classes) or any(len(w) != len(classes) for w in table.values()):
        raise VocabularyError("weights.toml: every row needs one weight per class")
    index = {cls: k for k, cls in enumerate(classes)}
    groups = _groups(classes)
    others = {
        inv: tuple(k for k in index.values() if k not in group) for inv, group in groups.items()
    }
    meta = dict(data["meta"])
    return Weights(classes, bias, table, shift, meta, groups, index, others)


def _groups(classes: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """The indexes of each investment's classes."""
    return {
        inv: tuple(
            k for k, c in enumerate(classes) if (OTHER if c == OTHER else investment_of(c)) == inv
        )
        for inv in (KTLO, NEW_WORK, OTHER)
    }


def scores(features: Sequence[Feature]) -> list[float]:
    """The linear score of each class."""
    get = weights().table.get
    return _scores([row for f in features if (row := get(f[0]))])


def _scores(rows: list[tuple[float, ...]]) -> list[float]:
    # strict=False: weights() checked every row has one weight per class; the sum runs
    # left to right from the bias, the order every verdict was computed in
    return list(map(sum, zip(weights().bias, *rows, strict=False)))


def predict(features: Sequence[Feature], among: str | None = None) -> Prediction:
    """Probabilities, then the investment (or `among`, when a convention fixed it) and the
    likeliest subcategory within it."""
    get = weights().table.get
    return _predict([row for f in features if (row := get(f[0]))], _kind_group(features), among)


def _predict(rows: list[tuple[float, ...]], kind: str, among: str | None) -> Prediction:
    model = weights()
    raw = _scores(rows)
    # exp(s - top) / Σ, each step a map in C: the same operations, in the same order
    exp = list(map(math.exp, map(sub, raw, repeat(max(raw)))))
    probs = list(map(truediv, exp, repeat(sum(exp))))
    at = probs.__getitem__
    mass = {inv: sum(map(at, indexes)) for inv, indexes in model.groups.items()}
    investment = among or _choose(mass, model.new_work_bias.get(kind, 0.0))
    if investment == OTHER:
        return Prediction(probs, OTHER, None, round(mass[OTHER], 2))
    best = max(model.groups[investment], key=at)
    return Prediction(probs, investment, model.classes[best], round(mass[investment], 2))


class Reading(NamedTuple):
    """`predict`, the likeliest class of another investment (what the reasons argue
    against), and how much each feature moved the chosen class above it."""

    prediction: Prediction
    against: str
    moved: list[tuple[Feature, float]]


def read(features: Sequence[Feature], kind: str | None = None) -> Reading:
    """The model's reading of an item, each feature's weights looked up once (`kind`: the
    item's kind group when the caller knows it, else read from the features)."""
    rows = list(map(weights().table.get, map(itemgetter(0), features)))  # None: unweighted
    prediction = _predict(
        list(filter(None, rows)), _kind_group(features) if kind is None else kind, None
    )
    if prediction.subcategory is None:
        return Reading(prediction, "", [])
    against = runner_up(prediction)
    found = [(f, row) for f, row in zip(features, rows, strict=True) if row]
    return Reading(prediction, against, _moved(found, prediction.subcategory, against))


def runner_up(reading: Prediction) -> str:
    """The likeliest class of another investment (the first in the model's order when two
    tie)."""
    model = weights()
    return model.classes[
        max(model.others[reading.investment], key=reading.probabilities.__getitem__)
    ]


def probability(reading: Prediction, cls: str) -> float:
    """The probability of class `cls`."""
    return reading.probabilities[weights().index[cls]]


def _kind_group(features: Sequence[Feature]) -> str:
    """Commits, or titles (pull requests and issues, read by their titles); an item of no
    known kind (`ktlo classify TEXT`) has no shift."""
    for feature in features:
        if feature[0] == "kind:commit":
            return "commit"
        if feature[0] in ("kind:pull_request", "kind:issue"):
            return "title"
    return "unknown"


def _choose(mass: dict[str, float], new_work_bias: float) -> str:
    ktlo, new = mass[KTLO], mass[NEW_WORK] * math.exp(new_work_bias)
    if mass[OTHER] > max(ktlo, new):
        return OTHER
    return NEW_WORK if new > ktlo else KTLO


def contributions(
    features: Sequence[Feature], cls: str, against: str
) -> list[tuple[Feature, float]]:
    """How much each feature moved `cls` above `against`, largest first (positive only)."""
    get = weights().table.get
    return _moved([(f, row) for f in features if (row := get(f[0]))], cls, against)


def _moved(
    found: list[tuple[Feature, tuple[float, ...]]], cls: str, against: str
) -> list[tuple[Feature, float]]:
    index = weights().index
    k, j = index[cls], index[against]
    moved = []
    for feature, row in found:
        lead = row[k] - row[j]
        if lead > 0.05:
            moved.append((feature, lead))
    moved.sort(key=_lead, reverse=True)  # stable: ties keep the features' order
    return moved


def _lead(moved: tuple[Feature, float]) -> float:
    return moved[1]
