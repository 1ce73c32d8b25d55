"""KTLO shares with error bars: the share corrected for the verdicts' measured error, and
its 90% interval (docs/classification.md, "Error bars").

    strata    the items nobody answered, by the investment the classifier gave them
              (ktlo, new_work, other); an item with an override counts at its answer
    rate θ_s  the chance that an item of stratum s is truly KTLO, Beta(α_s, β_s): a weak
              prior from the held-out measurement (classify/measured_error.json), updated
              by the answers to random samples (`ktlo review --sample`) and only those
    share     T / W, with W the total weight and T = K + Σ_s Σ_{i in U_s} w_i·Y_i, where K
              is the weight of answered KTLO items and Y_i ~ Bernoulli(θ_s)
                  mean      (K + Σ_s W_s·E[θ_s]) / W
                  variance  Σ_s (W_s²·Var[θ_s] + S_s·E[θ_s(1 − θ_s)]) / W²
              (W_s: the stratum's weight, S_s: its sum of squared item weights, taken
              as Σ w_row·w_item over rows: exact when all of an item's rows are in the
              group, larger, so never narrower, when only some are)
    interval  the unanswered part's KTLO fraction as a Beta of that mean and variance;
              its 5% and 95% quantiles, so the interval stays inside what is possible

Weights are person-days for effort shares, 1 for counts and changed lines for line
shares. SQL sums them per stratum (`parts_sql`) in the pass over rows a share already
makes (a row is a day of a person's effort on an item); only items with more than one
such row are grouped, once, for their whole effort (`ITEM_DAYS_SQL`); the rest is a
little arithmetic here.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from math import exp, isfinite, lgamma, log, log1p, sqrt
from pathlib import Path
from statistics import NormalDist
from typing import Any

from pydantic import Field

from ktlo.classify.taxonomy import KTLO, NEW_WORK, OTHER
from ktlo.documents import Document
from ktlo.errors import ConfigError
from ktlo.store import Store

STRATA = (KTLO, NEW_WORK, OTHER)
LEVEL = 0.90
# The held-out counts weigh as at most this many answers per stratum: another project's
# text and mix differ from this one's (domain shift), so its own sampled answers soon
# outweigh them (docs/classification.md explains the choice).
PRIOR_ITEMS = 10.0
MEASURED_ERROR = "measured_error.json"
MEASURED_ERROR_ENV = "KTLO_MEASURED_ERROR"
_STRATUM_SQL = {
    KTLO: "predicted = 'ktlo'",
    NEW_WORK: "predicted = 'new_work'",
    OTHER: "predicted NOT IN ('ktlo', 'new_work')",
}


@dataclass(frozen=True, slots=True)
class Rate:
    """Beta(alpha, beta) belief about the chance an item of one stratum is truly KTLO."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def variance(self) -> float:
        n = self.alpha + self.beta
        return self.alpha * self.beta / (n * n * (n + 1))


@dataclass(frozen=True, slots=True)
class Rates:
    """The rate of each stratum, and how many sampled answers updated the prior."""

    by_verdict: dict[str, Rate]
    verified: int = 0
    answers: dict[str, tuple[int, int]] = field(default_factory=dict)  # stratum: (ktlo, all)

    def as_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "by_verdict": {
                s: {
                    "ktlo_rate": round(r.mean, 4),
                    "alpha": round(r.alpha, 3),
                    "beta": round(r.beta, 3),
                    "sampled_answers": self.answers.get(s, (0, 0))[1],
                }
                for s, r in self.by_verdict.items()
            },
        }


