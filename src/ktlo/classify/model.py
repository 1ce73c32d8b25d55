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


class Prediction(NamedTuple):
    """The model's reading: probabilities per class, the investment and subcategory chosen."""

    probabilities: dict[str, float]
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
    return Weights(classes, bias, table, shift, dict(data["meta"]), _groups(classes))


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
    model = weights()
    get = model.table.get
    rows = [row for f in features if (row := get(f[0]))]
    # strict=False: weights() checked every row has one weight per class
    return list(map(sum, zip(model.bias, *rows, strict=False)))


def predict(features: Sequence[Feature], among: str | None = None) -> Prediction:
    """Probabilities, then the investment (or `among`, when a convention fixed it) and the
    likeliest subcategory within it."""
    model = weights()
    raw = scores(features)
    top = max(raw)
    exp = list(map(math.exp, [s - top for s in raw]))
    norm = sum(exp)
    probs = [e / norm for e in exp]
    groups = model.groups
    mass = {inv: sum([probs[k] for k in indexes]) for inv, indexes in groups.items()}
    investment = among or _choose(mass, model.new_work_bias.get(_kind_group(features), 0.0))
    by_class = dict(zip(model.classes, probs, strict=True))
    if investment == OTHER:
        return Prediction(by_class, OTHER, None, round(mass[OTHER], 2))
    best = max(groups[investment], key=probs.__getitem__)
    return Prediction(by_class, investment, model.classes[best], round(mass[investment], 2))


def _kind_group(features: Sequence[Feature]) -> str:
    """Commits, or titles (pull requests and issues, read by their titles); an item of no
    known kind (`ktlo classify TEXT`) has no shift."""
    for feature in features:
        if feature.name == "kind:commit":
            return "commit"
        if feature.name in ("kind:pull_request", "kind:issue"):
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
    model = weights()
    k, j = model.classes.index(cls), model.classes.index(against)
    get = model.table.get
    moved = []
    for feature in features:
        row = get(feature[0])
        if row:
            lead = row[k] - row[j]
            if lead > 0.05:
                moved.append((feature, lead))
    moved.sort(key=_lead, reverse=True)  # stable: ties keep the features' order
    return moved


def _lead(moved: tuple[Feature, float]) -> float:
    return moved[1]
