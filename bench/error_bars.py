"""Do ktlo's error bars keep their word? Coverage of the 90% interval on synthetic stores
whose verdicts err at known rates.

    python bench/error_bars.py [--seeds 1000] [--store-seeds 20] [--items 20000]
                               [--share 0.35] [--fpr 0.15] [--fnr 0.20] [--answers 100]

Each seed draws a population of `items` commits, each truly KTLO with probability
`share`, and a classifier that reads a truly new-work item as KTLO with probability `fpr`
and a truly KTLO item as new work with probability `fnr`. A simple random sample of
`answers` items is answered with the truth; the corrected KTLO share of commits and its
90% interval (ktlo.effort.error_bars) are compared with the population's true share.

    estimator   `--seeds` populations through ktlo.effort.error_bars directly (the packaged prior,
                and, for comparison, a flat one), for several numbers of answers
    store       `--store-seeds` populations written to a real store, sampled by
                `ktlo.verdicts.sampling.draw_sample`, answered as overrides and read back by
                `ktlo.metrics.repository.analyze` (the SQL path); each must match the estimator's
                figures for the same sample exactly

Targets (issue 15): with 100 answers the corrected share within 3 points of the truth and
its interval covering it (≈90% of seeds), half-width at most 6 points.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from ktlo.config import Config
from ktlo.effort.error_bars import STRATA, Parts, Rates, estimate, prior_rates, update
from ktlo.metrics.repository import AnalyzeOptions, analyze
from ktlo.store import Store
from ktlo.verdicts.overrides import store_overrides
from ktlo.verdicts.sampling import SampleScope, draw_sample

FLAT = {"ktlo": dict.fromkeys(STRATA, 0), "new_work": dict.fromkeys(STRATA, 0)}


def population(seed: int, args: argparse.Namespace) -> tuple[list[bool], list[str]]:
    """(truly KTLO?, the classifier's investment) per item."""
    rng = random.Random(seed)
    truth = [rng.random() < args.share for _ in range(args.items)]
    read = [
        ("new_work" if rng.random() < args.fnr else "ktlo")
        if t
        else ("ktlo" if rng.random() < args.fpr else "new_work")
        for t in truth
    ]
    return truth, read


def corrected(
    truth: list[bool], read: list[str], sampled: list[int], prior: Rates
) -> tuple[float, float, float]:
    """The estimator on counts, with the sampled items answered."""
    answers: dict[str, tuple[int, int]] = {}
    rest = {s: float(read.count(s)) for s in STRATA}
    for i in sampled:
        ktlo, n = answers.get(read[i], (0, 0))
        answers[read[i]] = (ktlo + truth[i], n + 1)
        rest[read[i]] -= 1
    weights = tuple(rest[s] for s in STRATA)
    found = estimate(
        Parts(len(truth), len(sampled), sum(truth[i] for i in sampled), weights, weights),
        update(prior, answers),
    )
    assert found is not None
    return found.share, found.low, found.high


def summary(rows: list[tuple[float, float, float, float]]) -> dict[str, float]:
    """Coverage, half-width and error (in points) over (truth, share, low, high) rows."""
    errors = [abs(share - truth) for truth, share, _, _ in rows]
    halves = [(high - low) / 2 for _, _, low, high in rows]
    return {
        "coverage": round(sum(low <= t <= high for t, _, low, high in rows) / len(rows), 3),
        "half_width_mean": round(100 * statistics.fmean(halves), 2),
        "half_width_max": round(100 * max(halves), 2),
        "error_mean": round(100 * statistics.fmean(errors), 2),
        "error_median": round(100 * statistics.median(errors), 2),
        "error_p90": round(100 * sorted(errors)[int(0.9 * len(errors))], 2),
        "within_3_points": round(sum(e <= 0.03 for e in errors) / len(errors), 3),
    }


def by_estimator(args: argparse.Namespace) -> dict[str, Any]:
    priors = {"packaged prior": prior_rates(), "flat prior": prior_rates(FLAT)}
    levels = sorted({0, 25, 50, 100, 200, 400, args.answers})
    rows: dict[str, list[tuple[float, float, float, float]]] = {}
    for seed in range(args.seeds):
        truth, read = population(seed, args)
        true_share = sum(truth) / len(truth)
        for answers in levels:
            sampled = random.Random(f"sample:{seed}").sample(range(len(truth)), answers)
            for name, prior in priors.items():
                found = corrected(truth, read, sampled, prior)
                rows.setdefault(f"{name}, {answers} answers", []).append((true_share, *found))
    return {key: summary(found) for key, found in rows.items()}


def build_store(path: Path, truth: list[bool], read: list[str]) -> None:
    """`items` commits by 50 people over 2025, with the classifier's verdicts."""
    with Store.open(path) as store:
        store.con.execute(
            "INSERT INTO repositories VALUES ('bench:sim', 'sim', '/sim', NULL, false, false, NULL)"
        )
        store.con.execute("CREATE TEMP TABLE gen (i INTEGER, read VARCHAR)")
        store.insert("gen", ["i", "read"], list(enumerate(read)))
        store.con.execute(
            """
            CREATE TEMP TABLE g AS SELECT i, 'git:commit:bench:sim:' || i AS item_id, read,
                   TIMESTAMP '2025-01-01' + to_seconds((i * 365.0 / (SELECT count(*) FROM gen) * 86400)::BIGINT) AS ts,
                   'Person ' || (i % 50) AS who
            FROM gen
            """
        )
        store.con.execute(
            """
            INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body,
                                    author_name, author_email, is_bot, created_at, labels, issue_type, refs)
            SELECT item_id, 'git', 'commit', 'bench:sim', 'sha' || i, 'change ' || i, '', who,
                   lower(replace(who, ' ', '')) || '@sim.org', false, ts, [], NULL, [] FROM g
            """
        )
        store.con.execute(
            """
            INSERT INTO commits SELECT item_id, 'bench:sim', 'sha' || i, [], ts, 0, who,
                   lower(replace(who, ' ', '')) || '@sim.org', ts, false, false, 1, 10, 0 FROM g
            """
        )
        store.con.execute(
            """
            INSERT INTO verdicts SELECT item_id, read,
                   CASE WHEN read = 'ktlo' THEN 'bug' ELSE 'feature' END, 0.9, ['bench'], 'bench',
                   TIMESTAMP '2026-01-01' FROM g
            """
        )


def by_store(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The SQL path: a real store, a recorded sample, answers as overrides, `analyze`."""
    rows, mismatches = [], 0
    for seed in range(args.store_seeds):
        truth, read = population(seed, args)
        path = folder / f"sim-{seed}.duckdb"
        build_store(path, truth, read)
        with Store.open(path) as store:
            drawn = draw_sample(store, Config(), args.answers, SampleScope(), seed=seed)
            index = {f"git:commit:bench:sim:{i}": i for i in range(len(truth))}
            sampled = [index[row["item_id"]] for row in drawn["items"]]
            answers = [
                (
                    f"git:commit:bench:sim:{i}",
                    *(("ktlo", "bug") if truth[i] else ("new_work", "feature")),
                    "bench",
                )
                for i in sampled
            ]
            with store.transaction():
                store_overrides(store, answers)
            doc = analyze(store, AnalyzeOptions())
        commits = doc["shares"]["commits"]
        found = (commits["ktlo"], commits["ktlo_low"], commits["ktlo_high"])
        mismatches += found != corrected(truth, read, sampled, prior_rates())
        rows.append((sum(truth) / len(truth), *found))
        path.unlink()
    return {**summary(rows), "seeds": args.store_seeds, "differ_from_estimator": mismatches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--store-seeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--share", type=float, default=0.35)
    parser.add_argument("--fpr", type=float, default=0.15)
    parser.add_argument("--fnr", type=float, default=0.20)
    parser.add_argument("--answers", type=int, default=100)
    args = parser.parse_args()
    result: dict[str, Any] = {"setup": vars(args), "estimator": by_estimator(args)}
    if args.store_seeds:  # 0: the estimator alone
        with tempfile.TemporaryDirectory() as folder:
            result["store"] = by_store(args, Path(folder))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
