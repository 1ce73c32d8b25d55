"""The frozen test sets: the figures docs/classification.md publishes must hold, and the sets
must not change (a rule written from them would make the figures worthless)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from ktlo.classify.evaluate import evaluate, read_labeled_csv
from ktlo.classify.taxonomy import SUBCATEGORIES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "classification.md"
FROZEN = ("test.csv", "topics-test.csv")


def documented(set_name: str, metric: str) -> float:
    """Read `| set | metric | 0.xxx |` from the test-set table in docs/classification.md."""
    pattern = rf"^\|\s*`?{re.escape(set_name)}`?\s*\|\s*{re.escape(metric)}\s*\|\s*([0-9.]+)\s*\|"
    match = re.search(pattern, DOC.read_text(), re.MULTILINE)
    assert match, f"docs/classification.md has no row for {set_name} {metric}"
    return float(match[1])


def frozen_digest(name: str) -> str:
    match = re.search(rf"`eval/{re.escape(name)}` sha256 `([0-9a-f]{{64}})`", DOC.read_text())
    assert match, f"docs/classification.md records no sha256 of eval/{name}"
    return match[1]


@pytest.mark.parametrize("name", FROZEN)
def test_frozen_sets_are_unchanged(name: str) -> None:
    digest = hashlib.sha256((ROOT / "eval" / name).read_bytes()).hexdigest()
    assert digest == frozen_digest(name), f"eval/{name} changed: it is frozen"


def test_development_set_is_large_and_covers_every_subcategory() -> None:
    items = read_labeled_csv(ROOT / "eval" / "dev.csv")
    assert len(items) >= 600
    assert {i.label for i in items} == set(SUBCATEGORIES)


@pytest.mark.parametrize("name", FROZEN)
def test_published_test_figures_hold(name: str) -> None:
    report = evaluate(read_labeled_csv(ROOT / "eval" / name))
    assert report["binary"]["macro_f1"] >= documented(name, "binary macro-F1") - 0.0005
    assert report["accuracy"] >= documented(name, "subcategory accuracy") - 0.0005
