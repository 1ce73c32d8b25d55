"""`ktlo init` writes a configuration from what the store holds (issue 17, item 2), so that
the next `ktlo sync`, `ktlo analyze` and `ktlo budget` work as they are."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ktlo.cli import main
from ktlo.config import load_config
from tests.conftest import ALICE, BOB, CAROL, GitRepo

DAN = ("Dan Ek", "dan@example.com")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KTLO_DB", raising=False)
    monkeypatch.delenv("KTLO_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def ktlo(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def commits(repo: GitRepo, people: list[tuple[str, str]], count: int = 8) -> None:
    for n in range(count):
        kind = "fix" if n % 3 else "feat"
        when = f"2026-0{n % 6 + 1}-{10 + n:02d}T10:00:00+00:00"
        repo.commit(
            f"{kind}: change {n}", {f"src/f{n}.py": f"{n}\n"}, people[n % len(people)], when
        )


def test_init_in_a_checkout_reads_the_store_analyze_made_and_the_next_sync_works(
    new_repo: Callable[[str], GitRepo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It wrote repositories = ["local:/work/…"], ignored analyze's store, and the next
    `ktlo sync` said "no sources to sync"."""
    repo = new_repo("shop")
    commits(repo, [ALICE, BOB])
    monkeypatch.chdir(repo.path)
    ktlo("analyze")
    init = ktlo("init")
    assert "Using the store " in init.stderr and "the one `ktlo analyze` made" in init.stderr
    text = (repo.path / "ktlo.toml").read_text()
    assert "local:" not in text
    data = tomllib.loads(text)
    assert data["git"]["repositories"] == ["."]
    assert [t["members"] for t in data["teams"]] == [["alice_martin", "bob_chen"]]
    assert "# [sources.github]" in text and "# [sources.jira]" in text
    synced = ktlo("sync")
    assert "1 updated (8 new commits)" in synced.stderr  # [git] "." into ./ktlo.duckdb
    budget = ktlo("budget")
    assert "shop" in budget.stdout  # the guessed team, named after its repository
    assert json.loads(ktlo("analyze", "--json").stdout)["totals"]["commits"] == 8


def test_init_guesses_teams_from_who_commits_where(
    new_repo: Callable[[str], GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pay, api, web = new_repo("payments"), new_repo("payments-api"), new_repo("web")
    commits(pay, [ALICE, BOB], 9)
    commits(api, [ALICE, BOB], 5)
    commits(web, [CAROL, DAN], 7)
    org = tmp_path / "org"
    org.mkdir()
    monkeypatch.chdir(org)
    ktlo("analyze", str(pay.path), str(api.path), str(web.path))
    ktlo("init")
    config = load_config(org / "ktlo.toml")
    teams = {t.name: (sorted(t.members), sorted(t.repositories)) for t in config.teams}
    assert teams == {
        "payments": (["alice_martin", "bob_chen"], ["payments", "payments-api"]),
        "web": (["carol_diaz", "dan_ek"], ["web"]),
    }
    assert sorted(config.git.repositories) == [str(r.path) for r in (pay, api, web)]
    assert config.people["alice_martin"].aliases == ["alice@example.com"]
    budget = ktlo("budget").stdout
    assert "payments" in budget and "web" in budget and "(no team)" not in budget


def test_init_proposes_merges_it_is_not_sure_of_and_refuses_to_overwrite(
    new_repo: Callable[[str], GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo("shop")
    ana = ("Ana Lima", "alima@acme.com")
    commits(repo, [ana, BOB])
    monkeypatch.chdir(tmp_path)
    ktlo("analyze", str(repo.path), "--db", "ktlo.duckdb")
    reviews = [{"submitted_at": "2026-02-04T11:00:00Z", "state": "approved", "reviewer": who}
               for who in ("ana", "ana_lima")]  # fmt: skip
    pull = {"id": "p1", "kind": "pull_request", "title": "Coupons", "author": "bob_chen",
            "created_at": "2026-02-04T10:00:00Z", "reviews": reviews}  # fmt: skip
    (tmp_path / "work_items.jsonl").write_text(json.dumps(pull) + "\n")
    ktlo("sync", "--from-file", "work_items.jsonl", "--source", "files")
    ktlo("init")
    text = (tmp_path / "ktlo.toml").read_text()
    people = tomllib.loads(text)["people"]
    assert "ana_lima" in people["ana_lima"]["aliases"]  # sure: the same name
    assert "bob_chen" in people["bob_chen"]["aliases"]
    assert people["ana"]["aliases"] == []  # a guess: kept apart, and said
    assert (
        "# maybe [people.ana_lima]: 'ana' is Ana Lima's first name — if so, move these aliases "
        "there and delete this table"
    ) in text
    refused = CliRunner().invoke(main, ["init"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: ktlo.toml already exists — pass --force")
    assert ktlo("init", "--force").stdout.startswith(
        "wrote ktlo.toml: 1 repository under [git], 1 team guessed, 3 people"
    )


def test_init_with_no_store_writes_examples_and_sync_says_what_to_uncomment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    init = ktlo("init")
    assert "no store at ./ktlo.duckdb" in init.stderr
    text = (tmp_path / "ktlo.toml").read_text()
    assert (
        "# [git]" in text and "# [sources.github]" in text and load_config(tmp_path / "ktlo.toml")
    )
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 1
    assert (
        "Error: no sources to sync — list [git] repositories or add a [sources.NAME]"
        in result.stderr
    )


def test_a_team_of_many_people_is_written_one_readable_line_at_a_time(
    new_repo: Callable[[str], GitRepo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open-source history (requests: 612 people) wrote them all on one 15,000-column line."""
    repo = new_repo("lib")
    for n in range(40):
        who = (f"Contributor Number{n}", f"c{n}@example.com")
        repo.commit(f"fix: change {n}", {f"src/f{n}.py": f"{n}\n"}, who,
                    f"2026-03-{n % 28 + 1:02d}T10:00:00+00:00")  # fmt: skip
    monkeypatch.chdir(repo.path)
    ktlo("analyze")
    ktlo("init")
    text = (repo.path / "ktlo.toml").read_text()
    wide = [line for line in text.splitlines() if len(line) > 100]
    assert all(" " not in line.lstrip("# ") for line in wide), wide  # only a path, kept whole
    members = tomllib.loads(text)["teams"][0]["members"]
    assert sorted(members) == sorted(f"contributor_number{n}" for n in range(40))
    assert "members = [  # 40 people" in text


def test_people_keys_drop_accents_and_a_name_in_another_script_takes_its_email(
    new_repo: Callable[[str], GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo("intl")
    people = [
        ("Jérémy Bethmont", "jb@example.com"),
        ("Łukasz Langa", "lukasz@example.com"),
        ("张伟", "zhang.wei@example.com"),
    ]
    commits(repo, people, 6)
    org = tmp_path / "org"
    org.mkdir()
    monkeypatch.chdir(org)
    ktlo("analyze", str(repo.path), "--db", "ktlo.duckdb")
    ktlo("init")
    config = load_config(org / "ktlo.toml")
    assert sorted(config.people) == ["jeremy_bethmont", "lukasz_langa", "zhang_wei"]
    assert config.people["zhang_wei"].name == "张伟"
    assert sorted(m for t in config.teams for m in t.members) == sorted(config.people)
