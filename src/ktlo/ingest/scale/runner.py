"""Many repositories at once: workers mine, this process alone writes the store.

    ingest_many(store, paths, engine, progress) -> RunSummary

1. Each repository's HEAD is read from its files and compared with the stored tips:
   an unchanged repository costs a few file reads and no task (a re-run over thousands
   of repositories takes seconds).
2. The others become tasks (`ktlo.ingest.scale.mining.mine`) on the engine's executor, at most
   `pool.slots` in flight, so the writer's memory does not grow with their number.
3. A repository whose HEAD no longer descends from its stored tips (a rewritten history, a
   reset backwards) comes back from its first task with every commit HEAD reaches; the
   writer deletes the stored commits not among them and mines it again from what is left.
4. Results are loaded as they complete, each chunk with the repository's new cursor in one
   transaction, a repository's chunks in order (a later one waits for its predecessor).
   A run stopped at any moment resumes where its cursors say; a result is loaded at most
   once, since a re-run of loaded work finds its tips already moved.

A task whose local worker process died is run again (up to MAX_ATTEMPTS); Dask re-runs a
dead worker's tasks itself. A repository that fails is reported with its path and reason,
and the others finish.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ktlo.errors import KtloError
from ktlo.ingest.history import SOURCE, boundary_moved, forget_unreachable
from ktlo.ingest.scale.discover import read_head
from ktlo.ingest.scale.executors import Engine, Pool
from ktlo.ingest.scale.loader import GROUP_COMMITS, GROUP_SECONDS, Loader, Staged
from ktlo.ingest.scale.mining import MinedChunk, MineTask, Plan, mine, mine_first, plan_history
from ktlo.ingest.scale.outcomes import NoProgress, RepoOutcome, RunProgress, RunSummary, run_json
from ktlo.ingest.scale.stream import stream_one
from ktlo.sources import git
from ktlo.store import Store

if TYPE_CHECKING:
    from ktlo.ingest.prefetch import Prefetch

__all__ = ["NoProgress", "RepoOutcome", "RunProgress", "RunSummary", "ingest_many", "run_json"]

MAX_ATTEMPTS = 3
MineFunction = Callable[[MineTask], MinedChunk]


def ingest_many(
    store: Store,
    paths: Sequence[Path],
    engine: Engine,
    progress: RunProgress | None = None,
    *,
    mine_fn: MineFunction = mine,
    chunk: int | None = None,
    group_commits: int = GROUP_COMMITS,
    early: Prefetch | None = None,
) -> RunSummary:
    """Mine `paths` on `engine` and load each result, classified, with its cursor.

    A lone repository is streamed in this process unless it is large (ktlo.ingest.scale.stream);
    `early` is its `git log`, started before the store was opened (ktlo.ingest.prefetch).
    `mine_fn` replaces the worker's function (tests); `chunk` fixes the commits per chunk;
    `group_commits` is how many commits a transaction gathers (ktlo.ingest.scale.loader).
    """
    started = time.perf_counter()
    run = _Run(store, progress or NoProgress(), mine_fn, chunk)
    run.loader.group_commits = group_commits
    run.progress.start(len(paths))
    if len(paths) == 1 and chunk is None and mine_fn is mine and not engine.is_dask:
        path = Path(paths[0])
        result = stream_one(store, path, engine.jobs, run.progress, early)
        if result is not None:
            outcome = RepoOutcome.streamed(path, result)
            run.progress.finished(outcome)
            seconds = time.perf_counter() - started
            return RunSummary((outcome,), seconds, "this process", 1, result.write_seconds)
    todo = iter(paths)
    if len(paths) == 1:  # plan here: a small history then needs no pool at all
        todo = iter(())
        if run.preplan(Path(paths[0]), engine.jobs, early) <= 1:
            engine = Engine(jobs=1)
    if early is not None and run.early is None:  # of no use: stop the git log started for it
        early.close()
    with engine.open() as pool:
        run.pool = pool
        run.fill(todo)  # the workers start on the later chunks ...
        run.mine_early()  # ... while this process reads the first from the early git log
        while run.fill(todo) or run.inflight:
            run.collect()
        run.flush()
    seconds = time.perf_counter() - started
    return RunSummary(
        tuple(run.outcomes), seconds, engine.describe(), pool.workers, run.loader.seconds
    )


@dataclass
class _Repo:
    """A repository being mined: its plan, its cursor so far, the chunks waiting their turn."""

    path: str
    repo: git.Repository | None = None
    plan: Plan | None = None
    tips: set[str] = field(default_factory=set)
    next_index: int = 0
    waiting: dict[int, MinedChunk] = field(default_factory=dict)
    new: int = 0
    removed: int = 0
    moved: bool = False  # its shallow boundary moved: everything stored was read again
    issues: git.ReadIssues = field(default_factory=git.ReadIssues)
    done: bool = False


class _Stored:
    """What the store knows of git repositories: path -> (repo_id, name), repo_id -> tips,
    and which were stored from a shallow clone."""

    def __init__(self, store: Store) -> None:
        rows = store.con.execute("SELECT path, repo_id, name FROM repositories").fetchall()
        self.by_path = {path: (repo_id, name) for path, repo_id, name in rows}
        cursors = store.con.execute(
            "SELECT scope, cursor FROM sync_state WHERE source = ?", [SOURCE]
        ).fetchall()
        self.tips = {scope: tuple(json.loads(c).get("tips", ())) for scope, c in cursors}
        shallow = store.con.execute("SELECT DISTINCT repo_id FROM commits WHERE is_boundary")
        self.shallow = {repo_id for (repo_id,) in shallow.fetchall()}


class _Run:
    def __init__(
        self, store: Store, progress: RunProgress, mine_fn: MineFunction, chunk: int | None
    ) -> None:
        self.store = store
        self.chunk = chunk
        self.progress = progress
        self.mine_fn = mine_fn
        self.stored = _Stored(store)
        self.pool: Pool
        self.repos: dict[str, _Repo] = {}
        self.claimed: dict[str, str] = {}  # repo_id -> the path mining it in this run
        self.ready: deque[MineTask] = deque()  # chunks of started repositories go first
        self.inflight: dict[Future[MinedChunk], MineTask] = {}
        self.outcomes: list[RepoOutcome] = []
        self.loader = Loader(store)
        self.early: tuple[Prefetch, MineTask] | None = None  # a first chunk to mine here

    # -- dispatch ------------------------------------------------------------------------------

    def preplan(self, path: Path, jobs: int, early: Prefetch | None = None) -> int:
        """Open and plan one repository here (its errors are raised); the number of chunks.

        `early` (ktlo.ingest.prefetch), a `git log` of all of HEAD's history already running for a
        repository with nothing stored, becomes its first chunk (`mine_early`). The history is
        cut into two chunks per worker; with an early log, into one per worker and one for
        this process, so that no chunk is left to run alone at the end (cargo, 23,077
        commits on two workers: 6.4 s against 6.9 s for four chunks, BENCHMARKS.md)."""
        fresh = early is not None and early.path == path
        repo = early.repo if early is not None and fresh else git.open_repository(path)
        tips = self.stored.tips.get(repo.repo_id, ())
        moved = bool(tips) and self._boundary_moved(repo)
        removed = 0
        if moved:  # a shallow clone deepened or cut: read all of it again
            removed, tips = self._forget(repo.repo_id, ())
        known = early.pending() if early is not None and fresh and not tips else None
        split = jobs + 1 if known is not None else 2 * jobs
        plan = plan_history(repo, tips, split, self.chunk, known)
        if plan.reachable is not None:
            removed, tips = self._forget(repo.repo_id, plan.reachable)
            plan = plan_history(repo, tips, split, self.chunk)
        state = self.repos[str(path)] = _Repo(
            str(path), repo, plan, set(tips), removed=removed, moved=moved
        )
        self.claimed[repo.repo_id] = state.path
        self.progress.planned(plan.pending)
        first = 0
        if early is not None and known is not None and plan.chunks > 1 and not plan.exclude:
            self.early, first = (early, MineTask(state.path, repo=repo, plan=plan)), 1
        self.ready.extend(
            MineTask(state.path, repo=repo, plan=plan, index=i)
            for i in range(first, max(plan.chunks, 1))
        )
        return plan.chunks

    def mine_early(self) -> None:
        """Mine the first chunk from the early `git log` here (see `preplan`)."""
        if self.early is None:
            return
        (early, task), self.early = self.early, None
        assert task.repo is not None and task.plan is not None
        try:
            chunk = mine_first(early.stream, task.repo, task.plan)
        except Exception as exc:
            self._fail(task.path, _reason(exc))
        else:
            self._accept(task, chunk)
        finally:
            early.close()

    def fill(self, todo: Iterable[Path]) -> bool:
        """Submit tasks until the pool has its fill; False when there is nothing left to submit."""
        todo = iter(todo)
        while len(self.inflight) < self.pool.slots:
            task = self._next_task(todo)
            if task is None:
                return False
            try:
                future = self.pool.submit(self.mine_fn, task)
            except BrokenExecutor:  # a worker died since the last result: its pool takes no more
                self.ready.appendleft(task)
                self._recover()
                continue
            self.inflight[future] = task
        return True

    def _next_task(self, todo: Iterable[Path]) -> MineTask | None:
        while self.ready:
            task = self.ready.popleft()
            if not self.repos[task.path].done:
                return task
        for path in todo:
            key = str(path)
            if key in self.repos:
                continue
            self.repos[key] = _Repo(key)
            stored = self.stored.by_path.get(str(Path(path).resolve()))
            tips = self.stored.tips.get(stored[0], ()) if stored else ()
            if stored and stored[0] not in self.stored.shallow and _head_is(path, tips):
                self._finish(self.repos[key], RepoOutcome(key, "unchanged", *stored))
                continue
            repo_id = stored[0] if stored else None
            return MineTask(key, tips, repo_id, 2 * self.pool.workers, self.chunk)
        return None

    # -- results -------------------------------------------------------------------------------

    def collect(self) -> None:
        """Wait for a result (or for staged chunks to be due) and load whatever can be loaded."""
        timeout = max(0.0, GROUP_SECONDS - self.loader.age()) if self.loader.staged else None
        done, _ = wait(self.inflight, timeout, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            task = self.inflight.pop(future)
            try:
                chunk = future.result()
            except BrokenExecutor:
                broken = True
                self._retry(task)
            except Exception as exc:
                self._fail(task.path, _reason(exc))
            else:
                self._accept(task, chunk)
        if broken:
            self._recover()
        if self.loader.due():
            self.flush()

    def _recover(self) -> None:
        """A worker died, so its executor fails every task on it: keep the results that came
        in, run the rest again on a new executor."""
        self.pool.restart()
        for future, task in list(self.inflight.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                self._accept(task, future.result())
            else:
                self._retry(task)
        self.inflight.clear()

    def flush(self) -> None:
        """Write the staged chunks; report them, and finish the repositories they complete."""
        for staged in self.loader.flush():
            self.progress.loaded(staged.chunk.commits)
            state = self.repos[staged.path]
            if staged.last and not state.done:
                repo = staged.chunk.repo
                status = "updated" if state.new or state.removed else "unchanged"
                outcome = RepoOutcome(state.path, status, repo.repo_id, repo.name, state.new)
                self._finish(state, replace(outcome, folder=repo.folder))

    def _retry(self, task: MineTask) -> None:
        if task.attempt >= MAX_ATTEMPTS:
            self._fail(task.path, f"its worker process died {task.attempt} times (out of memory?)")
        else:
            self.ready.appendleft(replace(task, attempt=task.attempt + 1))

    def _accept(self, task: MineTask, chunk: MinedChunk) -> None:
        state = self.repos[task.path]
        if state.done or chunk.index < state.next_index or chunk.index in state.waiting:
            return  # its repository failed meanwhile, or this chunk is already in hand
        if state.plan is None and not self._claim(state, task, chunk):
            return
        state.waiting[chunk.index] = chunk
        assert state.plan is not None
        while state.next_index in state.waiting:  # in order: every prefix closed under ancestry
            ready = state.waiting.pop(state.next_index)
            state.tips = (state.tips - set(ready.parents)) | set(ready.heads)
            state.new += ready.commits
            state.issues.add(ready.issues)
            state.next_index += 1
            last = state.next_index >= max(state.plan.chunks, 1)
            if last and state.plan.pending and state.plan.head:  # all of HEAD's history is in
                state.tips = {state.plan.head}
            self.loader.stage(Staged(state.path, ready, frozenset(state.tips), last))

    def _claim(self, state: _Repo, task: MineTask, chunk: MinedChunk) -> bool:
        """Adopt a repository's plan from its first chunk, unless mined with the wrong tips."""
        repo_id = chunk.repo.repo_id
        other = self.claimed.get(repo_id)
        if other is not None and other != state.path:
            outcome = RepoOutcome(state.path, "skipped", repo_id, chunk.repo.name)
            why = f"the same repository as {other}"
            if chunk.repo.folder:
                why += f", read once; its folder {chunk.repo.folder} is analysed too"
            self._finish(state, replace(outcome, error=why, folder=chunk.repo.folder))
            return False
        tips = self.stored.tips.get(repo_id, ())
        if task.repo_id != repo_id and set(tips) != set(task.known_tips):
            # the store knows this repository under another path: mine again from its tips
            self.ready.appendleft(MineTask(state.path, tips, repo_id, task.split, task.chunk))
            return False
        if tips and self._boundary_moved(chunk.repo):  # a shallow clone deepened or cut
            removed, tips = self._forget(repo_id, ())
            state.removed += removed
            state.moved = True
            self.ready.appendleft(MineTask(state.path, tips, repo_id, task.split, task.chunk))
            return False
        if chunk.plan.reachable is not None:  # HEAD moved off the stored history: forget, re-plan
            removed, tips = self._forget(repo_id, chunk.plan.reachable)
            state.removed += removed
            self.ready.appendleft(MineTask(state.path, tips, repo_id, task.split, task.chunk))
            return False
        self.claimed[repo_id] = state.path
        state.repo, state.plan, state.tips = chunk.repo, chunk.plan, set(tips)
        self.progress.planned(chunk.plan.pending)
        self.ready.extend(
            MineTask(state.path, repo=chunk.repo, plan=chunk.plan, index=i)
            for i in range(1, chunk.plan.chunks)
        )
        return True

    def _boundary_moved(self, repo: git.Repository) -> bool:
        """`boundary_moved`, asked of the store only for a repository stored from a shallow
        clone or shallow now (one query per repository is a scan of every stored commit)."""
        if repo.repo_id not in self.stored.shallow and not repo.shallow_boundary:
            return False
        return boundary_moved(self.store, repo)

    def _forget(self, repo_id: str, reachable: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
        """Delete the stored commits of `repo_id` not in `reachable`; how many, and the new tips."""
        with self.store.transaction():
            removed, heads = forget_unreachable(self.store, repo_id, reachable)
        self.stored.tips[repo_id] = tuple(heads)
        return removed, tuple(heads)

    def _fail(self, path: str, reason: str) -> None:
        state = self.repos[path]
        if not state.done:
            repo_id, name = (state.repo.repo_id, state.repo.name) if state.repo else (None, None)
            self._finish(state, RepoOutcome(path, "failed", repo_id, name, state.new, reason))

    def _finish(self, state: _Repo, outcome: RepoOutcome) -> None:
        outcome = replace(
            outcome, removed=state.removed, issues=state.issues if state.issues.total else None,
            boundary_moved=state.moved,
        )  # fmt: skip
        state.done = True  # and keep nothing else: the writer's memory stays flat
        state.waiting, state.tips, state.repo, state.plan = {}, set(), None, None
        self.outcomes.append(outcome)
        self.progress.finished(outcome)


def _head_is(path: Path, tips: Sequence[str]) -> bool:
    """HEAD is the only stored tip: nothing new, nothing cut off (read from files; False when
    unsure). With other tips beside HEAD, those were cut off: git must look. A shallow clone
    (a `shallow` file) is looked at too: its boundary may have moved under the same HEAD."""
    where = Path(path)
    if (where / ".git" / "shallow").exists() or (where / "shallow").exists():
        return False
    head = read_head(where) if tips else None
    return head is not None and set(tips) == {head}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KtloError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
