"""One way to find the store and the configuration, for every command (issue 17, item 1).

Each case is what a new user met: a command that read another store than the one in the
folder, answered with no teams as if there were some, or printed nothing at all.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ktlo.cli import main
from tests.conftest import ALICE, BOB, GitRepo

TEAMS = (
    '[[teams]]\nname = "shop"\nmembers = ["Alice Martin", "Bob Chen"]\n'
    'repositories = ["shop"]\nbudget = { low = 20, high = 40 }\n'
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No store or config named by the environment; the analyze cache under tmp_path."""
    monkeypatch.delenv("KTLO_DB", raising=False)
    monkeypatch.delenv("KTLO_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def ktlo(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def checkout(new_repo: Callable[[str], GitRepo]) -> GitRepo:
    """A project's checkout with its own history (as ktlo's own checkout was)."""
    repo = new_repo("checkout")
    for n in range(6):
        repo.commit(f"fix: handle case {n}", {f"src/f{n}.py": f"{n}\n"}, ALICE, f"2026-0{n + 1}-05T10:00:00+00:00")  # fmt: skip
    return repo


@pytest.fixture
def shop(new_repo: Callable[[str], GitRepo]) -> GitRepo:
    """The organisation's repository: features by Bob, fixes by Alice."""
    repo = new_repo("shop")
    for n in range(8):
        author, kind = (BOB, "feat") if n % 2 else (ALICE, "fix")
        repo.commit(f"{kind}: item {n}", {f"src/m{n}.py": f"{n}\n"}, author, f"2026-0{n % 6 + 1}-1{n}T10:00:00+00:00")  # fmt: skip
    return repo


def test_a_folder_inside_a_checkout_reads_its_own_store_not_the_checkouts(
    checkout: GitRepo, shop: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the checkout, `ktlo analyze .` made the checkout's cache store; a folder inside
    it with its own ktlo.duckdb (like demo-output/) must read that, for every command."""
    monkeypatch.chdir(checkout.path)
    assert ktlo("analyze", ".").exit_code == 0  # the checkout's own cache store
    out = checkout.path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    assert ktlo("analyze", str(shop.path), "--db", "ktlo.duckdb").exit_code == 0
    explained = ktlo("explain", shop.git("rev-parse", "HEAD")[:7])
    assert explained.exit_code == 0, explained.output
    assert "github.com" not in explained.stdout and "item 7" in explained.stdout
    allocation = json.loads(ktlo("allocation", "--json").stdout)
    assert allocation["totals"]["items"] == 8  # shop's 8 commits, not the checkout's 6


def test_no_store_here_is_an_error_naming_the_analyze_store_not_a_silent_switch(
    checkout: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a repository's top, `ktlo allocation` used to read that repository's own cache
    store and answer about it; now it says where stores are and reads none."""
    monkeypatch.chdir(checkout.path)
    assert ktlo("analyze").exit_code == 0  # no PATH at a repository's top: `ktlo analyze .`
    result = ktlo("allocation")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "Error: no store at ./ktlo.duckdb (the default: no --db or KTLO_DB given)"
    )
    cached = next((checkout.path.parent / "cache" / "ktlo").glob("checkout-*.duckdb"))
    assert f"pass --db {cached}" in line
    assert ktlo("allocation", "--db", str(cached)).exit_code == 0


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (["budget"], "compares each team's KTLO share with the team's band"),
        (["mode"], "judges each team"),
        (["mode", "--json"], "judges each team"),
        (["allocation", "--by", "team"], "shows each team's effort"),
        (["rotation", "review", "--team", "shop"], "reviews one team's shifts"),
    ],
)
def test_a_command_that_needs_teams_says_how_to_define_them(
    shop: GitRepo, tmp_path: Path, command: list[str], why: str
) -> None:
    """`ktlo mode` printed nothing and exited 0; `ktlo budget` put everything under (no team)."""
    db = str(tmp_path / "org.duckdb")
    assert ktlo("analyze", str(shop.path), "--db", db).exit_code == 0
    result = ktlo(*command, "--db", db)
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "Error: no teams defined (no ktlo.toml here, and no --config or KTLO_CONFIG)"
    )
    assert (
        why in line and "`ktlo init` writes them" in line and "docs/configuration.md#teams" in line
    )


def test_each_command_says_which_store_and_config_it_used_when_not_given(
    shop: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tmp_path / "org"
    org.mkdir()
    monkeypatch.chdir(org)
    assert ktlo("analyze", str(shop.path), "--db", "ktlo.duckdb").exit_code == 0
    (org / "ktlo.toml").write_text(TEAMS)
    budget = ktlo("budget")
    assert budget.exit_code == 0 and "shop" in budget.stdout
    assert budget.stderr.splitlines()[-1] == (
        "Using the store ./ktlo.duckdb (the default: no --db given) and the configuration "
        "./ktlo.toml (the default: no --config given)."
    )
    monkeypatch.setenv("KTLO_DB", str(org / "ktlo.duckdb"))
    via_env = ktlo("budget", "--config", "ktlo.toml")
    assert via_env.stderr.splitlines()[-1] == "Using the store ./ktlo.duckdb (from KTLO_DB)."
    monkeypatch.delenv("KTLO_DB")
    explicit = ktlo("budget", "--db", "ktlo.duckdb", "--config", "ktlo.toml")
    assert explicit.exit_code == 0 and "Using" not in explicit.stderr
    (org / "ktlo.toml").unlink()
    bare = ktlo("allocation", "--db", "ktlo.duckdb")
    assert bare.exit_code == 0
    assert bare.stderr.splitlines()[-1].startswith(
        "Using no configuration (no ./ktlo.toml here, no --config or KTLO_CONFIG): no teams"
    )


def test_analyze_with_no_path_in_a_folder_of_a_checkout_asks_instead_of_guessing(
    checkout: GitRepo, shop: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In demo-output/, `ktlo analyze` analysed the enclosing checkout (101% carrying)."""
    out = checkout.path / "out"
    out.mkdir()
    (out / "ktlo.toml").write_text(TEAMS)
    monkeypatch.chdir(out)
    result = ktlo("analyze")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: which repositories? No PATH given, no [git] repositories in ")
    assert "[git] repositories = " in line
    assert not list((checkout.path.parent / "cache").glob("**/*.duckdb"))  # nothing was mined
    (out / "ktlo.toml").write_text(TEAMS + f'\n[git]\nrepositories = ["{shop.path}"]\n')
    named = ktlo("analyze", "--json")
    assert named.exit_code == 0, named.output
    assert json.loads(named.stdout)["totals"]["commits"] == 8  # shop's, not the checkout's
    assert (out / "ktlo.duckdb").exists()  # [git] repositories go to the folder's store


def test_the_hint_after_analyze_works_as_printed_from_where_the_user_is(
    shop: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Why? ktlo explain <sha>` failed where the analyze store is not ./ktlo.duckdb."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = ktlo("analyze", str(shop.path))
    assert result.exit_code == 0
    cached = next((tmp_path / "cache" / "ktlo").glob("shop-*.duckdb"))
    assert f"Using the store {cached} (this repository's own" in result.stderr
    hint = next(line for line in result.stdout.splitlines() if line.startswith("Why? "))
    command = shlex.split(hint.split("`")[1])
    assert command[:2] == ["ktlo", "explain"] and command[3:] == ["--db", str(cached)]
    explained = ktlo(*command[1:])
    assert explained.exit_code == 0 and "because" in explained.stdout