@dataclass(frozen=True, slots=True)
class Parts:
    """The sums of item weights a share's estimate needs; parts of disjoint items add up."""

    total: float = 0.0
    answered: float = 0.0
    answered_ktlo: float = 0.0
    weights: tuple[float, ...] = (0.0, 0.0, 0.0)  # unanswered, per stratum (STRATA order)
    squares: tuple[float, ...] = (0.0, 0.0, 0.0)  # their squared item weights

    def __add__(self, other: Parts) -> Parts:
        w, v, s, q = self.weights, other.weights, self.squares, other.squares
        return Parts(
            self.total + other.total,
            self.answered + other.answered,
            self.answered_ktlo + other.answered_ktlo,
            (w[0] + v[0], w[1] + v[1], w[2] + v[2]),  # one per stratum, STRATA order
            (s[0] + q[0], s[1] + q[1], s[2] + q[2]),
        )

    @classmethod
    def of_group(
        cls, weight: float, square: float, investment: str, predicted: str, answered: bool
    ) -> Parts:
        """The parts of rows grouped by (investment, predicted, answered): their summed
        `weight` and `square` (Σ w_row·w_item)."""
        if answered:
            return cls(weight, weight, weight if investment == KTLO else 0.0)
        k = STRATA.index(predicted) if predicted in (KTLO, NEW_WORK) else 2
        weights = tuple(weight if i == k else 0.0 for i in range(3))
        squares = tuple(square if i == k else 0.0 for i in range(3))
        return cls(weight, 0.0, 0.0, weights, squares)

    @classmethod
    def of(cls, row: dict[str, Any], prefix: str = "") -> Parts:
        """The parts in a row of `parts_sql(…, prefix)`'s columns."""
        t, a, k, w0, w1, w2, s0, s1, s2 = (float(row.get(c) or 0.0) for c in part_columns(prefix))
        return cls(t, a, k, (w0, w1, w2), (s0, s1, s2))


@cache
def part_columns(prefix: str) -> tuple[str, ...]:
    """The names of `parts_sql(…, prefix)`'s columns, in the order `Parts` holds them."""
    strata = [f"w_{s}" for s in STRATA] + [f"s_{s}" for s in STRATA]
    return tuple(prefix + name for name in ["total", "answered", "answered_ktlo", *strata])


@dataclass(frozen=True, slots=True)
class Estimate:
    """A KTLO share with its interval (fractions of 1)."""

    share: float
    low: float
    high: float


# The whole effort of each item with more than one row in the temporary `effort` table (a
# commit is one author's one day, so only items with other activity can have several):
# LEFT JOINed, `coalesce(item_days, person_days)` is every item's whole effort, without
# grouping the commits.
ITEM_DAYS_SQL = (
    "(SELECT item_id, sum(person_days) AS item_days FROM effort "
    "SEMI JOIN (SELECT DISTINCT item_id FROM activities) a USING (item_id) GROUP BY item_id)"
)


def parts_sql(weight: str, prefix: str = "", whole: str | None = None) -> str:
    """The aggregates `Parts.of` reads, over rows with the columns `investment` (effective),
    `predicted` (the classifier's) and `answered` (an override). A row holds `weight` of
    its item; `whole` is the item's whole weight when it spans several rows (effort: the
    column `item_days`), so that w_row·w_item sums to the item's squared weight."""
    w = f"({weight})"
    square = f"{w} * ({whole})" if whole else f"{w} * {w}"
    columns = [
        f"coalesce(sum({w}), 0) AS {prefix}total",
        f"coalesce(sum({w}) FILTER (WHERE answered), 0) AS {prefix}answered",
        f"coalesce(sum({w}) FILTER (WHERE answered AND investment = 'ktlo'), 0) AS {prefix}answered_ktlo",
    ]
    for stratum in STRATA:
        where = f"NOT answered AND {_STRATUM_SQL[stratum]}"
        columns.append(f"coalesce(sum({w}) FILTER (WHERE {where}), 0) AS {prefix}w_{stratum}")
        columns.append(f"coalesce(sum({square}) FILTER (WHERE {where}), 0) AS {prefix}s_{stratum}")
    return ", ".join(columns)


def estimate(parts: Parts, rates: Rates) -> Estimate | None:
    """The corrected KTLO share and its 90% interval; None when there is no weight."""
    if parts.total <= 0:
        return None
    unknown = sum(parts.weights)
    mean = variance = 0.0
    for stratum, weight, square in zip(STRATA, parts.weights, parts.squares, strict=True):
        rate = rates.by_verdict[stratum]
        m, v = rate.mean, rate.variance
        mean += weight * m
        variance += weight * weight * v + square * (m - m * m - v)
    known = parts.answered_ktlo / parts.total
    if unknown <= 0:
        share = min(1.0, known)
        return Estimate(round(share, 4), round(share, 4), round(share, 4))
    part = unknown / parts.total
    low, high = beta_interval(mean / unknown, variance / (unknown * unknown))
    return Estimate(
        round(known + part * mean / unknown, 4),
        round(known + part * low, 4),
        round(known + part * high, 4),
    )


