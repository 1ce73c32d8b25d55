"""Many repositories at once: local processes and Dask give the serial ingest's store exactly."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.ingest.history import ingest_repository
from ktlo.ingest.scale.discover import find_repositories, read_head
from ktlo.ingest.scale.executors import Engine, Pool
from ktlo.ingest.scale.runner import ingest_many
from ktlo.metrics.repository import AnalyzeOptions, analyze
from ktlo.sources.git import open_repository
from ktlo.store import Store
from tests.conftest import BOB, GitRepo
from tests.scale_workers import die_once, never_called
from tests.synthetic import build_branchy_repo, build_repo


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A branchy history (merge, rename, binary, Latin-1) and three linear ones; read-only."""
    base = tmp_path_factory.mktemp("repos")
    sizes = enumerate((40, 7, 25))
    return [build_branchy_repo(base / "branchy")] + [
        build_repo(base / f"svc{i}", n) for i, n in sizes
    ]


def snapshot(store: Store) -> list[tuple[object, ...]]:
    """Everything ingest writes, in a stable order (classification time aside)."""
    queries = (
        "SELECT w.*, c.*, v.investment, v.subcategory, v.confidence, v.reasons, v.classifier "
        "FROM work_items w JOIN commits c USING (item_id) JOIN verdicts v USING (item_id) "
        "ORDER BY item_id",
        "SELECT * FROM commit_files ORDER BY item_id, path",
        "SELECT scope, cursor FROM sync_state ORDER BY scope",
        "SELECT repo_id, name, path, remote_url, is_bare, is_shallow FROM repositories ORDER BY 1",
    )
    return [row for q in queries for row in store.con.execute(q).fetchall()]


@pytest.fixture(scope="module")
def expected(
    repos: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[object, ...]]:
    """What the serial ingest stores for `repos`."""
    with Store.open(tmp_path_factory.mktemp("serial") / "serial.duckdb") as serial:
        for path in repos:
            ingest_repository(serial, open_repository(path))
        return snapshot(serial)


