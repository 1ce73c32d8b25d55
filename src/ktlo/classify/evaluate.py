"""`ktlo eval`: measure the classifier against a labeled sample a user brings.

A CSV has the columns text and label (optionally id, and kind: commit, pull_request or
issue); a JSON-lines file has one object per line with title, label and optionally id,
body, files, labels, author and kind, so the files a commit touched count too. Labels may be investments (`ktlo`, `new_work`, `other`) or subcategories (`bug`,
`feature`, ...); Levin & Yehudai's maintenance classes are understood too
(`corrective` → ktlo/bug, `perfective` → ktlo, `adaptive` → new_work).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktlo.classify.classifier import classify
from ktlo.classify.taxonomy import INVESTMENTS, KTLO, NEW_WORK, OTHER, SUBCATEGORIES, investment_of
from ktlo.errors import InputError
from ktlo.records import WorkText

LABEL_ALIASES = {
    "new work": NEW_WORK, "new-work": NEW_WORK, "newwork": NEW_WORK, "adaptive": NEW_WORK,
    "keep the lights on": KTLO, "corrective": KTLO, "perfective": KTLO,
    "techdebt": "tech_debt", "tech debt": "tech_debt", "tech-debt": "tech_debt",
    "deps": "dependency", "dependencies": "dependency", "perf": "performance", "feat": "feature",
    "bugfix": "bug", "fix": "bug", "docs": "maintenance", "chore": "maintenance", "none": OTHER,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LabeledItem:
    item_id: str
    text: str
    label: str  # normalised: an investment or a subcategory
    work: WorkText | None = None  # what the classifier reads, when richer than `text`


def read_labeled(path: Path) -> list[LabeledItem]:
    """Read a labeled sample: JSON lines (`.jsonl`) or CSV (anything else)."""
    return read_labeled_jsonl(path) if path.suffix.lower() == ".jsonl" else read_labeled_csv(path)


def read_labeled_jsonl(path: Path) -> list[LabeledItem]:
    """Read {"title", "label", "body"?, "files"?, "labels"?, "author"?, "kind"?, "id"?} lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", "check the path") from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path} line {number}: not JSON ({exc.msg})", "one object per line"
            ) from exc
        if not isinstance(row, dict) or not isinstance(row.get("title"), str):
            raise InputError(f'{path} line {number}: no "title" string', 'give each line a "title"')
        work = WorkText(
            title=row["title"], body=row.get("body") or "", files=tuple(row.get("files") or ()),
            labels=tuple(row.get("labels") or ()), author=row.get("author") or "",
            kind=row.get("kind") or "",
        )  # fmt: skip
        text = f"{work.title}\n{work.body}".strip()
        raw = {"text": text, "label": str(row.get("label") or ""), "id": str(row.get("id") or "")}
        base = _labeled(path, number, {k: v or None for k, v in raw.items()})
        items.append(LabeledItem(base.item_id, base.text, base.label, work))
    if not items:
        raise InputError(f"{path} has no labeled rows", 'add lines of {"title": ..., "label": ...}')
    return items


def read_labeled_csv(path: Path) -> list[LabeledItem]:
    """Read `text,label[,id]` rows; name the line of any bad row."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", "check the path") from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(
                f"{path} has no {' and no '.join(sorted(missing))} column",
                "the first row must name the columns: text,label (and optionally id)",
            )
        items = []
        try:
            for row in reader:
                items.append(_labeled(path, reader.line_num, row))
        except csv.Error as exc:
            raise InputError(
                f"{path} line {reader.line_num}: {exc}", "fix the CSV quoting"
            ) from exc
    if not items:
        raise InputError(f"{path} has no labeled rows", "add rows of text,label")
    return items


def _labeled(path: Path, line: int, row: dict[str, str | None]) -> LabeledItem:
    text = (row.get("text") or "").strip()
    raw = (row.get("label") or "").strip()
    label = normalise_label(raw)
    if not text:
        raise InputError(f"{path} line {line}: empty text", "give every row a text")
    if label is None:
        known = ", ".join((*INVESTMENTS, *SUBCATEGORIES))
        raise InputError(f"{path} line {line}: unknown label {raw!r}", f"use one of {known}")
    kind = (row.get("kind") or "").strip()
    work = WorkText(*_split(text), kind=kind) if kind else None
    return LabeledItem(row.get("id") or f"line-{line}", text, label, work)


def _split(text: str) -> tuple[str, str]:
    title, _, body = text.strip().partition("\n")
    return title, body


def normalise_label(raw: str) -> str | None:
    """An investment or subcategory name for a user's label, or None if unknown."""
    label = raw.strip().lower()
    if "/" in label:
        label = label.rsplit("/", 1)[1]
    label = LABEL_ALIASES.get(label, label.replace(" ", "_"))
    return label if label in INVESTMENTS or label in SUBCATEGORIES else None


def evaluate(items: Sequence[LabeledItem]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall and the confusion matrix."""
    predicted = [_predict(item) for item in items]
    by_subcategory = all(item.label in SUBCATEGORIES or item.label == OTHER for item in items)
    level = "subcategory" if by_subcategory else "investment"
    truth = [i.label if by_subcategory else _investment(i.label) for i in items]
    guess = [(p[1] or OTHER) if by_subcategory else p[0] for p in predicted]
    report = {"items": len(items), "level": level, **_scores(truth, guess)}
    binary = [(t, g) for t, g in zip(truth, guess, strict=True) if _investment(t) != OTHER]
    report["binary"] = _scores(
        [_investment(t) for t, _ in binary], [_investment(g) for _, g in binary]
    )
    report["binary"]["classes"] = {
        k: v for k, v in report["binary"]["classes"].items() if k != OTHER
    }
    report["binary"]["macro_f1"] = _macro_f1(report["binary"]["classes"], (KTLO, NEW_WORK))
    report["mistakes"] = [
        {"id": item.item_id, "text": item.text[:200], "label": t, "predicted": g}
        for item, t, g in zip(items, truth, guess, strict=True)
        if t != g
    ]
    return report


def _predict(item: LabeledItem) -> tuple[str, str | None]:
    verdict = classify(item.work or WorkText(*_split(item.text)))
    return verdict.investment, verdict.subcategory


def _investment(label: str) -> str:
    return label if label in INVESTMENTS else investment_of(label)


def _scores(truth: Sequence[str], guess: Sequence[str]) -> dict[str, Any]:
    classes = sorted(set(truth) | set(guess))
    confusion = Counter(zip(truth, guess, strict=True))
    per_class = {}
    for cls in classes:
        tp = confusion[(cls, cls)]
        predicted = sum(v for (_, g), v in confusion.items() if g == cls)
        actual = sum(v for (t, _), v in confusion.items() if t == cls)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[cls] = {
            "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "support": actual,
        }  # fmt: skip
    labeled = [c for c in classes if any(t == c for t in truth)]
    return {
        "accuracy": round(sum(confusion[(c, c)] for c in classes) / len(truth), 4)
        if truth
        else 0.0,
        "macro_f1": _macro_f1(per_class, labeled),
        "classes": per_class,
        "confusion": {t: {g: confusion[(t, g)] for g in classes} for t in classes},
    }


def _macro_f1(per_class: dict[str, dict[str, float]], classes: Sequence[str]) -> float:
    present = [per_class[c]["f1"] for c in classes if c in per_class]
    return round(sum(present) / len(present), 4) if present else 0.0
