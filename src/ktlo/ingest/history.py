"""Load a git repository's history into the store, classified, in crash-safe batches.

Each batch of commits is written with its verdicts and the sync cursor in one
transaction. The cursor is the set of tips of everything stored so far; since git
streams parents before children, that set always describes exactly what is stored,
and the next run asks git only for what is not reachable from it.

The stored history follows the one that is there now. When HEAD descends from every
stored tip (the usual case, one cheap `git rev-list`) nothing stored was cut off. Otherwise
(a rewrite, a reset backwards, a force-push, a gc that removed a tip) the stored commits
HEAD no longer reaches are deleted with everything keyed on them (`forget_unreachable`),
and reading goes on from the tips of what is left.
"""

from __future__ import annotations

import functools
import importlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ktlo.classify import CLASSIFIER_VERSION, classify
from ktlo.classify.signals import is_bot
from ktlo.ingest.links import extract_refs
from ktlo.records import Commit, Verdict, WorkText
from ktlo.sources import git
from ktlo.store import Store

SOURCE = "git"
# A batch is written when it holds BATCH_SIZE commits or WRITE_EVERY seconds of reading,
# whichever comes first: a crash loses at most that much, a re-run resumes after the last
# batch, and a history read in under a second is one transaction (each costs its commit
# and DuckDB's per-statement work: on psf/requests, 6,489 commits, 13 batches took 201 ms
# of the main thread and one 72 ms).
BATCH_SIZE = 20_000
WRITE_EVERY = 1.0
# A batch is written early, from this size, when git has nothing more to give yet: the
# work is done while git computes, instead of after it ends (the last batch is the tail).
EAGER_BATCH = 500

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest run did."""

    repo: git.Repository
    new_commits: int
    total_commits: int
    removed: int = 0  # stored commits HEAD no longer reaches, deleted
    boundary_moved: bool = False  # a shallow clone deepened or cut: all of it read again
    issues: git.ReadIssues = field(default_factory=git.ReadIssues)
    write_seconds: float = 0.0  # in the store's transactions


def commit_item_id(repo_id: str, sha: str) -> str:
    """The store key of a commit: stable across runs and machines for the same remote."""
    return f"git:commit:{repo_id}:{sha}"


def pending_commits(store: Store, repo: git.Repository) -> int:
    """How many commits the next ingest will read (for a progress bar's total)."""
    if repo.head is None:
        return 0
    tips = stored_tips(store, repo.repo_id)
    return git.count_commits(repo, tips)


def ingest_repository(
    store: Store,
    repo: git.Repository,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    started: git.LogStream | None = None,
) -> IngestResult:
    """Read the commits not yet stored, classify them and store them batch by batch.

    `started` is a `git log` of HEAD's whole history started before the store was opened
    (ktlo.ingest.prefetch): used when nothing is stored yet, else stopped."""
    store.upsert(
        "repositories",
        ["repo_id", "name", "path", "remote_url", "is_bare", "is_shallow"],
        [(repo.repo_id, repo.name, str(repo.path), repo.remote_url, repo.is_bare, repo.is_shallow)],
    )
    exclude, removed, moved = follow_history(store, repo)
    if started is not None and (exclude or started.exclude or started.head != repo.head):
        started.close()
        started = None
    if started is None and repo.head is not None:
        started = git.LogStream(repo, sorted(exclude))
    issues = git.ReadIssues()
    new, written = 0, 0.0
    if started is not None:
        new, written = _store_stream(
            store, repo, started, set(exclude), issues, progress, batch_size
        )
    store.con.execute(
        "UPDATE repositories SET ingested_at = ? WHERE repo_id = ?", [_utcnow(), repo.repo_id]
    )
    total = store.con.execute(
        "SELECT count(*) FROM commits WHERE repo_id = ?", [repo.repo_id]
    ).fetchone()
    return IngestResult(repo, new, int(total[0]) if total else 0, removed, moved, issues, written)


def _store_stream(
    store: Store,
    repo: git.Repository,
    stream: git.LogStream,
    tips: set[str],
    issues: git.ReadIssues,
    progress: ProgressCallback | None,
    batch_size: int,
) -> tuple[int, float]:
    """Classify and store what `stream` reads, in batches, each with the tips after it;
    how many commits, and the seconds spent in transactions."""
    pending = CommitRows(repo)
    new, written = 0, 0.0
    due = time.monotonic() + WRITE_EVERY
    for commit in stream.commits(issues):
        pending.add(commit)  # classified now, while git computes the next diffs
        tips.difference_update(commit.parents)
        tips.add(commit.sha)
        if (
            len(pending) >= batch_size
            or (len(pending) >= EAGER_BATCH and stream.caught_up())
            or time.monotonic() >= due
        ):
            written += _write_batch(store, repo, pending, tips, progress)
            new += len(pending)
            pending = CommitRows(repo)
            due = time.monotonic() + WRITE_EVERY
    if pending or issues.skipped:  # all of HEAD's history is in: HEAD alone describes it
        written += _write_batch(store, repo, pending, {repo.head} if repo.head else tips, progress)
        new += len(pending)
    return new, written


def follow_history(store: Store, repo: git.Repository) -> tuple[list[str], int, bool]:
    """The stored tips to read on from, once stored commits HEAD no longer reaches are gone;
    how many were deleted; and whether all were, for a shallow boundary that moved
    (`boundary_moved`: then the whole history is read again)."""
    if boundary_moved(store, repo):
        with store.transaction():
            removed, _ = forget_unreachable(store, repo.repo_id, ())
        return [], removed, True
    tips = stored_tips(store, repo.repo_id)
    if not tips or tips == [repo.head] or git.descends_from(repo, tips):
        return tips, 0, False
    reachable = git.reachable_commits(repo)
    with store.transaction():
        removed, heads = forget_unreachable(store, repo.repo_id, reachable)
    return heads, removed, False


def boundary_moved(store: Store, repo: git.Repository) -> bool:
    """The clone's shallow boundary is not where the stored commits have it: deepened or
    unshallowed (a stored boundary commit now has its parents, and older history is there
    that the stored tips would exclude), or cut shallower (a stored commit is now a
    boundary). The stored commits no longer describe the history: all are read again."""
    row = store.con.execute(
        "SELECT count(*) FROM commits WHERE repo_id = $1 "
        "AND is_boundary <> list_contains($2::VARCHAR[], sha)",
        [repo.repo_id, sorted(repo.shallow_boundary)],
    ).fetchone()
    return bool(row and row[0])


# Where a commit's item_id is a key (overrides stay: a person's correction outlives a
# re-sync, and counts again if its commit comes back, say when HEAD moves forward again).
ITEM_TABLES = (
    ("work_items", "item_id"), ("commits", "item_id"), ("commit_files", "item_id"),
    ("verdicts", "item_id"), ("activities", "item_id"), ("state_changes", "item_id"),
    ("links", "from_id"),
)  # fmt: skip


def forget_unreachable(
    store: Store, repo_id: str, reachable: Sequence[str]
) -> tuple[int, list[str]]:
    """Delete `repo_id`'s stored commits that are not in `reachable`, with every row keyed on
    them, and make the tips of what is left the cursor (in a transaction).

    What is left is still closed under ancestry (stored ancestors of a reachable commit are
    reachable), so its tips, found from the stored parents, describe it exactly even when
    git no longer has the old tips.
    """
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ktlo_reachable AS SELECT unnest($1) AS sha", [list(reachable)]
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ktlo_gone AS SELECT item_id FROM commits "
        "WHERE repo_id = ? AND sha NOT IN (SELECT sha FROM ktlo_reachable)",
        [repo_id],
    )
    row = con.execute("SELECT count(*) FROM ktlo_gone").fetchone()
    removed = int(row[0]) if row else 0
    if removed:
        for table, key in ITEM_TABLES:
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT item_id FROM ktlo_gone)")
    heads = [
        sha
        for (sha,) in con.execute(
            """
            WITH kept AS (SELECT sha, parents FROM commits WHERE repo_id = ?)
            SELECT sha FROM kept
            WHERE sha NOT IN (SELECT unnest(parents) FROM kept) ORDER BY sha
            """,
            [repo_id],
        ).fetchall()
    ]
    con.execute("DROP TABLE ktlo_reachable")
    con.execute("DROP TABLE ktlo_gone")
    store.set_cursor(SOURCE, repo_id, {"tips": heads})
    return removed, heads


