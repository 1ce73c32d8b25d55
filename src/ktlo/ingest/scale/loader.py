"""The single writer's side: chunks staged, then written together in one transaction.

A transaction costs DuckDB a few milliseconds whatever it holds (statements, the commit),
which thousands of small repositories would pay one by one; so chunks that arrive close
together are staged and written as one: their rows concatenated per table, each
repository's new cursor, and `ingested_at` of those finished, all or nothing. A group is
written when it holds GROUP_COMMITS commits or GROUP_CHUNKS chunks, when its oldest chunk
has waited GROUP_SECONDS, and at the end. A run killed before a write loses only the
staged chunks, which the next run mines again (their repositories' cursors did not move).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ktlo.ingest.history import SOURCE
from ktlo.ingest.scale.mining import MinedChunk, TableBatch, concat
from ktlo.sources import git
from ktlo.store import Store

GROUP_COMMITS = 10_000  # bounds the writer's memory, with the chunks in flight
GROUP_CHUNKS = 500
GROUP_SECONDS = 1.0
REPOSITORY_COLUMNS = ["repo_id", "name", "path", "remote_url", "is_bare", "is_shallow"]


@dataclass(frozen=True, slots=True)
class Staged:
    """A chunk waiting to be written: its repository's path, the tips after it, if it is the last."""

    path: str
    chunk: MinedChunk
    tips: frozenset[str]
    last: bool


class Loader:
    """Stages chunks and writes them in groups (see the module's docstring)."""

    def __init__(self, store: Store, group_commits: int = GROUP_COMMITS) -> None:
        self.store = store
        self.group_commits = group_commits
        self.staged: list[Staged] = []
        self.commits = 0
        self.since = 0.0
        self.seconds = 0.0  # spent writing

    def stage(self, staged: Staged) -> None:
        if not self.staged:
            self.since = time.monotonic()
        self.staged.append(staged)
        self.commits += staged.chunk.commits

    def age(self) -> float:
        """Seconds the oldest staged chunk has waited (0 when none)."""
        return time.monotonic() - self.since if self.staged else 0.0

    def due(self) -> bool:
        return bool(self.staged) and (
            self.commits >= self.group_commits
            or len(self.staged) >= GROUP_CHUNKS
            or self.age() >= GROUP_SECONDS
        )

    def flush(self) -> list[Staged]:
        """Write everything staged in one transaction; what was written."""
        staged, self.staged, self.commits = self.staged, [], 0
        if not staged:
            return []
        started = time.perf_counter()
        with self.store.transaction():
            self._write(staged)
        self.seconds += time.perf_counter() - started
        return staged

    def _write(self, staged: list[Staged]) -> None:
        chunks = [s.chunk for s in staged]
        rows = [_repository_row(c.repo) for c in chunks if c.index == 0]
        self.store.upsert("repositories", REPOSITORY_COLUMNS, rows)
        for chunk in chunks:
            if chunk.tables and not chunk.plan.fresh:  # history was rewritten: some are stored
                ids = chunk.tables[0].column("item_id")
                for batch in chunk.tables:
                    self.store.replace(batch.table, "item_id", ids, batch.columns, [])
        by_table: dict[str, list[TableBatch]] = {}
        for chunk in chunks:
            for batch in chunk.tables:
                by_table.setdefault(batch.table, []).append(batch)
        for batches in by_table.values():
            batch = concat(batches)
            self.store.insert_columns(batch.table, batch.columns, batch.data)
        cursors = {
            s.chunk.repo.repo_id: {"tips": sorted(s.tips)}
            for s in staged
            if s.chunk.commits or s.chunk.issues.skipped
        }
        self.store.set_cursors(SOURCE, cursors)  # a repository's last chunk in the group wins
        finished = [s.chunk.repo.repo_id for s in staged if s.last]
        if finished:
            self.store.con.execute(
                "UPDATE repositories SET ingested_at = ? WHERE repo_id IN (SELECT unnest(?))",
                [datetime.now(UTC).replace(tzinfo=None), finished],
            )


def _repository_row(repo: git.Repository) -> tuple[object, ...]:
    return (repo.repo_id, repo.name, str(repo.path), repo.remote_url, repo.is_bare, repo.is_shallow)