def no_duplicates(store: Store) -> bool:
    return all(
        store.con.execute(f"SELECT count(*) = count(DISTINCT {key}) FROM {table}").fetchone()
        == (True,)
        for table, key in (
            ("work_items", "item_id"),
            ("commits", "item_id"),
            ("verdicts", "item_id"),
        )
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_parallel_ingest_stores_what_the_serial_ingest_stores(
    repos: list[Path], expected: list[tuple[object, ...]], store: Store, jobs: int
) -> None:
    run = ingest_many(store, repos, Engine(jobs=jobs), chunk=5)  # the merge in the second chunk
    assert [o.status for o in run.outcomes] == ["updated"] * 4
    assert run.new_commits == 7 + 40 + 7 + 25
    assert snapshot(store) == expected


def test_without_pyarrow_workers_ship_column_lists(
    repos: list[Path],
    expected: list[tuple[object, ...]],
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KTLO_WIRE", "lists")  # as if pyarrow were not installed
    ingest_many(store, repos, Engine(jobs=1), chunk=5)
    assert snapshot(store) == expected


def test_unchanged_repositories_are_not_dispatched(repos: list[Path], store: Store) -> None:
    ingest_many(store, repos, Engine(jobs=2))
    again = ingest_many(store, repos, Engine(jobs=2), mine_fn=never_called)
    assert [o.status for o in again.outcomes] == ["unchanged"] * 4
    assert again.new_commits == 0


def test_a_rerun_mines_only_what_moved(shop: GitRepo, repos: list[Path], store: Store) -> None:
    both = [shop.path, repos[1]]
    ingest_many(store, both, Engine(jobs=2))
    shop.commit(
        "fix: round totals", {"src/menu.py": "MENU = []\n"}, BOB, "2026-03-10T10:00:00+00:00"
    )
    again = ingest_many(store, both, Engine(jobs=2))
    assert {o.path: (o.status, o.new_commits) for o in again.outcomes} == {
        str(shop.path): ("updated", 1),
        str(repos[1]): ("unchanged", 0),
    }
    assert store.con.execute("SELECT count(*) FROM commits").fetchone() == (11 + 40,)


class Stop(Exception):
    pass


class StopAfterLoads:
    """Progress that interrupts the run after `n` chunks were loaded."""

    def __init__(self, n: int) -> None:
        self.left = n

    def start(self, repositories: int) -> None: ...

    def planned(self, commits: int) -> None: ...

    def finished(self, outcome: object) -> None: ...

    def loaded(self, commits: int) -> None:
        self.left -= 1
        if not self.left:
            raise Stop


def test_an_interrupted_run_resumes_to_the_same_store(
    repos: list[Path], expected: list[tuple[object, ...]], tmp_path: Path
) -> None:
    path = tmp_path / "interrupted.duckdb"
    with Store.open(path) as store, pytest.raises(Stop):
        ingest_many(store, repos, Engine(jobs=2), StopAfterLoads(3), chunk=5, group_commits=1)
    with Store.open(path) as store:
        assert 0 < store.con.execute("SELECT count(*) FROM commits").fetchone()[0] < 79
        ingest_many(store, repos, Engine(jobs=2), chunk=5)
        assert snapshot(store) == expected


def test_a_killed_worker_has_its_task_run_again(
    repos: list[Path], expected: list[tuple[object, ...]], store: Store, tmp_path: Path
) -> None:
    marker = tmp_path / "died"
    run = ingest_many(store, repos, Engine(jobs=2), mine_fn=partial(die_once, str(marker)), chunk=5)
    assert marker.exists()  # a worker did die
    assert [o.status for o in run.outcomes] == ["updated"] * 4
    assert no_duplicates(store)
    assert snapshot(store) == expected


def test_a_pool_that_broke_before_the_next_submit_is_restarted(
    repos: list[Path], expected: list[tuple[object, ...]], store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A worker can die after the last result was collected and before the next task is
    submitted: the executor then refuses the submit (BrokenProcessPool), which escaped the
    run under load. The run restarts the pool and loses nothing."""
    real, calls = Pool.submit, [0]

    def submit(self: Pool, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise BrokenProcessPool("a worker died since the last result")
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(Pool, "submit", submit)
    run = ingest_many(store, repos, Engine(jobs=2), chunk=5)
    assert calls[0] > 3
    assert [o.status for o in run.outcomes] == ["updated"] * 4
    assert no_duplicates(store)
    assert snapshot(store) == expected


def test_a_failing_repository_is_reported_and_the_others_finish(
    repos: list[Path], store: Store, tmp_path: Path
) -> None:
    broken = break_a_commit(build_repo(tmp_path / "broken", 5))
    run = ingest_many(store, [*repos, broken, tmp_path / "missing"], Engine(jobs=2))
    failed = {o.path: o.error for o in run.failures}
    assert set(failed) == {str(broken), str(tmp_path / "missing")}
    assert "does not exist" in failed[str(tmp_path / "missing")]
    assert "git" in str(failed[str(broken)])
    assert run.count("updated") == 4


def break_a_commit(repo: Path) -> Path:
    """Unpack the objects and delete one commit: git cannot walk the history past it (a
    missing blob is read past: tests/test_git_history.py)."""
    objects = repo / ".git" / "objects"
    for pack in (objects / "pack").glob("*.pack"):
        data = pack.read_bytes()
        pack.unlink()
        pack.with_suffix(".idx").unlink()
        subprocess.run(["git", "-C", str(repo), "unpack-objects", "-q"], input=data, check=True)
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD~2"], check=True, capture_output=True, text=True
    ).stdout.strip()
    (objects / commit[:2] / commit[2:]).unlink()
    return repo


def test_the_cli_reports_failures_with_a_failing_exit_status(
    repos: list[Path], tmp_path: Path
) -> None:
    db = str(tmp_path / "cli.duckdb")
    args = ["analyze", *map(str, repos), str(tmp_path / "missing"), "--db", db, "--json", "-j", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["repository"] is None
    assert len(doc["repositories"]) == 4
    assert doc["totals"]["commits"] == 6 + 40 + 7 + 25  # merges not counted
    assert doc["ingest"]["failed"] == [
        {
            "path": str(tmp_path / "missing"),
            "reason": f"{tmp_path / 'missing'} does not exist — check the path to the repository",
        }
    ]
    assert f"Error: {tmp_path / 'missing'}: " in result.stderr
    assert "Mined 5 repositories with 2 local processes" in result.stderr


def test_recursive_finds_clones_and_bare_repositories(repos: list[Path], tmp_path: Path) -> None:
    nest = tmp_path / "org"
    (nest / "team").mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", str(repos[1]), str(nest / "team" / "svc")], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(repos[2]), str(nest / "b.git")], check=True)
    (nest / ".hidden").mkdir()
    (nest / "notes").mkdir()
    assert find_repositories([nest], recursive=True) == [nest / "b.git", nest / "team" / "svc"]
    result = CliRunner().invoke(
        main, ["analyze", str(nest), "-r", "--db", str(tmp_path / "r.duckdb"), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ingest"]["updated"] == 2


def test_read_head_follows_refs_and_packed_refs(shop: GitRepo, tmp_path: Path) -> None:
    head = shop.git("rev-parse", "HEAD")
    assert read_head(shop.path) == head
    shop.git("pack-refs", "--all")
    assert read_head(shop.path) == head
    shop.git("checkout", "-q", "--detach", shop.shas["fix"])
    assert read_head(shop.path) == shop.shas["fix"]
    shop.git("worktree", "add", "-q", str(tmp_path / "wt"), "main")
    assert read_head(tmp_path / "wt") == head
    assert read_head(tmp_path) is None


def test_analysis_over_several_repositories(repos: list[Path], store: Store) -> None:
    run = ingest_many(store, repos, Engine(jobs=1))
    both = analyze(store, AnalyzeOptions(repositories=run.repo_ids[:2]))
    one = analyze(store, AnalyzeOptions(run.repo_ids[0]))
    every = analyze(store, AnalyzeOptions())
    assert both.repository is None
    assert [r.commits for r in one.repositories] == [one.totals.commits]
    assert one.repository is not None and one.repository.repo_id == run.repo_ids[0]
    assert both.totals.commits == sum(r.commits for r in both.repositories) == 46
    assert every.totals.commits == 78


def test_config_repositories_are_mined_by_analyze_and_sync(
    repos: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ktlo.toml").write_text(
        f'[git]\nrepositories = ["{repos[0]}", "{repos[1].parent}/svc*"]\njobs = 2\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["sync", "git"])
    assert result.exit_code == 0, result.stderr
    assert "Mined 4 repositories with 2 local processes" in result.stderr
    result = CliRunner().invoke(main, ["analyze", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ingest"]["unchanged"] == 4


# -- Dask ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A LocalCluster of two single-threaded worker processes on 127.0.0.1."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster:
        yield "dask://" + cluster.scheduler_address.removeprefix("tcp://")


def test_dask_stores_what_local_processes_store(
    repos: list[Path], expected: list[tuple[object, ...]], store: Store, dask_address: str
) -> None:
    run = ingest_many(store, repos, Engine.parse(dask_address, None), chunk=5)
    assert run.engine == dask_address and run.workers == 2
    assert snapshot(store) == expected


def test_dask_reruns_the_task_of_a_worker_that_died(
    repos: list[Path], expected: list[tuple[object, ...]], store: Store, dask_address: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    marker = tmp_path / "died"
    engine = Engine.parse(dask_address, None)
    run = ingest_many(store, repos, engine, mine_fn=partial(die_once, str(marker)), chunk=5)
    assert marker.exists()
    assert [o.status for o in run.outcomes] == ["updated"] * 4
    assert no_duplicates(store)
    assert snapshot(store) == expected


# -- every repository of an organisation (GitHub) or group (GitLab) -------------------------------


def _listing(pages: dict[str, tuple[list[dict[str, object]], dict[str, str]]], asked: list[str]):  # type: ignore[no-untyped-def]
    """A fake API: listing pages by (decoded) path and page number, an empty list for anything else."""
    import httpx2

    def handle(request: httpx2.Request) -> httpx2.Response:
        key = f"{request.url.path}?page={request.url.params.get('page', '1')}"
        asked.append(key)
        body, headers = pages.get(key, ([], {}))
        return httpx2.Response(200, json=body, headers=headers)

    return httpx2.MockTransport(handle)


def test_github_orgs_sync_every_repository_of_the_organisation(store: Store) -> None:
    from ktlo.ingest.sync import sync_source
    from ktlo.sources import make_source
    from ktlo.sources.base import NullReporter, SourceContext

    next_link = {"Link": '<https://api.github.com/orgs/acme/repos?page=2>; rel="next"'}
    pages = {
        "/orgs/acme/repos?page=1": (
            [{"full_name": "acme/shop"}, {"full_name": "acme/api"}],
            next_link,
        ),
        "/orgs/acme/repos?page=2": ([{"full_name": "acme/old", "archived": True}], {}),
    }
    asked: list[str] = []
    ctx = SourceContext("github", {"GITHUB_TOKEN": "t"}, _listing(pages, asked))
    source = make_source(ctx, {"orgs": ["acme"], "repos": ["acme/shop"], "include": ["releases"]})
    assert sync_source(store, source, NullReporter()).errors == 0
    assert [a for a in asked if a.endswith("/releases?page=1")] == [
        "/repos/acme/shop/releases?page=1",
        "/repos/acme/api/releases?page=1",
    ]


def test_gitlab_groups_sync_every_project_of_the_group(store: Store) -> None:
    from ktlo.ingest.sync import sync_source
    from ktlo.sources import make_source
    from ktlo.sources.base import NullReporter, SourceContext

    pages = {
        "/api/v4/groups/acme/web/projects?page=1": (
            [{"path_with_namespace": "acme/web/shop"}],
            {"X-Next-Page": "2"},
        ),
        "/api/v4/groups/acme/web/projects?page=2": (
            [{"path_with_namespace": "acme/web/cms"}],
            {},
        ),
    }
    asked: list[str] = []
    ctx = SourceContext("gitlab", {"GITLAB_TOKEN": "t"}, _listing(pages, asked))
    source = make_source(ctx, {"groups": ["acme/web"], "include": ["deployments"]})
    assert sync_source(store, source, NullReporter()).errors == 0
    projects = [a.split("/deployments")[0] for a in asked if "/deployments" in a]
    assert list(dict.fromkeys(projects)) == [
        "/api/v4/projects/acme/web/shop",
        "/api/v4/projects/acme/web/cms",
    ]


@pytest.mark.slow
def test_workers_exit_when_the_writer_is_killed(tmp_path: Path) -> None:
    """`kill -9` of ktlo leaves no worker waiting for work forever."""
    import os
    import signal
    import sys
    import time

    import psutil

    repos = [str(build_repo(tmp_path / name, 3000)) for name in ("a", "b")]  # a pool of two starts
    cmd = [sys.executable, "-m", "ktlo", "analyze", *repos, "--db", str(tmp_path / "k.duckdb")]
    proc = subprocess.Popen(
        [*cmd, "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    writer = psutil.Process(proc.pid)
    deadline = time.monotonic() + 30
    workers: list[psutil.Process] = []
    try:
        while len(workers) < 3 and time.monotonic() < deadline:  # the forkserver and two workers
            time.sleep(0.05)
            workers = _python_children(writer)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(workers) >= 3
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive


def _python_children(writer: Any) -> list[Any]:
    """The Python processes under `writer` (a psutil.Process); a child that ended between
    being listed and being named (a short git command) is none of them."""
    import psutil

    found = []
    for child in writer.children(recursive=True):
        try:
            if "python" in child.name():
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_progress_shows_repositories_and_commits_with_time_left(
    repos: list[Path], store: Store
) -> None:
    from io import StringIO

    from rich.console import Console

    from ktlo.render.mining import ScaleProgress

    out = StringIO()
    with ScaleProgress(Console(file=out, force_terminal=True, width=100)) as progress:
        ingest_many(store, repos, Engine(jobs=1), progress)
    text = out.getvalue()
    assert "Repositories" in text and "4/4" in text
    assert "Commits" in text and "79/79" in text
    assert "left" in text


def test_an_unknown_executor_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["analyze", str(tmp_path), "--executor", "spark://x:7077", "--db", str(tmp_path / "d")],
    )
    assert result.exit_code == 1
    assert "unknown executor 'spark://x:7077'" in result.stderr