def commit_text(commit: Commit) -> WorkText:
    """What the classifier reads of a commit (reclassify reads the same from the store)."""
    counted = not commit.is_merge and commit.lines_known
    return WorkText(
        title=commit.title,
        body=commit.body,
        files=tuple(f.path for f in commit.files),
        author=f"{commit.author_name} {commit.author_email}",
        kind="commit",
        lines_added=sum(f.added or 0 for f in commit.files) if counted else None,
        lines_deleted=sum(f.deleted or 0 for f in commit.files) if counted else None,
    )


# A commit's size as the classifier reads it (NULL for merges and for items that are not
# commits), beside `commits c` joined on item_id: the same numbers commit_text() gives.
LINES_SQL = (
    "CASE WHEN c.is_merge THEN NULL ELSE c.lines_added END AS lines_added, "
    "CASE WHEN c.is_merge THEN NULL ELSE c.lines_deleted END AS lines_deleted"
)


def stored_tips(store: Store, repo_id: str) -> list[str]:
    """The tips of what the store holds of `repo_id` (its git cursor)."""
    cursor = store.get_cursor(SOURCE, repo_id)
    return list(cursor["tips"]) if cursor else []


def _write_batch(
    store: Store,
    repo: git.Repository,
    pending: CommitRows,
    tips: Iterable[str],
    progress: ProgressCallback | None,
) -> float:
    """Store a batch with the cursor after it, in one transaction; the seconds it took."""
    started = time.perf_counter()
    with store.transaction():
        _insert_tables(store, pending.tables())
        store.set_cursor(SOURCE, repo.repo_id, {"tips": sorted(tips)})
    seconds = time.perf_counter() - started
    if progress and pending:
        progress(len(pending))
    return seconds


