"""How the learned model improves with the labeled items a store holds: the learning curve.

    python bench/learning_curve.py REPO.git [REPO.git ...] [--sizes 0,100,1000,10000]

Each repository stands for one organisation, and its commits' conventional types are its
strong signals: a commit with one is a labeled item. A fifth of them (at most 600) are
held out and their type prefix removed, so they read like the commits of a team that
writes no convention: those are the weak items whose verdicts are measured. For each size
N, a fresh store holds N labeled commits and the held-out ones, and `ktlo.verdicts.reclassify`
(rules → built-in → inheritance → learning) decides them; N = 0 is the built-in alone.
The model fitted there is also applied to the project's evaluation set (eval/dev.csv),
written in other teams' styles. Printed per repository and size, then the mean over the
repositories that have N labeled commits: binary (KTLO vs new work) macro-F1 and
subcategory accuracy on the held-out commits and on the evaluation set.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ktlo.classify import classify
from ktlo.classify.evaluate import _scores, normalise_label
from ktlo.classify.signals import conventional_signal
from ktlo.classify.taxonomy import OTHER, investment_of
from ktlo.config import Config
from ktlo.ingest.history import WORK_ITEM_COLUMNS
from ktlo.records import WorkText
from ktlo.store import Store
from ktlo.verdicts.reclassify import reclassify
from ktlo.verdicts.refit import STRONG_SIGNALS, decide, load_model

ROOT = Path(__file__).resolve().parents[1]
Item = tuple[str, str, str, str]  # (item_id, title, body, truth subcategory)


def read_history(git_dir: str) -> tuple[list[Item], list[Item]]:
    """(labeled, held-out weak) items of one repository's conventional commits."""
    log = subprocess.run(
        ["git", "--git-dir", git_dir, "log", "--no-merges", "--format=%H%x1f%B%x1e"],
        capture_output=True, check=True,
    ).stdout.decode(errors="replace")  # fmt: skip
    items = []
    for record in log.split("\x1e"):
        sha, _, message = record.strip().partition("\x1f")
        title, _, body = message.strip().partition("\n")
        typed = conventional_signal(title)
        verdict = classify(WorkText(title=title, body=body))
        if typed and typed[1].strip() and verdict.subcategory:
            items.append(
                (
                    f"{Path(git_dir).parent.name}:{sha[:12]}",
                    title,
                    body,
                    verdict.subcategory,
                    typed[1],
                )
            )
    random.Random(11).shuffle(items)
    held = min(600, len(items) // 5)
    weak = [(i, stripped, body, truth) for i, _, body, truth, stripped in items[:held]]
    labeled = [(i, title, body, truth) for i, title, body, truth, _ in items[held:]]
    return labeled, weak


def measure(
    labeled: Sequence[Item], weak: Sequence[Item], evalset: Sequence[Item]
) -> dict[str, float]:
    """Fit in a fresh store holding `labeled` and `weak`; score `weak` and `evalset`."""
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "curve.duckdb") as store:
        rows = [_row(i, t, b) for i, t, b, _ in (*labeled, *weak)]
        with store.transaction():
            store.replace("work_items", "item_id", [r[0] for r in rows], WORK_ITEM_COLUMNS, rows)
        summary = reclassify(store, Config(), refit=True)
        found = dict(store.con.execute("SELECT item_id, subcategory FROM verdicts").fetchall())
        latest = load_model(store)
    for item_id, title, body, _ in evalset:
        found[item_id] = _decide_alone(WorkText(title=title, body=body), latest)
    result: dict[str, float] = {"labeled": len(labeled)}
    for name, items in (("held_out", weak), ("eval_set", evalset)):
        truth = [t for *_, t in items]
        guess = [found[i] or OTHER for i, *_ in items]
        binary = [(investment_of(t), investment_of(g)) for t, g in zip(truth, guess, strict=True)]
        kept = [(t, g) for t, g in binary if t != OTHER]
        scores = _scores([t for t, _ in kept], [g for _, g in kept])["classes"]
        result[f"{name}_binary_macro_f1"] = round(
            sum(scores.get(c, {"f1": 0.0})["f1"] for c in ("ktlo", "new_work")) / 2, 3
        )
        result[f"{name}_subcategory_accuracy"] = round(_scores(truth, guess)["accuracy"], 3)
    learning = summary.learning
    if learning is not None and learning.fitted and learning.cv_macro_f1 is not None:
        result["cv_macro_f1"] = learning.cv_macro_f1
    return result


def _decide_alone(item: WorkText, latest: tuple[int, object, frozenset[str]] | None) -> str | None:
    """What the pipeline decides for an item outside the store: built-in, then the model if weak."""
    verdict = classify(item)
    if latest is None or verdict.reasons[0].signal in STRONG_SIGNALS:
        return verdict.subcategory
    model_id, model, excluded = latest
    builtin = (verdict.subcategory, verdict.confidence)
    learned = decide(model, item, builtin, f"learned-{model_id}", excluded)  # type: ignore[arg-type]
    return (learned or verdict).subcategory


def _row(item_id: str, title: str, body: str) -> tuple[object, ...]:
    return (
        item_id,
        "bench",
        "commit",
        "bench",
        item_id,
        title,
        body,
        "dev",
        "dev@example.com",
        False,
        datetime(2026, 1, 1),
        [],
        None,
        [],
    )


def eval_items() -> list[Item]:
    rows = list(csv.DictReader((ROOT / "eval" / "ktlo-eval.csv").open(encoding="utf-8")))
    items = []
    for row in rows:
        title, _, body = row["text"].partition("\n")
        items.append((f"eval:{row['id']}", title, body, normalise_label(row["label"]) or OTHER))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "repos", nargs="+", help="git directories of histories with conventional commits"
    )
    parser.add_argument("--sizes", default="0,100,1000,10000")
    args = parser.parse_args()
    evalset = eval_items()
    curve: dict[int, list[dict[str, float]]] = defaultdict(list)
    for repo in args.repos:
        labeled, weak = read_history(repo)
        print(f"{repo}: {len(labeled):,} labeled commits, {len(weak):,} held out", file=sys.stderr)
        for size in (int(s) for s in args.sizes.split(",")):
            if size > len(labeled):
                continue
            result = measure(labeled[:size], weak, evalset)
            curve[size].append(result)
            print(json.dumps({"repo": repo, **result}), file=sys.stderr, flush=True)
    for size, results in sorted(curve.items()):
        keys = [k for k in results[0] if k != "labeled" and all(k in r for r in results)]
        mean = {k: round(sum(r[k] for r in results) / len(results), 3) for k in keys}
        print(json.dumps({"labeled": size, "repositories": len(results), **mean}))


if __name__ == "__main__":
    main()
