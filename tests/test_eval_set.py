"""The project's labeled evaluation set: the figures in docs/classification.md must hold."""

from __future__ import annotations

import re
from pathlib import Path

from ktlo.classify.evaluate import evaluate, read_labeled_csv
from ktlo.classify.taxonomy import SUBCATEGORIES

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "eval" / "ktlo-eval.csv"
DOC = ROOT / "docs" / "classification.md"


def documented(metric: str) -> float:
    """Read `| metric | 0.xxx |` from the results table in docs/classification.md."""
    match = re.search(
        rf"^\|\s*{re.escape(metric)}\s*\|\s*([0-9.]+)\s*\|", DOC.read_text(), re.MULTILINE
    )
    assert match, f"docs/classification.md has no row for {metric}"
    return float(match[1])


def test_eval_set_is_large_and_covers_every_subcategory() -> None:
    items = read_labeled_csv(EVAL_SET)
    assert len(items) >= 600
    assert {i.label for i in items} == set(SUBCATEGORIES)


def test_documented_figures_do_not_regress() -> None:
    report = evaluate(read_labeled_csv(EVAL_SET))
    assert report["binary"]["macro_f1"] >= documented("binary macro-F1 (ktlo vs new work)") - 0.0005
    assert report["accuracy"] >= documented("subcategory accuracy") - 0.0005
    assert report["macro_f1"] >= documented("subcategory macro-F1") - 0.0005
