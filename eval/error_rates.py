"""Measure the classifier's binary error on labeled sets: the prior of ktlo's error bars.

    python eval/error_rates.py LABELED_FILE... > src/ktlo/classify/measured_error.json

Each LABELED_FILE is read as `ktlo eval` reads it (CSV `text,label[,id,kind]` or JSON
lines, ktlo.classify.evaluate), or, when its columns are `repo,sha,kind,label`, as a
held-out set of real public histories whose texts are rebuilt from mirrors
(eval/real.py's `labeled_items`). Items labeled `other` are left out: the counts are of
truly KTLO and truly new-work items, by the investment ktlo predicted for them (ktlo,
new_work or other), over all sets and per kind of item. ktlo reads them as weak evidence
(docs/classification.md, "Error bars").
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from ktlo.classify import CLASSIFIER_VERSION, classify  # noqa: E402
from ktlo.classify.evaluate import LabeledItem, _split, read_labeled  # noqa: E402
from ktlo.classify.taxonomy import KTLO, NEW_WORK, OTHER, investment_of  # noqa: E402
from ktlo.records import WorkText  # noqa: E402

SCHEMA = "ktlo.measured_error/v1"
TRUTHS = (KTLO, NEW_WORK)
PREDICTED = (KTLO, NEW_WORK, OTHER)


def items_of(path: Path) -> list[LabeledItem]:
    """A label file's items: a real held-out set (repo,sha,kind,label) or a `ktlo eval` file."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            columns = set(csv.DictReader(handle).fieldnames or ())
        if {"repo", "sha", "label"} <= columns:
            from real import labeled_items  # eval/real.py: texts rebuilt from mirrors

            return [item for _, item in labeled_items(path)]
    return read_labeled(path)


def empty() -> dict[str, dict[str, int]]:
    return {truth: dict.fromkeys(PREDICTED, 0) for truth in TRUTHS}


def measure(paths: Sequence[Path]) -> dict[str, Any]:
    """Confusion counts (truth -> predicted investment) over every set and per kind."""
    counts: dict[str, dict[str, dict[str, int]]] = {"all": empty()}
    sets = []
    for path in paths:
        items = items_of(path)
        used = 0
        for item in items:
            truth = (
                item.label if item.label in (KTLO, NEW_WORK, OTHER) else investment_of(item.label)
            )
            if truth == OTHER:
                continue
            work = item.work or WorkText(*_split(item.text))
            predicted = classify(work).investment
            kind = work.kind or "unspecified"
            for key in ("all", kind):
                counts.setdefault(key, empty())[truth][predicted] += 1
            used += 1
        sets.append({"path": str(path), "items": len(items), "used": used})
    return {
        "schema": SCHEMA,
        "classifier": CLASSIFIER_VERSION,
        "generated_at": datetime.now(UTC).date().isoformat(),
        "generated_by": "eval/error_rates.py " + " ".join(str(p) for p in paths),
        "sets": sets,
        "counts": counts,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="labeled sets")
    parser.add_argument("--note", default="", help="provenance: which sets, held out or not")
    args = parser.parse_args(argv)
    print(json.dumps({**measure(args.files), "note": args.note}, indent=2))


if __name__ == "__main__":
    main()
