"""What a worker does for one repository: git, parsing and classification, and no store.

    mine(MineTask) -> MinedChunk

The first task of a repository plans its new history (`plan_history`: which commits
are not reachable from the stored tips, and into how many chunks to cut them) and mines
the oldest chunk; each further chunk is a task of its own, so a large history is spread
over several workers and shipped in pieces of bounded size. When HEAD no longer descends
from every stored tip (a rewritten history) the plan carries every commit HEAD reaches
instead; the writer deletes the stored commits not among them
(ktlo.ingest.history.forget_unreachable) and plans again from what is left. A chunk is a slice of one
`git log --topo-order --reverse` stream with the head pinned to a sha, so chunks never
overlap and, loaded in order, every prefix stays closed under ancestry (the cursor's rule).

Results travel as column-wise record batches: Arrow tables when pyarrow is installed
(the `scale` extra; the writer's DuckDB reads them in place, several times cheaper than
Python lists), else one list per column. `KTLO_WIRE=lists` forces the lists, for measuring.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ktlo.errors import RepositoryError
from ktlo.ingest.history import CommitRows, column_data
from ktlo.records import Commit
from ktlo.sources import git

CHUNK_MIN = 2000  # commits: below this, a chunk's fixed costs (git's walk, a transaction) show
CHUNK_MAX = 10000  # commits: bounds the memory of a worker and of each result in flight


@dataclass(frozen=True, slots=True)
class Plan:
    """A repository's new history: `pending` commits from `head`, not reachable from `exclude`."""

    head: str | None
    exclude: tuple[str, ...]  # the stored tips that still name commits here
    pending: int
    chunk: int  # commits per chunk
    fresh: bool  # every stored tip still exists, so none of the pending commits is stored yet
    # Set when stored commits may be cut off: every commit HEAD reaches (nothing is pending).
    reachable: tuple[str, ...] | None = None

    @property
    def chunks(self) -> int:
        return math.ceil(self.pending / self.chunk) if self.pending else 0

    def window(self, index: int) -> tuple[int, int]:
        """git's (skip, max-count) for chunk `index`, counted oldest first."""
        start = index * self.chunk
        end = min(self.pending, start + self.chunk)
        return self.pending - end, end - start


@dataclass(frozen=True, slots=True)
class MineTask:
    """One unit of work: plan and mine the first chunk, or mine chunk `index` of a plan."""

    path: str
    known_tips: tuple[str, ...] = ()  # the stored tips of `repo_id`
    repo_id: str | None = None  # whose tips they are (None: no stored repository at this path)
    split: int = 1  # aim for this many chunks in a large history (2 per worker)
    chunk: int | None = None  # commits per chunk, instead of choosing (tests, measurements)
    repo: git.Repository | None = None  # set for chunks after the first
    plan: Plan | None = None
    index: int = 0
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class TableBatch:
    """Rows for one table, column-wise: a pyarrow Table, or one list per column."""

    table: str
    columns: tuple[str, ...]
    data: Any
    rows: int

    def column(self, name: str) -> list[Any]:
        """One column's values as a list."""
        if hasattr(self.data, "column_names"):
            values: list[Any] = self.data.column(name).to_pylist()
            return values
        return list(self.data[self.columns.index(name)])


@dataclass(frozen=True, slots=True)
class MinedChunk:
    """A worker's answer: one chunk of a repository's new commits, classified, as record batches."""

    repo: git.Repository
    plan: Plan
    index: int
    commits: int
    tables: tuple[TableBatch, ...]
    heads: tuple[str, ...]  # commits of the chunk no commit of it names as a parent
    parents: tuple[str, ...]  # every parent its commits name
    seconds: float
    issues: git.ReadIssues = field(default_factory=git.ReadIssues)  # what git recorded oddly


def mine(task: MineTask) -> MinedChunk:
    """Read, parse and classify one chunk of a repository's new history (pure: no store)."""
    started = time.perf_counter()
    repo = task.repo or git.open_repository(Path(task.path))
    plan = task.plan or plan_history(repo, task.known_tips, task.split, task.chunk)
    if not plan.pending:
        return MinedChunk(repo, plan, 0, 0, (), (), (), time.perf_counter() - started)
    skip, limit = plan.window(task.index)
    issues = git.ReadIssues()
    reading = git.read_commits(
        repo, plan.exclude, head=plan.head, skip=skip, limit=limit, issues=issues
    )
    return _mined(repo, plan, task.index, reading, issues, limit, started)


