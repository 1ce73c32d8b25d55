"""The store-fitted model: it learns a team's own words, falls back cleanly, and explains itself."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.classify import CLASSIFIER_VERSION, classify
from ktlo.classify.learned import Example, TextModel, cross_validate, fit, macro_f1
from ktlo.cli import main
from ktlo.config import Config
from ktlo.records import WorkText
from ktlo.store import Store
from ktlo.verdicts.reclassify import reclassify
from ktlo.verdicts.refit import MIN_ITEMS, learn, learn_after_sync, load_model

# A team's private vocabulary: none of these words is in the built-in lexicon.
NEW_VERBS = ("plumb", "sprout", "graft", "hatch")
KTLO_VERBS = ("unjam", "degunk", "reshim", "despeckle")
NOUNS = ("quorble", "flinx", "zimbo", "ledgerette", "wumpus", "snarf", "trellix", "gorp")


def team_title(kind: str, rng: random.Random) -> str:
    """`chg: plumb quorble into zimbo` is new work; `degunk the flinx wumpus` is a bug fix."""
    a, b = rng.sample(NOUNS, 2)
    if kind == "feature":
        return f"chg: {rng.choice(NEW_VERBS)} {a} into {b}"
    return f"{rng.choice(KTLO_VERBS)} the {a} {b}"


def write_team_export(path: Path, labeled: int, unlabeled: int, seed: int = 7) -> dict[str, str]:
    """A tracker export: `labeled` items carry the team's labels; returns the truth of the rest."""
    rng = random.Random(seed)
    truth = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "kind", "labels", "created_at"])
        for n in range(labeled + unlabeled):
            kind = "feature" if n % 2 else "bug"
            is_labeled = n < labeled
            label = ("enhancement" if kind == "feature" else "defect") if is_labeled else ""
            writer.writerow([f"T-{n}", team_title(kind, rng), "issue", label, "2026-01-05"])
            if not is_labeled:
                truth[f"files:issue:T-{n}"] = kind
    return truth


