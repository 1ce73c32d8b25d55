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
from collections.abc import Iterable, Sequence
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
    # derived from the above when not given (eval/fit.py builds weights with the five alone)
    groups: dict[str, tuple[int, ...]] = field(default_factory=dict)  # each investment's classes
    index: dict[str, int] = field(default_factory=dict)  # each class's position
    others: dict[str, tuple[int, ...]] = field(default_factory=dict)  # the classes outside each
    new_work_factor: dict[str, float] = field(default_factory=dict)  # exp(new_work_bias)

    def __post_init__(self) -> None:
        # computed once here, not for every item: the class groups, and the factor P(new
        # work) is multiplied by (the same floats `math.exp` gives each time)
        if not self.groups:
            groups = _groups(self.classes)
            others = {
                inv: tuple(k for k in range(len(self.classes)) if k not in group)
                for inv, group in groups.items()
            }
            object.__setattr__(self, "groups", groups)
            object.__setattr__(self, "others", others)
            object.__setattr__(self, "index", {cls: k for k, cls in enumerate(self.classes)})
        if not self.new_work_factor:
            factor = {kind: math.exp(b) for kind, b in self.new_work_bias.items()}
            object.__setattr__(self, "new_work_factor", factor)


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
    return Weights(classes, bias, table, shift, dict(data["meta"]))


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
    # the kind shifts only the choice of investment, which `among` makes instead
    kind = _kind_group(features) if among is None else ""
    return _predict([row for f in features if (row := get(f[0]))], kind, among)


def _predict(rows: list[tuple[float, ...]], kind: str, among: str | None) -> Prediction:
    model = weights()
    raw = list(map(sum, zip(model.bias, *rows, strict=False)))  # `_scores`, without a call
    # exp(s - top) / Σ, each step a map in C: the same operations, in the same order
    exp = list(map(math.exp, map(sub, raw, repeat(max(raw)))))
    probs = list(map(truediv, exp, repeat(sum(exp))))
    at = probs.__getitem__
    groups = model.groups
    ktlo = sum(map(at, groups[KTLO]))
    new = sum(map(at, groups[NEW_WORK]))
    other = sum(map(at, groups[OTHER]))
    if among:
        investment = among
    else:
        investment = _choose(ktlo, new * model.new_work_factor.get(kind, 1.0), other)
    if investment == OTHER:
        return Prediction(probs, OTHER, None, round(other, 2))
    best = max(groups[investment], key=at)
    mass = ktlo if investment == KTLO else new if investment == NEW_WORK else other
    return Prediction(probs, investment, model.classes[best], round(mass, 2))


class Reading(NamedTuple):
    """`predict`, the likeliest class of another investment (what the reasons argue
    against), and how much each feature moved the chosen class above it."""

    prediction: Prediction
    against: str
    moved: list[tuple[Feature, float]]


def read(features: Sequence[Feature], kind: str | None = None) -> Reading:
    """The model's reading of an item, each feature's weights looked up once (`kind`: the
    item's kind group (`kind_group`) when the caller knows it, else read from the
    features)."""
    rows = list(map(weights().table.get, map(itemgetter(0), features)))  # None: unweighted
    prediction = _predict(
        list(filter(None, rows)), _kind_group(features) if kind is None else kind, None
    )
    if prediction.subcategory is None:
        return Reading(prediction, "", [])
    against = runner_up(prediction)
    return Reading(
        prediction,
        against,
        _moved(zip(features, rows, strict=True), prediction.subcategory, against),
    )


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


def kind_group(kind: str) -> str:
    """The group whose new-work shift an item of `kind` reads: what `_kind_group` finds in
    the features `classifier.read` gives an item of that kind."""
    if kind == "commit":
        return "commit"
    return "title" if kind in ("pull_request", "issue") else "unknown"


def _kind_group(features: Sequence[Feature]) -> str:
    """Commits, or titles (pull requests and issues, read by their titles); an item of no
    known kind (`ktlo classify TEXT`) has no shift."""
    for feature in features:
        if feature[0] == "kind:commit":
            return "commit"
        if feature[0] in ("kind:pull_request", "kind:issue"):
            return "title"
    return "unknown"


def _choose(ktlo: float, new: float, other: float) -> str:
    """The investment of the larger mass (`new` already shifted by its kind)."""
    if other > max(ktlo, new):
        return OTHER
    return NEW_WORK if new > ktlo else KTLO


def contributions(
    features: Sequence[Feature], cls: str, against: str
) -> list[tuple[Feature, float]]:
    """How much each feature moved `cls` above `against`, largest first (positive only)."""
    get = weights().table.get
    return _moved([(f, get(f[0])) for f in features], cls, against)


def _moved(
    found: Iterable[tuple[Feature, tuple[float, ...] | None]], cls: str, against: str
) -> list[tuple[Feature, float]]:
    """The features (with their weights, None for an unweighted one) that lead `cls` over
    `against` by more than 0.05, largest lead first."""
    index = weights().index
    k, j = index[cls], index[against]
    moved = [(feature, lead) for feature, row in found if row and (lead := row[k] - row[j]) > 0.05]
    moved.sort(key=itemgetter(1), reverse=True)  # stable: ties keep the features' order
    return moved
