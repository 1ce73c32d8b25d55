"""`ktlo analyze REPO` with no store yet starts git before the rest of ktlo loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ktlo.ingest.scale.mining
import ktlo.ingest.scale.stream
from ktlo.ingest.history import ingest_repository
from ktlo.ingest.prefetch import prefetch
from ktlo.ingest.scale.executors import Engine
from ktlo.ingest.scale.runner import ingest_many
from ktlo.sources.git import open_repository
from ktlo.store import Store
from tests.synthetic import build_repo
from tests.test_git_history import snapshot


def test_what_runs_before_git_starts_loads_no_heavy_library() -> None:
    code = (
        "import sys, ktlo.cli, ktlo.ingest.prefetch; "
        "print(sorted(m for m in ('duckdb', 'pydantic', 'pyarrow', 'rich', 'ktlo.classify', "
        "'ktlo.config') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_existing_store_starts_nothing_early(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "shop", 5)
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest_repository(store, open_repository(repo))
    assert prefetch(repo, db) is None  # its cursor decides what to read


def test_the_early_log_feeds_the_stream(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "shop", 30)
    early = prefetch(repo, tmp_path / "s.duckdb")
    assert early is not None and early.pending() == 30
    with Store.open(early.store) as store:
        run = ingest_many(store, [repo], Engine(jobs=2), early=early)
        assert (run.engine, run.new_commits) == ("this process", 30)
        streamed = snapshot(store)
    with Store.open(tmp_path / "plain.duckdb") as plain:
        ingest_repository(plain, open_repository(repo))
        assert snapshot(plain) == streamed


def test_a_large_history_reads_its_first_chunk_from_the_early_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ktlo.ingest.scale.stream, "STREAM_MAX", 20)  # "large" from 20 commits
    monkeypatch.setattr(ktlo.ingest.scale.mining, "CHUNK_MIN", 10)
    repo = build_repo(tmp_path / "big", 60)
    early = prefetch(repo, tmp_path / "s.duckdb")
    assert early is not None
    with Store.open(early.store) as store:
        run = ingest_many(store, [repo], Engine(jobs=2), early=early)
        assert (run.engine, run.new_commits) == ("2 local processes", 60)
        chunked = snapshot(store)
    with Store.open(tmp_path / "plain.duckdb") as plain:
        ingest_repository(plain, open_repository(repo))
        assert snapshot(plain) == chunked