def mine_first(stream: git.LogStream, repo: git.Repository, plan: Plan) -> MinedChunk:
    """Chunk 0 of `plan` from a `git log` of all of HEAD's history already running
    (ktlo.ingest.prefetch): the oldest chunk is the first `limit` commits of that stream, in the
    same order; git is stopped once they are read."""
    started = time.perf_counter()
    limit = plan.window(0)[1]
    issues = git.ReadIssues()
    reading = stream.commits(issues)
    try:
        return _mined(repo, plan, 0, _first(reading, limit, issues), issues, limit, started)
    finally:
        reading.close()


def _first(
    reading: Iterator[Commit], limit: int, issues: git.ReadIssues
) -> Generator[Commit, None, None]:
    """The first `limit` commits of `reading` (those git recorded oddly count too)."""
    taken = 0
    for commit in reading:
        if taken + issues.skipped >= limit:  # the first commit of the next chunk
            issues.skipped = limit - taken  # any skipped on the way were the next chunk's
            return
        taken += 1
        yield commit


def _mined(
    repo: git.Repository,
    plan: Plan,
    index: int,
    commits: Iterable[Commit],
    issues: git.ReadIssues,
    limit: int,
    started: float,
) -> MinedChunk:
    """Chunk `index`'s commits, classified as they arrive (while git computes the next
    diffs), as record batches."""
    rows = CommitRows(repo)
    shas: list[str] = []
    parents: set[str] = set()
    for commit in commits:
        rows.add(commit)
        shas.append(commit.sha)
        parents.update(commit.parents)
    if len(rows) + issues.skipped != limit:
        raise RepositoryError(
            f"the history of {repo.path} changed while it was read",
            "run the same command again",
        )
    tables = tuple(
        TableBatch(name, tuple(columns), column_data(columns, values), len(values[0]))
        for name, columns, values in rows.tables()
    )
    heads = tuple(sha for sha in shas if sha not in parents)
    return MinedChunk(
        repo, plan, index, len(rows), tables, heads, tuple(sorted(parents)),
        time.perf_counter() - started, issues,
    )  # fmt: skip


def plan_history(
    repo: git.Repository,
    known_tips: tuple[str, ...],
    split: int = 1,
    chunk: int | None = None,
    pending: int | None = None,
) -> Plan:
    """Count what is new since `known_tips` (unless `pending` says) and choose the chunk
    size (cheap: no diffs).

    When HEAD does not descend from every known tip, the plan has nothing pending and
    carries `reachable` instead: the writer must first forget what HEAD no longer reaches.
    """
    tips = tuple(dict.fromkeys(known_tips))
    if tips and tips != (repo.head,) and not git.descends_from(repo, tips):
        reachable = tuple(git.reachable_commits(repo))
        return Plan(repo.head, (), 0, chunk or CHUNK_MIN, False, reachable)
    if repo.head is None or repo.head in tips:
        return Plan(repo.head, tips, 0, chunk or CHUNK_MIN, True)
    if pending is None or pending < 0:
        pending = git.count_commits(repo, tips)
    if chunk is None:
        chunk = min(CHUNK_MAX, max(CHUNK_MIN, math.ceil(pending / max(split, 1))))
    return Plan(repo.head, tips, pending, chunk, True)


def concat(batches: list[TableBatch]) -> TableBatch:
    """One batch holding the rows of several batches of the same table."""
    first = batches[0]
    if len(batches) == 1:
        return first
    rows = sum(b.rows for b in batches)
    if all(hasattr(b.data, "column_names") for b in batches):
        arrow = importlib.import_module("pyarrow")  # the batches are Arrow: it is installed
        tables = [b.data for b in batches]
        return TableBatch(
            first.table, first.columns, arrow.concat_tables(tables, promote_options="default"), rows
        )
    data = [[v for b in batches for v in b.column(name)] for name in first.columns]
    return TableBatch(first.table, first.columns, data, rows)
