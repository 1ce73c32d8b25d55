"""Load a git repository's history into the store, classified, in crash-safe batches.

Each batch of commits is written with its verdicts and the sync cursor in one
transaction. The cursor is the set of tips of everything stored so far; since git
streams parents before children, that set always describes exactly what is stored,
and the next run asks git only for what is not reachable from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ktlo.classify import CLASSIFIER_VERSION, classify
from ktlo.classify.signals import is_bot
from ktlo.links import extract_refs
from ktlo.records import Commit, Verdict, WorkText
from ktlo.sources import git
from ktlo.store import Store

SOURCE = "git"
BATCH_SIZE = 2000

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest run did."""

    repo: git.Repository
    new_commits: int
    total_commits: int


def commit_item_id(repo_id: str, sha: str) -> str:
    """The store key of a commit: stable across runs and machines for the same remote."""
    return f"git:commit:{repo_id}:{sha}"


def pending_commits(store: Store, repo: git.Repository) -> int:
    """How many commits the next ingest will read (for a progress bar's total)."""
    if repo.head is None:
        return 0
    tips = _stored_tips(store, repo.repo_id)
    return git.count_commits(repo, tips)


def ingest_repository(
    store: Store,
    repo: git.Repository,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> IngestResult:
    """Read the commits not yet stored, classify them and store them batch by batch."""
    store.upsert(
        "repositories",
        ["repo_id", "name", "path", "remote_url", "is_bare", "is_shallow"],
        [(repo.repo_id, repo.name, str(repo.path), repo.remote_url, repo.is_bare, repo.is_shallow)],
    )
    tips = set(_stored_tips(store, repo.repo_id))
    batch: list[Commit] = []
    new = 0
    for commit in git.read_commits(repo, exclude=sorted(tips)):
        batch.append(commit)
        tips.difference_update(commit.parents)
        tips.add(commit.sha)
        if len(batch) >= batch_size:
            new += _write_batch(store, repo, batch, tips, progress)
            batch = []
    new += _write_batch(store, repo, batch, tips, progress)
    store.con.execute(
        "UPDATE repositories SET ingested_at = ? WHERE repo_id = ?", [_utcnow(), repo.repo_id]
    )
    total = store.con.execute(
        "SELECT count(*) FROM commits WHERE repo_id = ?", [repo.repo_id]
    ).fetchone()
    return IngestResult(repo, new, int(total[0]) if total else 0)


def commit_text(commit: Commit) -> WorkText:
    """What the classifier reads of a commit (reclassify reads the same from the store)."""
    counted = not commit.is_merge
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


def _stored_tips(store: Store, repo_id: str) -> list[str]:
    cursor = store.get_cursor(SOURCE, repo_id)
    return list(cursor["tips"]) if cursor else []


def _write_batch(
    store: Store,
    repo: git.Repository,
    commits: Sequence[Commit],
    tips: Iterable[str],
    progress: ProgressCallback | None,
) -> int:
    if not commits:
        return 0
    verdicts = [classify(commit_text(c)) for c in commits]
    with store.transaction():
        save_commits(store, repo, commits, verdicts)
        store.set_cursor(SOURCE, repo.repo_id, {"tips": sorted(tips)})
    if progress:
        progress(len(commits))
    return len(commits)


def save_commits(
    store: Store, repo: git.Repository, commits: Sequence[Commit], verdicts: Sequence[Verdict]
) -> None:
    """Store commits, their files and their verdicts, replacing any earlier copy (in a transaction)."""
    ids = [commit_item_id(repo.repo_id, c.sha) for c in commits]
    for table, columns, rows in commit_tables(repo, commits, verdicts):
        store.replace(table, "item_id", ids, columns, rows)


TableRows = tuple[str, list[str], list[tuple[object, ...]]]


def commit_tables(
    repo: git.Repository, commits: Sequence[Commit], verdicts: Sequence[Verdict]
) -> list[TableRows]:
    """The rows commits and their verdicts add to each table, keyed by item_id (no store)."""
    ids = [commit_item_id(repo.repo_id, c.sha) for c in commits]
    pairs = list(zip(ids, commits, strict=True))
    files: list[tuple[object, ...]] = [
        (item_id, f.path, f.old_path, f.added, f.deleted, f.binary)
        for item_id, c in pairs
        if not c.is_merge
        for f in c.files
    ]
    return [
        ("work_items", WORK_ITEM_COLUMNS, [_work_item_row(repo, i, c) for i, c in pairs]),
        ("commits", COMMIT_COLUMNS, [_commit_row(repo, i, c) for i, c in pairs]),
        ("commit_files", FILE_COLUMNS, files),
        ("verdicts", VERDICT_COLUMNS, verdict_rows(ids, verdicts)),
    ]


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
    now = _utcnow()
    return [
        (item_id, v.investment, v.subcategory, v.confidence, [str(r) for r in v.reasons],
         classifier, now)
        for item_id, v in zip(item_ids, verdicts, strict=True)
    ]  # fmt: skip


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


def _work_item_row(repo: git.Repository, item_id: str, c: Commit) -> tuple[object, ...]:
    return (
        item_id, SOURCE, "commit", repo.repo_id, c.sha, c.title, c.body, c.author_name,
        c.author_email, is_bot(c.author_name, c.author_email), git.utc_naive(c.authored_at),
        [], None, extract_refs(c.message),
    )  # fmt: skip


def _commit_row(repo: git.Repository, item_id: str, c: Commit) -> tuple[object, ...]:
    counted = not c.is_merge
    return (
        item_id, repo.repo_id, c.sha, list(c.parents), git.utc_naive(c.authored_at),
        git.utc_offset_minutes(c.authored_at), c.committer_name, c.committer_email,
        git.utc_naive(c.committed_at), c.is_merge, c.sha in repo.shallow_boundary,
        len(c.files) if counted else 0,
        sum(f.added or 0 for f in c.files) if counted else 0,
        sum(f.deleted or 0 for f in c.files) if counted else 0,
    )  # fmt: skip


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
