"""Repository ids agree across sources: commits (git remote) and API records (base URL) meet.

One rule for every source (`ktlo.sources.repo_ids`): host in lower case without user or
port, then the path without `.git`. A GitHub Enterprise or self-managed GitLab reached on a
port names the same repository as its git remote, whichever port or protocol that uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ktlo.ingest.history import ingest_repository
from ktlo.ingest.sync import sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.sources.git import normalise_remote, open_repository
from ktlo.sources.repo_ids import host_of, repo_id
from ktlo.store import Store
from tests import github_fake, gitlab_fake
from tests.conftest import GitRepo
from tests.fake_api import FakeTime

REMOTES = [
    "https://ghe.example.com:8443/acme/shop.git",
    "ssh://git@ghe.example.com:2222/acme/shop.git",
    "git@GHE.example.com:acme/shop.git",
    "https://ghe.example.com/acme/shop",
]


def _ids(store: Store, table: str) -> list[str]:
    rows = store.con.execute(f"SELECT DISTINCT repo_id FROM {table} ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def _commits(store: Store, new_repo: Callable[[str], GitRepo], remote: str) -> None:
    repo = new_repo("shop")
    repo.commit("fix: empty cart total", {"src/checkout.py": "x = 1\n"})
    repo.git("remote", "add", "origin", remote)
    ingest_repository(store, open_repository(repo.path))


@pytest.mark.parametrize("remote", REMOTES)
def test_github_enterprise_on_a_port_meets_its_git_remote(
    store: Store, new_repo: Callable[[str], GitRepo], remote: str
) -> None:
    _commits(store, new_repo, remote)
    fake = github_fake.FakeGitHub(base="https://ghe.example.com:8443/api/v3")
    options: dict[str, Any] = {"repos": ["acme/shop"], "include": ["issues", "pull_requests"],
                               "base_url": "https://ghe.example.com:8443/api/v3"}  # fmt: skip
    ctx = SourceContext(
        "github", {"GITHUB_TOKEN": github_fake.TOKEN}, httpx2.MockTransport(fake.handle),
        **FakeTime().seams(),
    )  # fmt: skip
    assert sync_source(store, make_source(ctx, options), NullReporter()).errors == 0
    assert _ids(store, "commits") == _ids(store, "work_items") == ["ghe.example.com/acme/shop"]


def test_self_managed_gitlab_on_a_port_meets_its_git_remote(
    store: Store, new_repo: Callable[[str], GitRepo]
) -> None:
    _commits(store, new_repo, "ssh://git@gitlab.example.com:2222/acme/shop.git")
    fake = gitlab_fake.FakeGitLab(base="https://gitlab.example.com:8443")
    options = {"projects": ["acme/shop"], "include": ["issues"], "details": False,
               "base_url": "https://gitlab.example.com:8443"}  # fmt: skip
    ctx = SourceContext(
        "gitlab", {"GITLAB_TOKEN": gitlab_fake.TOKEN}, httpx2.MockTransport(fake.handle),
        **FakeTime().seams(),
    )  # fmt: skip
    assert sync_source(store, make_source(ctx, options), NullReporter()).errors == 0
    assert _ids(store, "commits") == _ids(store, "work_items") == ["gitlab.example.com/acme/shop"]


def test_saved_answers_with_a_port_in_their_urls_name_the_repository_alike(
    store: Store, tmp_path: Path
) -> None:
    issue = {**github_fake.fixture("issues.json")[0],
             "html_url": "https://ghe.example.com:8443/acme/shop/issues/1"}  # fmt: skip
    saved = tmp_path / "issues.json"
    saved.write_text(json.dumps([issue]))
    source = make_source(SourceContext("github", {}), {})
    assert sync_source(store, source, NullReporter(), saved).errors == 0
    mr = {**gitlab_fake.fixture("merge_requests.json")[0],
          "web_url": "https://gitlab.example.com:8443/acme/shop/-/merge_requests/1"}  # fmt: skip
    saved.write_text(json.dumps([mr]))
    source = make_source(SourceContext("gitlab", {}), {})
    assert sync_source(store, source, NullReporter(), saved).errors == 0
    assert _ids(store, "work_items") == [
        "ghe.example.com/acme/shop",
        "gitlab.example.com/acme/shop",
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://GHE.example.com:8443/api/v3", "ghe.example.com"),
        ("user@host.example.com:22", "host.example.com"),
        ("https://[::1]:8443/x", "[::1]"),
        ("gitlab.example.com", "gitlab.example.com"),
    ],
)
def test_host_of_drops_scheme_user_and_port(given: str, expected: str) -> None:
    assert host_of(given) == expected


def test_one_rule_for_remotes_and_api_names() -> None:
    assert {normalise_remote(r) for r in REMOTES} == {repo_id("ghe.example.com:8443", "acme/shop")}
    assert repo_id("https://example.com:8443", "/gitlab/group/app.git/") == (
        "example.com/gitlab/group/app"
    )
