"""When the learned model is fitted, what it must have seen, and what each refit says it moved."""

from __future__ import annotations

import csv
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from ktlo.classify import CLASSIFIER_VERSION
from ktlo.classify.learned import Example, fit
from ktlo.cli import main
from ktlo.records import WorkText
from ktlo.store import Store
from ktlo.verdicts.refit import apply_model, load_model, save_model
from tests.conftest import GIT_TEST_ENV, GitRepo

NOUNS = ("quorble", "flinx", "zimbo", "ledgerette", "wumpus", "snarf", "trellix", "gorp")
BAD_INCIDENTS = (
    "id,title,created_at,acknowledged_at\nI-1,db down,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z\n"
)
GOOD_INCIDENTS = (
    "id,title,created_at,acknowledged_at\nI-1,db down,2026-01-05T10:00:00Z,2026-01-05T10:04:00Z\n"
)


def history(repo: GitRepo, messages: list[tuple[str, str]]) -> None:
    """One commit per (author, message), a day apart, written at once with git fast-import."""
    stream = []
    for n, (author, message) in enumerate(messages):
        raw = message.encode()
        when = 1767607200 + n * 86400  # 2026-01-05 10:00 UTC onwards
        email = f"{author.lower()}@example.com"
        stream.append(
            f"commit refs/heads/main\nmark :{n + 1}\n"
            f"author {author} <{email}> {when} +0000\ncommitter {author} <{email}> {when} +0000\n"
            f"data {len(raw)}\n{message}\n"
            + (f"from :{n}\n" if n else "")
            + f"M 644 inline src/{NOUNS[n % len(NOUNS)]}.py\ndata 3\n{n % 100:02d}\n\n"
        )
    subprocess.run(
        ["git", "-C", str(repo.path), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
        env={**GIT_TEST_ENV, "PATH": "/usr/bin:/bin"},
    )
    repo.git("reset", "-q", "--hard", "main")


def team_history(rng: random.Random) -> list[tuple[str, str]]:
    """Strong labels of both sides (feat:/fix:) and weak commits in the team's own words."""
    messages = []
    for n in range(120):
        a, b = rng.sample(NOUNS, 2)
        author = ("Alice", "Bob")[n % 2]
        if n % 3 == 0:
            messages.append((author, f"feat: plumb {a} into {b}"))
        elif n % 3 == 1:
            messages.append((author, f"fix: degunk the {a} {b}"))
        else:  # weak: no prefix; the team's verbs say which side
            verb = "plumb" if n % 2 else "degunk"
            messages.append((author, f"{verb} the {a} {b}"))
    return messages


def analyze(repo: GitRepo, db: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", str(repo.path), "--db", str(db)])
    assert result.exit_code == 0, result.output


def sync_file(db: Path, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["sync", "--from-file", str(path), "--source", "files", "--db", str(db)]
    )
    return result.exit_code, result.stderr


def verdicts(db: Path) -> list[tuple[str, str, str | None, float, str]]:
    with Store.open(db, read_only=True) as store:
        return [
            tuple(row)
            for row in store.con.execute(
                "SELECT item_id, investment, subcategory, confidence, classifier FROM verdicts "
                "ORDER BY item_id"
            ).fetchall()
        ]


def test_a_rejected_sync_changes_no_verdict_and_fits_no_model(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo, db = new_repo("team"), tmp_path / "k.duckdb"
    history(repo, team_history(random.Random(3)))
    analyze(repo, db)
    before = verdicts(db)
    bad = tmp_path / "incidents.csv"
    bad.write_text(BAD_INCIDENTS, encoding="utf-8")
    code, err = sync_file(db, bad)
    assert code == 1 and "acknowledged_at 2026-01-05T09:00:00Z is before created_at" in err
    assert "learned model: left as it was, and no verdict changed by it" in err
    assert verdicts(db) == before
    with Store.open(db, read_only=True) as store:
        assert load_model(store) is None
        assert store.con.execute("SELECT count(*) FROM incidents").fetchone() == (0,)


def test_a_successful_sync_refits_and_says_what_moved(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo, db = new_repo("team"), tmp_path / "k.duckdb"
    history(repo, team_history(random.Random(3)))
    analyze(repo, db)
    before = {row[0]: row[1:3] for row in verdicts(db)}
    good = tmp_path / "incidents.csv"
    good.write_text(GOOD_INCIDENTS, encoding="utf-8")
    code, err = sync_file(db, good)
    assert code == 0, err
    after = {row[0]: row[1:3] for row in verdicts(db)}
    changed = sum(before[item] != after[item] for item in before)
    ktlo_before = sum(v[0] == "ktlo" for v in before.values()) / len(before)
    ktlo_after = sum(v[0] == "ktlo" for v in after.values()) / len(after)
    # the weak commits in the team's own words, which the built-in reads as no signal, are
    # decided by the team's model: "plumb ..." new work, "degunk ..." KTLO
    moved = [(before[item], after[item]) for item in before if before[item] != after[item]]
    assert changed == 40 and all(old[0] == "other" for old, _ in moved)
    assert {new[0] for _, new in moved} == {"ktlo", "new_work"} and ktlo_after > ktlo_before
    lines = err.splitlines()
    assert lines[lines.index("what moved (KTLO share before → after):") + 1] == (
        f"  all items: KTLO {ktlo_before:.1%} → {ktlo_after:.1%} of items, {changed} items changed"
    )
    fitted = next(line for line in lines if line.startswith("learned model fitted"))
    assert "(bug 40, feature 40)" in fitted
    assert "cross-validated macro-F1 over KTLO and new work 1.00" in fitted


def test_labels_of_one_side_fit_no_model_and_move_nothing(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    """flask: no `feat:` commits, so every labeled item is KTLO; a model fitted on them
    moved "Added mini blogging application as Flask example." to maintenance."""
    repo, db = new_repo("flaskish"), tmp_path / "k.duckdb"
    history(repo, flaskish())
    analyze(repo, db)
    result = CliRunner().invoke(main, ["reclassify", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert (
        "learned model: none (labeled items of both KTLO and new work are needed, at least 30 "
        "of each: 60 KTLO, 0 new work); the built-in classifier decides"
    ) in result.stderr
    share = _ktlo_share(verdicts(db))
    assert f"  all items: KTLO {share} → {share} of items, 0 items changed" in result.stderr
    with Store.open(db, read_only=True) as store:
        assert load_model(store) is None
        row = store.con.execute(
            "SELECT v.investment, v.classifier FROM verdicts v JOIN work_items w "
            "USING (item_id) WHERE w.title LIKE 'Added mini blogging%'"
        ).fetchone()
    assert row is not None and row[1] == CLASSIFIER_VERSION  # the built-in's reading stands


def test_cross_validation_is_scored_over_both_investments(tmp_path: Path) -> None:
    """Bugs and incidents in the same words (only their issue type, which the model does not
    read, tells them apart) leave the KTLO-vs-new-work score whole; the score over kinds,
    which the old summary reported, is the lower one."""
    rng = random.Random(9)
    export, db = tmp_path / "work_items.csv", tmp_path / "k.duckdb"
    with export.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "issue_type", "created_at"])
        for n in range(90):
            a, b = rng.sample(NOUNS, 2)
            kind = ("Story", "Bug", "Incident")[n % 3]
            verb = "plumb" if kind == "Story" else "degunk"
            writer.writerow([f"T-{n}", f"{verb} the {a} {b}", kind, "2026-01-05"])
    code, err = sync_file(db, export)
    assert code == 0, err
    fitted = next(line for line in err.splitlines() if line.startswith("learned model fitted"))
    assert "90 labeled items (bug 30, feature 30, incident 30)" in fitted
    over_both, over_kinds = (
        fitted.split("cross-validated macro-F1 over KTLO and new work ")[1]
        .split(" over its kinds)")[0]
        .split(" (")
    )
    assert float(over_both) == 1.0 and float(over_kinds) < 0.8


def _ktlo_share(rows: list[tuple[object, ...]]) -> str:
    """The KTLO share of items as `what moved` prints it (merge commits have none here)."""
    return f"{sum(row[1] == 'ktlo' for row in rows) / len(rows):.1%}"


def flaskish() -> list[tuple[str, str]]:
    """Labels of one side only: docs and fixes, no `feat:`; and one new example app."""
    rng = random.Random(5)
    messages = [
        ("Alice", f"docs: added flask example for the {rng.choice(NOUNS)}") for _ in range(40)
    ]
    messages += [("Bob", f"fix: crash in the {rng.choice(NOUNS)} view") for _ in range(20)]
    return [*messages, ("Carol", "Added mini blogging application as Flask example.")]


def test_a_stored_model_of_one_side_is_dropped_and_its_verdicts_given_back(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    """A store whose model an earlier ktlo fitted on KTLO kinds only: the next sync drops it
    and gives the items it decided back to the built-in."""
    repo, db = new_repo("flaskish"), tmp_path / "k.duckdb"
    history(repo, flaskish())
    analyze(repo, db)
    builtin = verdicts(db)
    with Store.open(db) as store:
        texts = [WorkText(title=f"added flask example {n}") for n in NOUNS] * 3
        old = fit([Example(t) for t in texts], ["maintenance", "bug", "tech_debt"] * 8)
        decided = apply_model(store, old, save_model(store, old, {}))
    assert decided == 1 and verdicts(db) != builtin  # the blogging app, moved by the old model
    moved_share = _ktlo_share(verdicts(db))
    good = tmp_path / "incidents.csv"
    good.write_text(GOOD_INCIDENTS, encoding="utf-8")
    code, err = sync_file(db, good)
    assert code == 0, err
    assert (
        "learned model: none (labeled items of both KTLO and new work are needed, at least 30 of "
        "each: 60 KTLO, 0 new work); the built-in classifier decides; 1 item an earlier model "
        "decided is back with the built-in"
    ) in err.splitlines()
    line = f"  all items: KTLO {moved_share} → {_ktlo_share(builtin)} of items, 1 item changed"
    assert line in err.splitlines()
    assert verdicts(db) == builtin
    with Store.open(db, read_only=True) as store:
        assert load_model(store) is None


def test_every_team_hears_how_its_share_moved(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo, db = new_repo("team"), tmp_path / "k.duckdb"
    history(repo, team_history(random.Random(3)))
    analyze(repo, db)
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[[teams]]\nname = "alpha"\nmembers = ["Alice"]\n\n[[teams]]\nname = "beta"\nmembers = ["Bob"]\n'
    )
    result = CliRunner().invoke(main, ["reclassify", "--db", str(db), "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    moved = [  # the team lines; the kinds that moved most are indented below each
        line
        for line in lines[lines.index("what moved (KTLO share before → after):") + 1 :]
        if line.startswith("  ") and not line.startswith("    ")
    ]
    assert [line.split(":")[0] for line in moved] == ["  all items", "  team alpha", "  team beta"]
    assert all(" of person-days, " in line for line in moved[1:])

    # Bob writes the weak "plumb" commits (odd n), which become new work; Alice's weak
    # "degunk" ones become KTLO (the built-in read both as no signal)
    def shares(line: str) -> tuple[float, float]:
        before, after = line.split("KTLO ")[1].split(" of")[0].split(" → ")
        return float(before.rstrip("%")), float(after.rstrip("%"))

    alpha, beta = shares(moved[1]), shares(moved[2])
    assert alpha[1] > alpha[0] and beta[1] <= beta[0] and beta[1] < alpha[1]


def test_analyze_with_a_rule_applies_the_stored_model_and_fits_none(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    """Only a successful sync and `ktlo reclassify` fit; a rule re-applied by analyze keeps the model."""
    repo, db = new_repo("team"), tmp_path / "k.duckdb"
    history(repo, team_history(random.Random(3)))
    analyze(repo, db)
    good = tmp_path / "incidents.csv"
    good.write_text(GOOD_INCIDENTS, encoding="utf-8")
    assert sync_file(db, good)[0] == 0
    learned = verdicts(db)
    assert any(row[4] == "learned-1" for row in learned)
    config = tmp_path / "ktlo.toml"
    config.write_text('[[rules]]\nmatch = { title = "^nothing matches this$" }\nas = "ktlo/bug"\n')
    result = CliRunner().invoke(
        main, ["analyze", str(repo.path), "--db", str(db), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert verdicts(db) == learned
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT max(model_id) FROM learned_models").fetchone() == (1,)
