"""Do the error bars keep their word on real histories? Each frozen real commit set is a
population; the prior is measured on the *other* frozen sets (never on the population).

    python bench/error_bars_real.py [--seeds 2000] [--answers 0,25,100,200]

Population A = eval/real/test-commits-a.csv (600 commits of 6 projects), its prior from
test-commits-b, both title sets and eval/test.csv; and B the other way round. For each
seed, a simple random sample of the population's items is answered with the truth, the
rest keep the classifier's verdicts, and the corrected KTLO share (ktlo.effort.error_bars) and its
90% interval are compared with the population's true share (items labeled `other` left
out, as the share does). Texts are rebuilt from mirrors (eval/real.py, $KTLO_MIRRORS).
Targets (issue 15): with 100 answers, the corrected share within 3 points of the truth,
the interval covering it (≈90% of seeds), half-width at most 6 points.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

from ktlo.classify import classify  # noqa: E402
from ktlo.classify.evaluate import read_labeled  # noqa: E402
from ktlo.classify.taxonomy import KTLO, NEW_WORK, OTHER, investment_of  # noqa: E402
from ktlo.effort.error_bars import STRATA, Parts, estimate, prior_rates, update  # noqa: E402

SETS = {
    "a": "eval/real/test-commits-a.csv",
    "b": "eval/real/test-commits-b.csv",
    "titles-a": "eval/real/test-titles-a.csv",
    "titles-b": "eval/real/test-titles-b.csv",
    "authored": "eval/test.csv",
}


def read_set(name: str) -> list[tuple[bool, str]]:
    """(truly KTLO?, the classifier's investment) of each item not labeled `other`."""
    import real

    path = ROOT / SETS[name]
    items = [i for _, i in real.labeled_items(path)] if "real" in str(path) else read_labeled(path)
    out = []
    for item in items:
        truth = investment_of(item.label)
        if truth == OTHER:
            continue
        verdict = classify(item.work) if item.work else classify_text(item.text)
        read = verdict.investment if verdict.investment in (KTLO, NEW_WORK) else OTHER
        out.append((truth == KTLO, read))
    return out


def classify_text(text: str) -> Any:
    from ktlo.records import WorkText

    title, _, body = text.partition("\n")
    return classify(WorkText(title=title, body=body))


def counts(rows: list[tuple[bool, str]]) -> dict[str, dict[str, int]]:
    """truth -> predicted counts, as eval/error_rates.py writes them."""
    table = {KTLO: Counter(), NEW_WORK: Counter()}
    for truly_ktlo, read in rows:
        table[KTLO if truly_ktlo else NEW_WORK][read] += 1
    return {truth: {s: c[s] for s in STRATA} for truth, c in table.items()}


def one(
    rows: list[tuple[bool, str]], prior: Any, answers: int, rng: random.Random
) -> tuple[float, float, float]:
    sampled = set(rng.sample(range(len(rows)), answers))
    by_stratum = {s: [0, 0] for s in STRATA}
    rest = dict.fromkeys(STRATA, 0.0)
    for i, (truly_ktlo, read) in enumerate(rows):
        if i in sampled:
            by_stratum[read][0] += truly_ktlo
            by_stratum[read][1] += 1
        else:
            rest[read] += 1
    rates = update(prior, {s: (k, n) for s, (k, n) in by_stratum.items()})
    known = sum(k for k, _ in by_stratum.values())
    weights = tuple(rest[s] for s in STRATA)
    found = estimate(Parts(len(rows), answers, known, weights, weights), rates)
    assert found is not None
    return found.share, found.low, found.high


def run(population: str, others: list[str], answers: int, seeds: int) -> dict[str, Any]:
    rows = read_set(population)
    measured = [r for name in others for r in read_set(name)]
    decided = [r for _, r in rows if r in (KTLO, NEW_WORK)]
    read_ktlo = decided.count(KTLO) / len(decided)  # the population's own mix, as a store's
    prior = prior_rates(counts(measured), read_ktlo)
    truth = sum(t for t, _ in rows) / len(rows)
    raw = sum(r == KTLO for _, r in rows) / len(rows)
    errors, covered, widths = [], 0, []
    rng = random.Random(7)
    for _ in range(seeds):
        share, low, high = one(rows, prior, answers, rng)
        errors.append(abs(share - truth) * 100)
        covered += low <= truth <= high
        widths.append((high - low) * 50)
        if answers == 0:
            break
    n = len(errors)
    return {
        "population": population, "items": len(rows), "answers": answers,
        "true_share": round(truth, 3), "verdict_share": round(raw, 3),
        "coverage": round(covered / n, 3), "half_width_mean": round(statistics.mean(widths), 2),
        "error_mean": round(statistics.mean(errors), 2),
        "within_3_points": round(sum(e <= 3 for e in errors) / n, 3),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2000)
    parser.add_argument("--answers", default="0,25,100,200")
    args = parser.parse_args()
    results = []
    for population, other in (("a", "b"), ("b", "a")):
        others = [other, "titles-a", "titles-b", "authored"]
        for answers in (int(a) for a in args.answers.split(",")):
            results.append(run(population, others, answers, args.seeds))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
