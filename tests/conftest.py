"""Fixtures: real git repositories built commit by commit, and fresh stores."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ktlo.store import Store

DEMO_FILES = {"tests/test_demo.py", "tests/test_json_contracts.py"}  # the tests on the demo


def _group(nodeid: str) -> str:
    """Where a test runs on two processes: the demo's process, or its file's."""
    file = nodeid.split("::")[0]
    return "demo" if file in DEMO_FILES else file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """On two processes (`make test`: pytest-xdist `-n auto`), each file runs on one process,
    so that its module fixtures are built once, and every test on the demo on the same
    process, so that the session's demo is built once. (xdist's own `--dist loadgroup` cannot
    do this under pytest 9.2: it renames test ids through an attribute pytest no longer reads,
    pytest-dev/pytest-xdist#1386.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFileAndDemo(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    return ByFileAndDemo(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test on the demo is in DEMO_FILES; on xdist's workers, the files with slow or
    browser tests go first, so that no process is left alone with a long one at the end
    (`make test` keeps this order: --no-loadscope-reorder)."""
    stray = {i.nodeid.split("::")[0] for i in items if "demo" in getattr(i, "fixturenames", ())}
    if stray - DEMO_FILES:
        raise pytest.UsageError(
            f"add {sorted(stray - DEMO_FILES)} to DEMO_FILES in tests/conftest.py"
        )
    if not hasattr(config, "workerinput"):
        return
    slow = {
        _group(i.nodeid)
        for i in items
        if i.get_closest_marker("slow") or i.get_closest_marker("browser")
    }
    items.sort(key=lambda item: _group(item.nodeid) not in slow)  # stable: otherwise as collected


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo organisation (seed 7), built once for the whole run: its repositories, its
    exports, its store and its ktlo.toml. Tests read it, or run on it only what must leave
    it as it was (the README's pipeline again); a test that changes it works on a copy."""
    from ktlo.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out, seed=7)
    return out


ALICE = ("Alice Martin", "alice@example.com")
BOB = ("Bob Chen", "bob@example.com")
CAROL = ("Carol Diaz", "carol@example.com")
DEPENDABOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


@dataclass
class GitRepo:
    """A scratch repository with deterministic authors and dates."""

    path: Path
    shas: dict[str, str] = field(default_factory=dict)

    def git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.path), *args],
            check=True,
            capture_output=True,
            input=input,
            env={**os.environ, **GIT_TEST_ENV, **(env or {})},
        )
        return result.stdout.decode(errors="replace").strip()

    def commit(
        self,
        message: str | bytes,
        files: dict[str, str | bytes | None] | None = None,
        author: tuple[str, str] = ALICE,
        when: str = "2026-01-05T10:00:00+00:00",
        name: str | None = None,
    ) -> str:
        """Write (or delete, with None) files, then commit them as `author` at `when`."""
        for rel, content in (files or {}).items():
            target = self.path / rel
            if content is None:
                self.git("rm", "-q", rel)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode())
            self.git("add", rel)
        raw = message if isinstance(message, bytes) else message.encode()
        self.git("commit", "-q", "--allow-empty", "-F", "-", env=_who(author, when), input=raw)
        sha = self.git("rev-parse", "HEAD")
        if name:
            self.shas[name] = sha
        return sha


GIT_TEST_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _who(author: tuple[str, str], when: str) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": author[0],
        "GIT_COMMITTER_EMAIL": author[1],
        "GIT_COMMITTER_DATE": when,
    }


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[[str], GitRepo]:
    """Make an empty repository (on branch main) under tmp_path."""

    def make(name: str = "shop") -> GitRepo:
        path = tmp_path / name
        path.mkdir()
        repo = GitRepo(path)
        repo.git("init", "-q", "-b", "main")
        return repo

    return make


@pytest.fixture
def shop(new_repo: Callable[[str], GitRepo]) -> GitRepo:
    """A small history with every case the git source must handle.

    feature, bug fix, rename, binary file, non-UTF-8 message, dependabot bump,
    a branch merged with --no-ff, a revert, all with fixed authors and dates.
    """
    repo = new_repo("shop")
    repo.commit(
        "feat: add checkout service",
        {"src/checkout.py": "def total(cart):\n    return sum(cart)\n", "README.md": "# Shop\n"},
        ALICE, "2026-01-05T10:00:00+02:00", "feat",
    )  # fmt: skip
    repo.commit(
        "fix(checkout): handle empty cart",
        {"src/checkout.py": "def total(cart):\n    if not cart:\n        return 0\n    return sum(cart)\n"},
        BOB, "2026-01-10T09:30:00-05:00", "fix",
    )  # fmt: skip
    repo.git("mv", "src/checkout.py", "src/payments_checkout.py")
    repo.commit(
        "refactor: move checkout next to payments",
        author=ALICE,
        when="2026-02-03T12:00:00+00:00",
        name="rename",
    )
    repo.commit(
        "feat: show product photos",
        {"assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary"},
        CAROL,
        "2026-02-04T12:00:00+00:00",
        "binary",
    )
    repo.commit(
        "Fix caf\xe9 menu encoding crash".encode("latin-1"),
        {"src/menu.py": "MENU = ['cafe']\n"},
        CAROL, "2026-02-10T08:00:00+01:00", "latin1",
    )  # fmt: skip
    repo.commit(
        "Bump lodash from 4.17.20 to 4.17.21",
        {"package-lock.json": '{"lodash": "4.17.21"}\n'},
        DEPENDABOT, "2026-02-11T08:00:00+00:00", "dependabot",
    )  # fmt: skip
    repo.git("checkout", "-q", "-b", "export")
    repo.commit(
        "Add CSV export for invoices",
        {"src/export.py": "def export():\n    pass\n"},
        BOB,
        "2026-03-02T10:00:00+00:00",
        "export",
    )
    repo.git("checkout", "-q", "main")
    repo.commit(
        "docs: explain the checkout flow",
        {"docs/checkout.md": "Checkout\n"},
        ALICE,
        "2026-03-03T10:00:00+00:00",
        "docs",
    )
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'export'",
        "export",
        env=_who(ALICE, "2026-03-04T10:00:00+00:00"),
    )
    repo.shas["merge"] = repo.git("rev-parse", "HEAD")
    repo.git("revert", "--no-edit", repo.shas["docs"], env=_who(BOB, "2026-03-05T10:00:00+00:00"))
    repo.shas["revert"] = repo.git("rev-parse", "HEAD")
    return repo


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store in tmp_path."""
    with Store.open(tmp_path / "ktlo.duckdb") as opened:
        yield opened


MEASURED_ERROR = Path(__file__).parent / "fixtures" / "estimate" / "measured_error.json"


@pytest.fixture(autouse=True)
def _fixed_measured_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test reads the verdicts' error from a fixed hand-made measurement, so that the
    corrected shares they check do not move when the packaged one is regenerated."""
    monkeypatch.setenv("KTLO_MEASURED_ERROR", str(MEASURED_ERROR))


@pytest.fixture(autouse=True)
def _piped_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output goes to a pipe laid out at ktlo's piped width (100 columns) unless a test gives
    COLUMNS itself: whatever the shell exported, and on pytest-xdist's workers, which start
    with COLUMNS=80 and LINES=24."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
