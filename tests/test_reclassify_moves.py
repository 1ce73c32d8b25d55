"""`ktlo reclassify` shows what moved, per team, and `--dry-run` writes nothing (issue 17,
item 5: "platform 57% → 43% KTLO, search's bug effort 35 → 60.5 days, 5,186 items
re-decided, and it does not say which teams moved")."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from ktlo.cli import main
from tests.conftest import GitRepo
from tests.test_learning_policy import analyze, history, team_history, verdicts

TEAMS = '[[teams]]\nname = "alpha"\nmembers = ["Alice"]\n\n[[teams]]\nname = "beta"\nmembers = ["Bob"]\n'


def reclassify(db: Path, config: Path, *extra: str) -> Result:
    result = CliRunner().invoke(
        main, ["reclassify", "--db", str(db), "--config", str(config), *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dry_run_reports_what_would_move_and_writes_nothing(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo, db = new_repo("team"), tmp_path / "k.duckdb"
    history(repo, team_history(random.Random(3)))
    analyze(repo, db)
    config = tmp_path / "ktlo.toml"
    config.write_text(TEAMS)
    before, stored = verdicts(db), digest(db)
    trial = reclassify(db, config, "--dry-run")
    assert digest(db) == stored and verdicts(db) == before  # not a byte changed
    assert not list(tmp_path.glob(".ktlo-dry-run-*"))  # its copy is gone
    assert trial.stderr.startswith("Dry run: nothing was written.")
    real = reclassify(db, config)
    assert verdicts(db) != before
    assert trial.stdout == real.stdout.replace(" changed, ", " would change, ")
    assert _moves(trial.stderr) == _moves(real.stderr)  # the same report, ahead of time


def test_each_team_hears_its_share_and_the_kinds_that_moved_in_person_days(
    new_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo, db = new_repo("team"), tmp_path / "k.duckdb"
    history(repo, team_history(random.Random(3)))
    analyze(repo, db)
    config = tmp_path / "ktlo.toml"
    config.write_text(TEAMS)
    lines = _moves(reclassify(db, config).stderr)
    alpha = lines.index(next(line for line in lines if line.startswith("  team alpha: KTLO ")))
    kinds = lines[alpha + 1]
    assert kinds.startswith("    person-days moved most: ")
    moved = dict(_kind(part) for part in kinds.split(": ", 1)[1].split(", "))
    # Alice's weak "degunk" commits, read as no signal, are decided as KTLO by the team's model
    assert moved == {"bug": (20.0, 40.0), "other": (20.0, 0.0)}


def _moves(err: str) -> list[str]:
    lines = err.splitlines()
    return lines[lines.index("what moved (KTLO share before → after):") + 1 :][:-1]


def _kind(part: str) -> tuple[str, tuple[float, float]]:
    name, numbers = part.split(" ", 1)
    before, after = numbers.split(" → ")
    return name, (float(before.replace(",", "")), float(after.replace(",", "")))
