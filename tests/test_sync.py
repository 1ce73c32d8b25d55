"""Syncing as a whole: crash safety (in-process at every step, and kill -9), the CLI, secrets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from ktlo.cli import main
from ktlo.ingest.load import load_batch
from ktlo.ingest.sync import sync_source
from ktlo.records import WorkItem
from ktlo.sources import make_source
from ktlo.sources.base import Batch, NullReporter, SourceContext
from ktlo.store import Store
from tests.fake_api import snapshot
from tests.github_fake import TOKEN, FakeGitHub, with_many_issues

OPTIONS = {"repos": ["acme/shop"], "per_page": 2}


class Crash(BaseException):
    """Stands for the process dying: not an error ktlo handles."""


def sync(store: Store, fake: FakeGitHub, **options: Any) -> Any:
    ctx = SourceContext(
        "github", {"GITHUB_TOKEN": TOKEN}, httpx2.MockTransport(fake.handle), sleep=lambda s: None
    )
    return sync_source(store, make_source(ctx, {**OPTIONS, **options}), NullReporter())


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with Store.open(tmp_path_factory.mktemp("clean") / "clean.duckdb") as store:
        fake = FakeGitHub()
        sync(store, fake)
        return {"snapshot": snapshot(store), "requests": len(fake.requests)}


@pytest.mark.slow
def test_a_sync_interrupted_at_any_request_resumes_to_the_same_store(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    for crash_at in range(1, clean["requests"] + 1):
        fake = FakeGitHub()
        path = tmp_path / f"crash-{crash_at}.duckdb"

        def crash(_: str, counter: list[int] = [0], at: int = crash_at) -> None:  # noqa: B006
            counter[0] += 1
            if counter[0] == at:
                raise Crash

        fake.on_request = crash
        with Store.open(path) as store, pytest.raises(Crash):
            sync(store, fake, concurrency=1)
        fake.on_request = None
        with Store.open(path) as store:
            assert sync(store, fake).errors == 0
            assert snapshot(store) == clean["snapshot"], f"crashed at request {crash_at}"


def test_a_sync_interrupted_inside_a_transaction_resumes_to_the_same_store(
    tmp_path: Path, clean: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Store.replace
    writes = [0]

    def count(self: Store, *args: Any) -> None:
        writes[0] += 1
        original(self, *args)

    monkeypatch.setattr(Store, "replace", count)
    with Store.open(tmp_path / "count.duckdb") as store:
        sync(store, FakeGitHub())
    for crash_at in range(1, writes[0] + 1, 2):
        calls = [0]

        def replace(self: Store, *args: Any, at: int = crash_at, calls: list[int] = calls) -> None:
            calls[0] += 1
            if calls[0] == at:
                raise Crash
            original(self, *args)

        path = tmp_path / f"txn-{crash_at}.duckdb"
        monkeypatch.setattr(Store, "replace", replace)
        with Store.open(path) as store, pytest.raises(Crash):
            sync(store, FakeGitHub())
        monkeypatch.setattr(Store, "replace", original)
        with Store.open(path) as store:
            sync(store, FakeGitHub())
            assert snapshot(store) == clean["snapshot"], f"crashed at write {crash_at}"


def test_a_batch_holding_an_item_twice_stores_it_once(store: Store) -> None:
    first = WorkItem(key="t:issue:1", source="t", kind="issue", external_id="1", title="old")
    second = WorkItem(key="t:issue:1", source="t", kind="issue", external_id="1", title="new")
    load_batch(store, "t", Batch("t", {"n": 1}, work_items=(first, second)))
    assert store.con.execute("SELECT title FROM work_items").fetchall() == [("new",)]
    assert store.get_cursor("t", "t") == {"n": 1}


def serve(httpserver: HTTPServer, fake: FakeGitHub) -> str:
    fake.base = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/", method="GET").respond_with_data("")
    httpserver.clear()
    import re

    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.werkzeug_handler)
    return fake.base


def write_config(tmp_path: Path, base: str, **extra: str) -> Path:
    options = {"repos": '["acme/shop"]', "base_url": f'"{base}"', "per_page": "2", **extra}
    lines = ["[sources.github]"] + [f"{k} = {v}" for k, v in options.items()]
    config = tmp_path / "ktlo.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def test_ktlo_sync_command(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = serve(httpserver, FakeGitHub())
    config = write_config(tmp_path, base)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    db = tmp_path / "team.duckdb"
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "github" in result.stdout and "21" in result.stdout and "unchanged" in result.stdout
    again = CliRunner().invoke(main, ["sync", "github", "--config", str(config), "--db", str(db)])
    assert again.exit_code == 0
    row = [line for line in again.stdout.splitlines() if line.strip().startswith("github")][0]
    cells = [cell.strip() for cell in row.split("│")]
    assert cells[2:5] == ["0", "0", "5"]  # new, updated, unchanged (the windows' edges)


def test_ktlo_sync_reports_a_failed_source_and_exits_1(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = serve(httpserver, FakeGitHub())
    config = write_config(tmp_path, base)
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    result = CliRunner().invoke(
        main, ["sync", "--config", str(config), "--db", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "Error: github: the token in $GITHUB_TOKEN was rejected (401 Unauthorized) — set GITHUB_TOKEN"
        )
    )
    assert (
        CliRunner()
        .invoke(main, ["sync", "nope", "--config", str(config)])
        .stderr.startswith("Error: no source named 'nope' in ktlo.toml")
    )
    assert (
        "--from-file needs --source"
        in CliRunner()
        .invoke(main, ["sync", "--config", str(config), "--from-file", str(config)])
        .stderr
    )


def test_ktlo_sync_from_file_needs_no_token_or_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    saved = Path(__file__).parent / "fixtures" / "github" / "issues.json"
    result = CliRunner().invoke(main, ["sync", "--from-file", str(saved), "--source", "github"])
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "ktlo.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM work_items").fetchone() == (5,)


def test_the_token_never_reaches_the_store_logs_or_output(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    fake = FakeGitHub()
    fake.fail(
        "/repos/acme/shop/deployments",
        (
            403,
            {"Content-Type": "application/json"},
            f'{{"message": "no access for {TOKEN}"}}'.encode(),
        ),
    )
    base = serve(httpserver, fake)
    config = write_config(tmp_path, base)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    db = tmp_path / "secret.duckdb"
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--db", str(db)])
    assert result.exit_code == 1  # the 403 went through the error path
    assert any(
        h.get("authorization") == f"Bearer {TOKEN}" for h in fake.headers_seen
    )  # it was used
    assert TOKEN not in result.stdout + result.stderr
    assert caplog.records and TOKEN not in caplog.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_killed_sync_resumes_to_the_same_store(httpserver: HTTPServer, tmp_path: Path) -> None:
    """`kill -9` a real `python -m ktlo sync` half-way, run it again: the store of one clean run."""
    fake = with_many_issues(FakeGitHub(), 4000)
    base = serve(httpserver, fake)
    config = write_config(tmp_path, base, per_page="100", timeline="false")
    reached, release = threading.Event(), threading.Event()

    def block(path: str, seen: list[int] = [0]) -> None:  # noqa: B006
        if path.endswith("/issues"):
            seen[0] += 1
            if seen[0] == 30:  # page 30 of 41: one batch of 2,000 stored, the next pending
                reached.set()
                release.wait(10)

    fake.on_request = block
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    db = tmp_path / "killed.duckdb"
    cmd = [sys.executable, "-m", "ktlo", "sync", "--config", str(config), "--db", str(db)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert reached.wait(300), proc.communicate()[1].decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    finally:
        release.set()
    fake.on_request = None
    with Store.open(db) as killed:
        stored = killed.con.execute("SELECT count(*) FROM work_items").fetchone()
        assert stored is not None and 0 < stored[0] < 2504, (
            "kill -9 should leave part of the issues"
        )
    subprocess.run(cmd, env=env, check=True, capture_output=True)

    clean_fake = with_many_issues(FakeGitHub(base), 4000)
    with Store.open(tmp_path / "clean.duckdb") as clean:
        ctx = SourceContext(
            "github", {"GITHUB_TOKEN": TOKEN}, httpx2.MockTransport(clean_fake.handle)
        )
        options = {"repos": ["acme/shop"], "base_url": base, "per_page": 100, "timeline": False}
        assert sync_source(clean, make_source(ctx, options), NullReporter()).errors == 0
        expected = snapshot(clean)
    with Store.open(db) as resumed:
        assert snapshot(resumed) == expected
