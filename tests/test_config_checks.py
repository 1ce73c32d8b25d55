"""ktlo.toml is validated whole when it is loaded, before any command touches a store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from tests.conftest import GitRepo


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ktlo.toml"
    path.write_text(text)
    return path


NOSUCH = """\
[[teams]]
name = "payments"
members = ["ana"]

[[rules]]
match = { label = "customer" }
as = "ktlo/incident"

[[rules]]
match = { label = "oops" }
as = "ktlo/nosuch"
"""


def test_a_rule_with_an_unknown_category_fails_at_load_in_every_command(tmp_path: Path) -> None:
    config = write(tmp_path, NOSUCH)
    db = tmp_path / "k.duckdb"
    for command in (["budget"], ["allocation"], ["reclassify"]):
        code, out, err = run(*command, "--config", str(config), "--db", str(db))
        assert code == 1 and out == ""
        assert err.startswith(
            f"Error: {config} line 11, rules.1.as: unknown category 'ktlo/nosuch'"
        )
        assert "ktlo/incident, ktlo/bug" in err and err.count("\n") == 1
    assert not db.exists()


def test_analyze_refuses_the_config_before_it_creates_the_store(
    shop: GitRepo, tmp_path: Path
) -> None:
    config = write(tmp_path, NOSUCH)
    db = tmp_path / "fresh.duckdb"
    code, _, err = run("analyze", str(shop.path), "--config", str(config), "--db", str(db))
    assert code == 1 and "rules.1.as: unknown category 'ktlo/nosuch'" in err
    assert not db.exists() and not Path(f"{db}.lock").exists()


def test_a_rule_may_assign_a_category_of_the_configs_own(shop: GitRepo, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[categories]\nadd = [{ name = "compliance", investment = "ktlo" }]\n\n'
        '[[rules]]\nmatch = { title = "." }\nas = "compliance"\n',
    )
    db = tmp_path / "k.duckdb"
    code, _, err = run("analyze", str(shop.path), "--config", str(config), "--db", str(db))
    assert code == 0, err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[categories]\nrename = { techdebt = "debt" }\n',
            "line 2, categories.rename.techdebt: unknown subcategory 'techdebt'",
        ),
        (
            '[sources.myjira]\nurl = "https://jira.example.com"\n',
            "line 1, sources.myjira: unknown source type 'myjira'",
        ),
        (
            '[sources.tracker]\ntype = "jiraa"\n',
            "line 2, sources.tracker.type: unknown source type 'jiraa'",
        ),
        (
            '[[teams]]\nname = "a"\nmembers = ["x"]\n\n[[teams]]\nname = "a"\nmembers = ["y"]\n',
            "line 6, teams.1.name: a second team named 'a'",
        ),
    ],
)
def test_cross_section_mistakes_are_named_at_load(tmp_path: Path, text: str, expected: str) -> None:
    config = write(tmp_path, text)
    db = tmp_path / "k.duckdb"
    code, _, err = run("budget", "--config", str(config), "--db", str(db))
    assert code == 1 and expected in err and err.count("\n") == 1
    assert not db.exists()


def test_a_team_without_members_is_a_warning_on_stderr(shop: GitRepo, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[[teams]]\nname = "payments"\nmembers = ["Bob Chen"]\n\n'
        '[[teams]]\nname = "infra"\nrepositories = ["acme/infra"]\n\n'
        '[[teams]]\nname = "ghosts"\n',
    )
    db = tmp_path / "k.duckdb"
    assert run("analyze", str(shop.path), "--db", str(db))[0] == 0
    code, out, err = run("budget", "--config", str(config), "--db", str(db))
    assert code == 0 and "payments" in out
    assert err.splitlines() == [
        f"Warning: {config} line 5, teams.1.members: team 'infra' has no members: its effort "
        "comes only from people in no team who work on its repositories or paths",
        f"Warning: {config} line 9, teams.2.members: team 'ghosts' has no members: it owns no "
        "repositories or paths either, so it will show no effort",
    ]