def _insert_tables(store: Store, tables: list[TableColumns]) -> None:
    for table, columns, values in tables:
        store.insert_columns(table, columns, column_data(columns, values))


def column_data(columns: Sequence[str], values: list[list[Any]]) -> Any:
    """One list per column as DuckDB reads it fastest: a pyarrow Table when pyarrow is
    installed (DuckDB reads it in place, several times cheaper than Python lists), else
    the lists themselves. `KTLO_WIRE=lists` forces the lists, for measuring."""
    arrow = pyarrow()
    return arrow.table(dict(zip(columns, values, strict=True))) if arrow is not None else values


def pyarrow() -> Any:
    """The pyarrow module, or None (not installed, or KTLO_WIRE=lists)."""
    if os.environ.get("KTLO_WIRE", "arrow") == "lists":
        return None
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        return None


# A table's new values: its name, its columns, and one list of values per column.
TableColumns = tuple[str, list[str], list[list[Any]]]


class CommitRows:
    """Commits read and not yet stored, each classified and turned into its rows as it
    arrives: writing a batch is then only the insert, so the batch
    still to write when git ends (the tail of a first `ktlo analyze`) is short."""

    def __init__(self, repo: git.Repository) -> None:
        self.repo = repo
        self._prefix = commit_item_id(repo.repo_id, "")
        self.ids: list[str] = []
        self.verdicts: list[Verdict] = []
        self._items: list[tuple[object, ...]] = []
        self._rows: list[tuple[object, ...]] = []
        self._files: list[tuple[object, ...]] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, commit: Commit) -> None:
        """One commit, classified."""
        item_id = self._prefix + commit.sha
        self.ids.append(item_id)
        self.verdicts.append(classify(commit_text(commit)))
        _add_commit(self.repo, item_id, commit, self._items, self._rows, self._files)

    def tables(self) -> list[TableColumns]:
        """Each table's new values, one list per column."""
        return [
            ("work_items", WORK_ITEM_COLUMNS, _columns(self._items, WORK_ITEM_COLUMNS)),
            ("commits", COMMIT_COLUMNS, _columns(self._rows, COMMIT_COLUMNS)),
            ("commit_files", FILE_COLUMNS, _columns(self._files, FILE_COLUMNS)),
            ("verdicts", VERDICT_COLUMNS, verdict_columns(self.ids, self.verdicts)),
        ]