def sync(db: Path, export: Path) -> str:
    result = CliRunner().invoke(
        main, ["sync", "--from-file", str(export), "--source", "files", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    return result.output


def effective(store: Store) -> dict[str, str | None]:
    return dict(store.con.execute("SELECT item_id, subcategory FROM effective_verdicts").fetchall())


def accuracy(truth: dict[str, str], guess: dict[str, str | None]) -> float:
    return sum(guess.get(item) == kind for item, kind in truth.items()) / len(truth)


def test_learned_model_beats_the_builtin_on_a_team_vocabulary(tmp_path: Path) -> None:
    db, export = tmp_path / "team.duckdb", tmp_path / "work_items.csv"
    truth = write_team_export(export, labeled=120, unlabeled=80)
    output = sync(db, export)
    assert "learned model fitted" in output and "bug 60, feature 60" in output
    with Store.open(db) as store:
        learned = accuracy(truth, effective(store))
        titles = store.con.execute("SELECT item_id, title FROM work_items").fetchall()
    builtin = accuracy(truth, {i: classify(WorkText(title=t)).subcategory for i, t in titles})
    assert builtin <= 0.6
    assert learned >= 0.95


def test_learned_verdicts_say_where_they_came_from(tmp_path: Path) -> None:
    db, export = tmp_path / "team.duckdb", tmp_path / "work_items.csv"
    write_team_export(export, labeled=120, unlabeled=10)
    sync(db, export)
    with Store.open(db) as store:
        row = store.query(
            "SELECT subcategory, reasons, classifier, confidence FROM verdicts WHERE item_id = 'files:issue:T-121'"
        )[0]
        summary = reclassify(store, Config(), refit=True)
    assert row["subcategory"] == "feature" and row["classifier"].startswith("learned-")
    assert row["reasons"][0].startswith("learned: learned-1, fitted on 120 labeled items")
    assert any(r.startswith('learned_word: prefix "chg"') for r in row["reasons"][1:])
    assert row["confidence"] < 0.85  # never mistaken for a strong signal by the next fit
    learning = summary.learning
    assert learning is not None and learning.fitted
    assert learning.per_class == {"bug": 60, "feature": 60}
    assert learning.cv_macro_f1 is not None and learning.cv_macro_f1 >= 0.95


def test_too_few_labeled_items_fall_back_to_the_builtin(tmp_path: Path) -> None:
    db, export = tmp_path / "team.duckdb", tmp_path / "work_items.csv"
    write_team_export(export, labeled=MIN_ITEMS - 10, unlabeled=20)
    sync(db, export)
    result = CliRunner().invoke(main, ["reclassify", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "learned model: none (40 labeled items, at least 50 needed)" in result.output
    with Store.open(db) as store:
        assert load_model(store) is None
        classifiers = store.con.execute("SELECT DISTINCT classifier FROM verdicts").fetchall()
    assert classifiers == [(CLASSIFIER_VERSION,)]


def test_a_class_with_too_few_examples_stays_with_the_builtin(store: Store, tmp_path: Path) -> None:
    export = tmp_path / "work_items.csv"
    write_team_export(export, labeled=100, unlabeled=0)
    with export.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for n in range(3):
            writer.writerow(
                [f"S-{n}", f"chg: plumb quorble {n}", "issue", "security", "2026-01-05"]
            )
        writer.writerow(["W-1", "chg: sanitize input against XSS", "issue", "", "2026-01-05"])
    from ktlo.ingest.sync import sync_source
    from ktlo.sources import make_source
    from ktlo.sources.base import NullReporter, SourceContext

    sync_source(
        store, make_source(SourceContext("files", {}), {"type": "files"}), NullReporter(), export
    )
    summary = learn(store)
    assert summary.excluded == {"security": 3}
    verdict = store.query(
        "SELECT subcategory, classifier FROM verdicts WHERE item_id = 'files:issue:W-1'"
    )
    assert verdict == [{"subcategory": "security", "classifier": CLASSIFIER_VERSION}]


def test_a_sync_applies_the_stored_model_and_refits_on_enough_new_labels(tmp_path: Path) -> None:
    db, export = tmp_path / "team.duckdb", tmp_path / "work_items.csv"
    write_team_export(export, labeled=60, unlabeled=10)
    sync(db, export)
    write_team_export(export, labeled=60, unlabeled=30)  # 20 new unlabeled items, same labels
    sync(db, export)
    with Store.open(db) as store:
        models = store.con.execute("SELECT count(*) FROM learned_models").fetchone()
        decided = store.con.execute(
            "SELECT count(*) FROM verdicts WHERE classifier = 'learned-1'"
        ).fetchone()
        assert models == (1,) and decided == (30,)
        write_team_export(export, labeled=200, unlabeled=30)
    sync(db, export)
    with Store.open(db) as store:
        latest = load_model(store)
        assert latest is not None and latest[0] == 2 and latest[1].items == 200
        assert learn_after_sync(store) is not None


def test_model_counts_round_trip_and_cross_validate() -> None:
    rng = random.Random(1)
    kinds = ["feature", "bug"] * 40
    examples = [Example(WorkText(title=team_title(k, rng))) for k in kinds]
    model = fit(examples, kinds)
    again = TextModel.from_bytes(model.to_bytes())
    probe = Example(WorkText(title="chg: graft snarf into gorp"))
    assert model.predict(probe).subcategory == again.predict(probe).subcategory == "feature"
    assert again.items == 80 and again.classes == ("bug", "feature")
    assert cross_validate(examples, kinds) == 1.0
    assert macro_f1(["a", "b", "b"], ["a", "b", "a"]) == pytest.approx(0.6667, abs=1e-4)


def test_review_answers_teach_the_next_fit(tmp_path: Path) -> None:
    db, export = tmp_path / "team.duckdb", tmp_path / "work_items.csv"
    write_team_export(export, labeled=60, unlabeled=20)
    sync(db, export)
    runner = CliRunner()
    answered = runner.invoke(
        main, ["review", "files:issue:T-60", "--as", "new_work/feature", "--db", str(db)]
    )
    assert answered.exit_code == 0, answered.output
    result = runner.invoke(main, ["reclassify", "--db", str(db)])
    assert "61 labeled items (bug 30, feature 31)" in result.output
    listed = runner.invoke(main, ["override", "--list", "--json", "--db", str(db)]).output
    assert json.loads(listed)[0]["note"] == "review: corrected from ktlo/bug"
    sync(db, export)  # a re-sync replaces the item and its built-in verdict, not the answer
    with Store.open(db) as store:
        assert effective(store)["files:issue:T-60"] == "feature"
