"""A lone repository mined in this process: one `git log` streamed in batches (ktlo.ingest.history).

Git computes the diffs on one core while this process parses, classifies and stores on the
other, so the run takes about as long as git alone plus a short tail. Cutting the history
into chunks for worker processes (ktlo.ingest.scale.mining) only pays when there is enough of it:
a pool to start, several `git log` walks, results to ship and wait for in order. So a lone
repository is streamed unless it has more than STREAM_MAX new commits and more than one
process to give them to. A `git log` started before the store was opened (ktlo.ingest.prefetch)
is streamed, or, for a large history, read as its first (oldest) chunk by the writer while
the workers take the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktlo.ingest.history import IngestResult, ingest_repository, stored_tips
from ktlo.sources import git
from ktlo.store import Store
from ktlo.store.store import SMALL_STORE

if TYPE_CHECKING:
    from ktlo.ingest.prefetch import Prefetch

STREAM_MAX = 20_000  # new commits: beyond this, `--jobs` processes beat one stream


def stream_one(
    store: Store, path: Path, jobs: int, progress: Any, early: Prefetch | None = None
) -> IngestResult | None:
    """Mine the repository at `path` in this process; None when it should be cut into chunks
    for `jobs` processes instead (nothing done then). `progress` is a RunProgress."""
    started = early.stream if early is not None and early.path == path else None
    repo = early.repo if started is not None and early is not None else git.open_repository(path)
    shows_bars = bool(getattr(progress, "shows_bars", False))
    pending: int | None = None
    if started is None and (jobs > 1 or shows_bars):
        pending = git.count_commits(repo, stored_tips(store, repo.repo_id))
        if jobs > 1 and pending > STREAM_MAX:
            return None
    elif early is not None and (jobs > 1 or shows_bars):  # git counted beside the log
        pending = early.pending()
        if jobs > 1 and pending > STREAM_MAX:
            return None  # the log becomes the first chunk (ktlo.ingest.scale.runner)
    if pending is not None and pending >= 0:
        progress.planned(pending)
    stored = store.con.execute("SELECT count(*) FROM commits").fetchone()
    will_hold = (stored[0] if stored else 0) + (
        pending if pending is not None and pending >= 0 else SMALL_STORE
    )
    with store.one_thread_when_small(will_hold):
        return ingest_repository(store, repo, progress=progress.loaded, started=started)