def _columns(rows: list[tuple[object, ...]], names: Sequence[str]) -> list[list[Any]]:
    return [list(values) for values in zip(*rows, strict=True)] or [[] for _ in names]


def _add_commit(
    repo: git.Repository, item_id: str, c: Commit, items: list[tuple[object, ...]],
    rows: list[tuple[object, ...]], files: list[tuple[object, ...]],
) -> None:  # fmt: skip
    """Append one commit's rows of work_items, commits and commit_files (merges: no files)."""
    title, _, body = c.message.partition("\n")  # Commit.title and Commit.body, split once
    authored = git.utc_naive(c.authored_at)
    items.append((
        item_id, SOURCE, "commit", repo.repo_id, c.sha, title.strip(), body.strip(),
        c.author_name, c.author_email, _is_bot(c.author_name, c.author_email), authored, [],
        None, extract_refs(c.message),
    ))  # fmt: skip
    merge = len(c.parents) > 1
    added = deleted = 0
    if not merge:
        for f in c.files:
            # a file git could not diff is not known to be binary (NOT NULL: false)
            files.append((
                item_id, f.path, f.old_path, f.added, f.deleted, f.added is None and c.lines_known
            ))  # fmt: skip
            added += f.added or 0
            deleted += f.deleted or 0
    # git could not read the diff: the counts are unknown (NULL), not 0
    lines = (added, deleted) if c.lines_known else (None, None)
    rows.append((
        item_id, repo.repo_id, c.sha, list(c.parents), authored,
        git.utc_offset_minutes(c.authored_at), c.committer_name, c.committer_email,
        git.utc_naive(c.committed_at), merge, c.sha in repo.shallow_boundary,
        0 if merge else len(c.files), *lines,
    ))  # fmt: skip


def save_verdicts(
    store: Store,
    item_ids: Sequence[str],
    verdicts: Sequence[Verdict],
    classifier: str = CLASSIFIER_VERSION,
) -> None:
    """Upsert verdicts with their reasons and which classifier decided them (in a transaction)."""
    store.replace(
        "verdicts",
        "item_id",
        item_ids,
        VERDICT_COLUMNS,
        verdict_rows(item_ids, verdicts, classifier),
    )


def verdict_rows(
    item_ids: Sequence[str], verdicts: Sequence[Verdict], classifier: str = CLASSIFIER_VERSION
) -> list[tuple[object, ...]]:
    """Rows of the verdicts table, in VERDICT_COLUMNS order."""
    return list(zip(*verdict_columns(item_ids, verdicts, classifier), strict=True))


def verdict_columns(
    item_ids: Sequence[str], verdicts: Sequence[Verdict], classifier: str = CLASSIFIER_VERSION
) -> list[list[Any]]:
    """The verdicts table's values, one list per column of VERDICT_COLUMNS."""
    n = len(item_ids)
    if len(verdicts) != n:
        raise ValueError(f"{n} item ids for {len(verdicts)} verdicts")
    return [
        list(item_ids),
        [v.investment for v in verdicts],
        [v.subcategory for v in verdicts],
        [v.confidence for v in verdicts],
        [[str(r) for r in v.reasons] for v in verdicts],
        [classifier] * n,
        [_utcnow()] * n,
    ]


VERDICT_COLUMNS = [
    "item_id", "investment", "subcategory", "confidence", "reasons", "classifier", "classified_at",
]  # fmt: skip
FILE_COLUMNS = ["item_id", "path", "old_path", "added", "deleted", "is_binary"]
WORK_ITEM_COLUMNS = [
    "item_id", "source", "kind", "repo_id", "external_id", "title", "body", "author_name",
    "author_email", "is_bot", "created_at", "labels", "issue_type", "refs",
]  # fmt: skip
COMMIT_COLUMNS = [
    "item_id", "repo_id", "sha", "parents", "authored_at", "author_utc_offset_minutes",
    "committer_name", "committer_email", "committed_at", "is_merge", "is_boundary",
    "files_changed", "lines_added", "lines_deleted",
]  # fmt: skip


_is_bot = functools.lru_cache(maxsize=4096)(is_bot)  # authors repeat: one check each


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