# An analysis asks for the same interval many times over (periods, bases, repositories with
# the same parts: 543 calls, 406 distinct, on psf/requests), each two root searches.
@lru_cache(maxsize=4096)
def beta_interval(mean: float, variance: float, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` interval of the Beta distribution with this mean and variance."""
    mean = min(max(mean, 0.0), 1.0)
    spread = mean * (1 - mean)
    tail = (1 - level) / 2
    if variance <= 0 or spread <= 0:
        return mean, mean
    size = spread / variance - 1  # alpha + beta
    if size <= 1e-9:  # as wide as a single coin toss: anything is possible
        return 0.0, 1.0
    a, b = mean * size, (1 - mean) * size
    return beta_quantile(tail, a, b), beta_quantile(1 - tail, a, b)


def beta_quantile(p: float, a: float, b: float) -> float:
    """x with I_x(a, b) = p: Halley's method from the normal approximation corrected for
    skewness (Cornish-Fisher), kept inside a shrinking bracket; the normal approximation
    itself when both a and b are large. 2.1 evaluations of I_x per quantile over the 10,027
    intervals of an allocation by initiative on a million items (5.7 for Newton's method
    from the plain normal guess; the same roots within 1e-15)."""
    mean, sd = a / (a + b), sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    guess = NormalDist(mean, sd).inv_cdf(p) if sd > 0 else mean
    if min(a, b) > 1000:
        return min(max(guess, 0.0), 1.0)
    if sd > 0:
        z = (guess - mean) / sd
        skew = 2 * (b - a) * sqrt(a + b + 1) / ((a + b + 2) * sqrt(a * b))
        guess = mean + sd * (z + (z * z - 1) * skew / 6)
    lo, hi = 0.0, 1.0
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    if min(a, b) < 1:
        guess = _tail_guess(p, a, b, log_beta, mean, guess)
    x = min(max(guess, 1e-12), 1 - 1e-12)
    for _ in range(200):
        error = _cdf(x, a, b, log_beta) - p
        if abs(error) < 1e-12:
            break
        lo, hi = (x, hi) if error < 0 else (lo, x)
        step = _halley_step(x, error, a, b, log_beta)
        if step is not None and (abs(step) < CONVERGED_STEP * min(x, 1 - x) or x - step == x):
            # Halley's method converges cubically: after a step this small against x (and
            # 1 - x) the next one would move it by a part in 1e18, so the root is found
            # without evaluating I_x again; a step below the float spacing at x (near 1)
            # cannot move it at all, and is not to be taken for one out of the bracket
            x = min(max(x - step, lo), hi)
            break
        if step is not None and lo < x - step < hi:
            x -= step
        else:
            x = (lo + hi) / 2
        if hi - lo < 1e-12:
            break
    return x


CONVERGED_STEP = 1e-7


def _tail_guess(p: float, a: float, b: float, log_beta: float, mean: float, guess: float) -> float:
    """Where a J- or U-shaped Beta (a or b below 1) puts its p-quantile: near 0 or 1, where
    I_x(a, b) ≈ x^a / (a B(a, b)) (or its mirror), so x ≈ (p a B(a, b))^(1/a); the normal
    guess otherwise. From the normal guess such a quantile took up to 40 evaluations of
    I_x, halving the bracket towards the end (small groups of items in an analysis)."""
    with contextlib.suppress(ValueError, OverflowError):
        low = exp((log(p) + log(a) + log_beta) / a)
        if low < mean:
            return low
    with contextlib.suppress(ValueError, OverflowError):
        high = 1 - exp((log1p(-p) + log(b) + log_beta) / b)
        if high > mean:
            return high
    return guess


def _halley_step(x: float, error: float, a: float, b: float, log_beta: float) -> float | None:
    """Halley's step for I_x(a, b) - p (the density's log-derivative is (a-1)/x - (b-1)/(1-x));
    None where the density underflows or the step is not a number."""
    density = exp((a - 1) * log(x) + (b - 1) * log1p(-x) - log_beta)
    if not density > 0:
        return None
    step = error / density
    bend = step * ((a - 1) / x - (b - 1) / (1 - x))
    step = step / (1 - 0.5 * min(1.0, bend)) if bend < 2 else step
    return step if isfinite(step) else None


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (a continued fraction)."""
    return _cdf(x, a, b, lgamma(a) + lgamma(b) - lgamma(a + b))


def _cdf(x: float, a: float, b: float, log_beta: float) -> float:
    """I_x(a, b) given log B(a, b) (a quantile's search evaluates it for one a and b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = exp(a * log(x) + b * log1p(-x) - log_beta)
    if x < (a + 1) / (a + b + 2):
        return front * _fraction(a, b, x) / a
    return 1.0 - front * _fraction(b, a, 1 - x) / b


def _fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    # `v if abs(v) > tiny else tiny` written out as comparisons, not as calls: this loop
    # runs millions of times for an allocation of thousands of groups. Each float is
    # computed by the same operations in the same order as the textbook form (a + b + m is
    # (a + b) + m, a + 2m - 1 is (a + 2m) - 1), so the results are the same bits.
    tiny = 1e-300
    ab = a + b
    d = 1 - ab * x / (a + 1)
    c, d = 1.0, 1.0 / (d if d > tiny or d < -tiny else tiny)
    h = d
    for m in range(1, 10_000):
        am = a + 2 * m
        even = m * (b - m) * x / ((am - 1) * am)
        d = 1 + even * d
        d = 1.0 / (d if d > tiny or d < -tiny else tiny)
        c = 1 + even / c
        if not (c > tiny or c < -tiny):  # NaN too, as `abs(c) > tiny` would say
            c = tiny
        h *= d * c
        odd = -(a + m) * (ab + m) * x / (am * (am + 1))
        d = 1 + odd * d
        d = 1.0 / (d if d > tiny or d < -tiny else tiny)
        c = 1 + odd / c
        if not (c > tiny or c < -tiny):  # NaN too, as `abs(c) > tiny` would say
            c = tiny
        step = d * c
        h *= step
        if -1e-14 < step - 1 < 1e-14:
            break
    return h


def measured_error() -> dict[str, Any]:
    """The measurement of the classifier's error on held-out labeled sets: the packaged
    one, or the file KTLO_MEASURED_ERROR names (an organisation's own measurement)."""
    return _read_measured_error(os.environ.get(MEASURED_ERROR_ENV) or None)


@cache
def _read_measured_error(path: str | None) -> dict[str, Any]:
    where = path or f"the packaged {MEASURED_ERROR}"
    try:
        if path:
            text = Path(path).read_text("utf-8")
        else:
            text = resources.files("ktlo.classify").joinpath(MEASURED_ERROR).read_text("utf-8")
        doc = json.loads(text)
        for truth in (KTLO, NEW_WORK):
            for stratum in STRATA:
                int(doc["counts"]["all"][truth][stratum])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{where} is missing or malformed ({exc.__class__.__name__}: {exc})",
            "regenerate it with eval/error_rates.py (or unset KTLO_MEASURED_ERROR)",
        ) from exc
    return dict(doc)


def prior_rates(
    counts: dict[str, dict[str, int]] | None = None, read_ktlo: float | None = None
) -> Rates:
    """Per stratum: a Beta whose mean is the held-out rate and whose weight is at most
    PRIOR_ITEMS items; Beta(1, 1) where nothing was measured.

    With `read_ktlo` (the share of this store's decided items the classifier reads as
    KTLO), the means are the measured sensitivity and specificity applied to that mix:

        PPV = r·se / (r·se + (1 − r)·(1 − sp)),   FOR = r·(1 − se) / (r·(1 − se) + (1 − r)·sp)

    so the prior does not carry the measured sets' own mix of work (87% KTLO, open-source
    histories) into a team that does mostly new work: read as 35% KTLO, a team would read
    57% with the measured sets' rates and 27% with its own mix. Without it, the held-out
    rates are used as measured. A rate of 0 or 1 is kept half an item inside, so the Beta
    stays proper."""
    counts = counts if counts is not None else measured_error()["counts"]["all"]
    means = _mix_means(counts, read_ktlo) if read_ktlo is not None else {}
    rates = {}
    for stratum in STRATA:
        ktlo = float(counts.get(KTLO, {}).get(stratum, 0))
        new = float(counts.get(NEW_WORK, {}).get(stratum, 0))
        total = ktlo + new
        if not total:
            rates[stratum] = Rate(1.0, 1.0)
            continue
        edge = 0.5 / (total + 1)
        rate = min(1 - edge, max(edge, means.get(stratum, ktlo / total)))
        weight = min(PRIOR_ITEMS, total)
        rates[stratum] = Rate(weight * rate, weight * (1 - rate))
    return Rates(rates)


def _mix_means(counts: dict[str, dict[str, int]], read_ktlo: float) -> dict[str, float]:
    """The chance an item read as KTLO (as new work) is KTLO, for a store whose items are
    read as KTLO in the share `read_ktlo`, from the measured sensitivity and specificity."""
    ktlo, new = counts.get(KTLO, {}), counts.get(NEW_WORK, {})
    truly_ktlo = sum(ktlo.get(s, 0) for s in (KTLO, NEW_WORK))
    truly_new = sum(new.get(s, 0) for s in (KTLO, NEW_WORK))
    if not truly_ktlo or not truly_new:
        return {}
    se, sp = ktlo.get(KTLO, 0) / truly_ktlo, new.get(NEW_WORK, 0) / truly_new
    r = min(1.0, max(0.0, read_ktlo))
    read_as_ktlo = r * se + (1 - r) * (1 - sp)
    read_as_new = r * (1 - se) + (1 - r) * sp
    out = {}
    if read_as_ktlo > 0:
        out[KTLO] = r * se / read_as_ktlo
    if read_as_new > 0:
        out[NEW_WORK] = r * (1 - se) / read_as_new
    return out


def update(prior: Rates, answers: dict[str, tuple[int, int]]) -> Rates:
    """The prior updated by sampled answers: per stratum (answered KTLO, answered)."""
    rates = {}
    for stratum, rate in prior.by_verdict.items():
        ktlo, answered = answers.get(stratum, (0, 0))
        rates[stratum] = Rate(rate.alpha + ktlo, rate.beta + answered - ktlo)
    return Rates(rates, sum(n for _, n in answers.values()), dict(answers))


def measured_rates(store: Store) -> Rates:
    """The prior updated by every answered item of every random sample in the store."""
    rows = store.con.execute(
        """
        SELECT CASE WHEN v.investment IN ('ktlo', 'new_work') THEN v.investment ELSE 'other' END,
               count(*) FILTER (WHERE o.investment = 'ktlo'), count(*)
        FROM (SELECT DISTINCT item_id FROM review_sample_items) s
        JOIN overrides o USING (item_id) JOIN verdicts v USING (item_id)
        GROUP BY 1
        """
    ).fetchall()
    mix = store.con.execute(
        "SELECT count(*) FILTER (WHERE predicted = 'ktlo'), "
        "count(*) FILTER (WHERE predicted = 'new_work') FROM effective_verdicts"
    ).fetchone()
    decided = (mix[0] + mix[1]) if mix else 0
    read_ktlo = mix[0] / decided if mix and decided else None
    prior = prior_rates(read_ktlo=read_ktlo)
    return update(prior, {s: (int(k), int(n)) for s, k, n in rows})


def share_json(found: Estimate | None, name: str = "ktlo_share") -> dict[str, float | None]:
    """`{name: share, name_low: low, name_high: high}` for a document."""
    if found is None:
        return {name: None, f"{name}_low": None, f"{name}_high": None}
    return {name: found.share, f"{name}_low": found.low, f"{name}_high": found.high}


class VerdictRate(Document):
    """The error rate of the items the classifier gave one investment."""

    ktlo_rate: float = Field(description="the chance such an item is truly KTLO")
    alpha: int | float = Field(description="its Beta belief's alpha")
    beta: int | float = Field(description="its Beta belief's beta")
    sampled_answers: int = Field(description="answers to random samples behind it")


class ErrorRates(Document):
    """What the correction of KTLO shares used (docs/classification.md, "Error bars")."""

    verified: int = Field(
        description="answers to random samples the rates rest on (0: the prior alone)"
    )
    by_verdict: dict[str, VerdictRate] = Field(
        description="per investment the classifier gave (`ktlo`, `new_work`, `other`)"
    )

    @classmethod
    def of(cls, rates: Rates) -> ErrorRates:
        """The rates as the documents write them."""
        return cls.model_validate(rates.as_json())
