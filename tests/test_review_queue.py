"""The review queue: uncertain and disagreeing verdicts, most effort first; answers become overrides."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.classify import CLASSIFIER_VERSION
from ktlo.cli import main
from ktlo.config import Config
from ktlo.errors import InputError
from ktlo.store import Store
from ktlo.verdicts.review_queue import answer, review_queue
from tests.work import add_activity, add_commit, add_item


def verdict(store: Store, item_id: str, label: str, confidence: float, reason: str) -> None:
    investment, _, sub = label.partition("/")
    store.replace(
        "verdicts", "item_id", [item_id],
        ["item_id", "investment", "subcategory", "confidence", "reasons", "classifier", "classified_at"],
        [(item_id, investment, sub or None, confidence, [reason], CLASSIFIER_VERSION, datetime(2026, 1, 1))],
    )  # fmt: skip


def build(store: Store) -> None:
    # a1 is Ana's only commit that day (1 person-day); a2 and a3 share Ben's day (0.5 each)
    add_commit(store, "a1", "Ana Lima", "2026-03-02T10:00:00", title="quux the frobnicator")
    add_commit(store, "a2", "Ben Ode", "2026-03-03T10:00:00", title="tweak the settings")
    add_commit(store, "a3", "Ben Ode", "2026-03-03T11:00:00", title="feat: retry payouts")
    add_commit(store, "a4", "Ana Lima", "2026-03-04T10:00:00", title="fix: null check")
    add_commit(store, "a5", "Ana Lima", "2026-03-05T10:00:00", title="wip")
    add_item(store, "jira:issue:PAY-12", "issue", ("ktlo", "bug"), title="Payouts fail")
    verdict(store, "a1", "ktlo/maintenance", 0.25, "no_signal: no vocabulary")
    verdict(store, "a2", "ktlo/maintenance", 0.4, 'keyword: "settings" → maintenance (+1.0)')
    verdict(store, "a3", "new_work/feature", 0.85, 'conventional_commit: "feat:" → feature')
    verdict(store, "a4", "ktlo/bug", 0.85, 'conventional_commit: "fix:" → bug')
    verdict(store, "a5", "other", 0.2, "no_signal: too little text to decide")
    store.con.execute("UPDATE work_items SET external_id = 'PAY-12' WHERE item_id LIKE 'jira%'")
    store.con.execute("UPDATE work_items SET refs = ['PAY-12'] WHERE item_id = 'a3'")


def test_queue_holds_uncertain_and_disagreeing_items_most_effort_first(store: Store) -> None:
    build(store)
    rows = review_queue(store, Config())
    assert [(r.item_id, r.effort_days, r.why) for r in rows] == [
        ("a5", 1.0, "uncertain (0.20)"),
        ("a1", 1.0, "uncertain (0.25)"),
        ("a2", 0.5, "uncertain (0.40)"),
        ("a3", 0.5, 'signals disagree: conventional_commit: "feat:" → feature but it links to PAY-12 (ktlo/bug)'),
    ]  # fmt: skip
    assert rows[1].title == "quux the frobnicator" and rows[1].reasons
    assert [r.item_id for r in review_queue(store, Config(), limit=2)] == ["a5", "a1"]


def test_a_label_and_a_type_that_disagree_are_queued(store: Store) -> None:
    add_commit(store, "b1", "Ana Lima", "2026-03-02T10:00:00", title="feat: export ledger")
    store.con.execute("UPDATE work_items SET labels = ['bug'] WHERE item_id = 'b1'")
    verdict(store, "b1", "ktlo/bug", 0.9, 'label: "bug" → bug')
    [row] = review_queue(store, Config())
    assert row.why == 'signals disagree: "feat:" → feature but "bug" → bug'


def test_answers_confirm_or_correct_and_leave_the_queue(store: Store) -> None:
    build(store)
    assert answer(store, "a1", Config()) == ("ktlo", "maintenance")
    assert answer(store, "a3", Config(), "ktlo/bug") == ("ktlo", "bug")
    notes = dict(store.con.execute("SELECT item_id, note FROM overrides").fetchall())
    assert notes == {"a1": "review: confirmed", "a3": "review: corrected from new_work/feature"}
    assert [r.item_id for r in review_queue(store, Config())] == ["a5", "a2"]
    effective = store.query(
        "SELECT confidence, overridden FROM effective_verdicts WHERE item_id = 'a1'"
    )
    assert effective == [{"confidence": 1.0, "overridden": True}]


def test_review_command_lists_asks_and_answers(tmp_path: Path) -> None:
    db = tmp_path / "ktlo.duckdb"
    with Store.open(db) as store:
        build(store)
    runner = CliRunner()
    listed = runner.invoke(main, ["review", "--json", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert [r["item_id"] for r in json.loads(listed.stdout)] == ["a5", "a1", "a2", "a3"]
    asked = runner.invoke(
        main, ["review", "--ask", "--db", str(db)], input="other\n\nnonsense\nfeature\nq\n"
    )
    assert asked.exit_code == 0, asked.output
    assert "Review queue" in asked.output and "→ other" in asked.output
    assert "→ ktlo/maintenance" in asked.output  # a1 confirmed
    assert "unknown category 'nonsense'" in asked.output and "→ new_work/feature" in asked.output
    one = runner.invoke(main, ["review", "a3", "--confirm", "--db", str(db)])
    assert one.stdout == "a3 is now new_work/feature\n"
    missing = runner.invoke(main, ["review", "a3", "--db", str(db)])
    assert missing.exit_code == 1 and "no answer given" in missing.output
    done = runner.invoke(main, ["review", "--db", str(db)])
    assert "Nothing to review" in done.output


def test_answering_an_unknown_item_says_where_ids_come_from(store: Store) -> None:
    with pytest.raises(InputError, match="no stored verdict for 'nope'"):
        answer(store, "nope", Config())


def test_the_most_effort_comes_first_however_many_items_are_uncertain(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranking is by effort over every uncertain item, and among items whose type and label
    might disagree only those that do are weighed (not the first CANDIDATES of them)."""
    monkeypatch.setattr("ktlo.verdicts.review_queue.CANDIDATES", 1)
    for n in range(3):  # Ana spends a day on each of three barely certain commits
        add_commit(store, f"u{n}", "Ana Lima", f"2026-03-0{n + 2}T10:00:00", title=f"thing {n}")
        verdict(store, f"u{n}", "ktlo/maintenance", 0.2 + n / 10, "no_signal: no vocabulary")
    # Ben's commit that is nearly certain enough, then two days of review comments on it
    add_commit(store, "big", "Ben Ode", "2026-03-05T10:00:00", title="quorble the zimbo")
    for day in ("06", "09"):
        add_activity(store, "big", "Ben Ode", "commented", f"2026-03-{day}T10:00:00")
    verdict(store, "big", "ktlo/maintenance", 0.45, "no_signal: no vocabulary")
    # two labeled commits: the agreeing one has more effort than the disagreeing one
    add_commit(store, "agree", "Raj Patel", "2026-03-09T10:00:00", title="fix: rounding")
    add_commit(store, "agree2", "Raj Patel", "2026-03-09T11:00:00", title="fix: totals")
    add_commit(store, "clash", "Lee Wong", "2026-03-10T10:00:00", title="feat: export ledger")
    store.con.execute(
        "UPDATE work_items SET labels = ['bug'] WHERE item_id IN ('agree', 'agree2', 'clash')"
    )
    for item in ("agree", "agree2", "clash"):
        verdict(store, item, "ktlo/bug", 0.9, 'label: "bug" → bug')
    rows = review_queue(store, Config(), limit=10)
    assert [(r.item_id, r.effort_days) for r in rows][:1] == [("big", 3.0)]
    assert [r.item_id for r in rows if r.why.startswith("signals")] == ["clash"]


def test_a_team_sees_the_items_it_spent_effort_on(tmp_path: Path) -> None:
    db, config = tmp_path / "ktlo.duckdb", tmp_path / "ktlo.toml"
    config.write_text('[[teams]]\nname = "pay"\nmembers = ["ana@acme.com"]\n'
                      '[[teams]]\nname = "ops"\nmembers = ["ben@acme.com"]\n')  # fmt: skip
    with Store.open(db) as store:
        build(store)
    runner = CliRunner()
    for team, expected in (("pay", ["a5", "a1"]), ("ops", ["a2", "a3"])):
        result = runner.invoke(
            main, ["review", "--team", team, "--json", "--db", str(db), "--config", str(config)]
        )
        assert result.exit_code == 0, result.output
        assert [r["item_id"] for r in json.loads(result.stdout)] == expected
    unknown = runner.invoke(
        main, ["review", "--team", "nope", "--db", str(db), "--config", str(config)]
    )
    assert unknown.exit_code == 1 and "unknown team 'nope'" in unknown.output
