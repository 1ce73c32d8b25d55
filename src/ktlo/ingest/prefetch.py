"""Start reading a lone repository's history before the rest of ktlo loads.

Most of a first `ktlo analyze REPO` is git computing per-file diffs; ktlo's own start-up
(importing DuckDB, pydantic and the classifier, reading ktlo.toml, creating the store)
takes most of a second, which on a repository of a few thousand commits used to be half
the run. When the store does not exist yet, nothing needs it to know what to read (all of
HEAD's history), so `prefetch` starts `git log` first, with only the git source imported,
and ktlo loads the rest of itself while git works. An existing store has a cursor that
decides what to read: then nothing starts early.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ktlo.errors import KtloError
from ktlo.sources import git


@dataclass
class Prefetch:
    """A `git log` of a repository's whole history, started for the store at `store`."""

    path: Path  # as the command was given it
    repo: git.Repository
    store: Path
    stream: git.LogStream
    counter: subprocess.Popen[bytes]  # `git rev-list --count HEAD`, beside the log
    count: int = -1  # its answer, once read

    def pending(self) -> int:
        """How many commits the log will bring (waits for the count; -1 if git could not count)."""
        if self.counter.stdout is not None and not self.counter.stdout.closed:
            text = self.counter.stdout.read().decode().strip()
            self.counter.stdout.close()
            self.count = int(text) if self.counter.wait() == 0 and text.isdigit() else -1
        return self.count

    def close(self) -> None:
        """Stop git if nobody read its output (the run went another way). Idempotent."""
        self.stream.close()
        if self.counter.poll() is None:
            self.counter.kill()
        if self.counter.stdout is not None:
            self.counter.stdout.close()
        self.counter.wait()


def prefetch(path: Path, db: Path | None) -> Prefetch | None:
    """Start reading `path`'s history when its store (`db`, else the repository's default
    store) does not exist yet; None otherwise, or when anything is unexpected (the normal
    path then reports it in its order)."""
    if db is not None and db.exists():
        return None
    path = Path(path).expanduser()
    try:
        repo = git.open_repository(path)
    except KtloError:
        return None
    if repo.head is None:
        return None
    stream = git.LogStream(repo)  # first: what follows runs while git computes diffs
    early = Prefetch(path, repo, db or Path(), stream, git.start_count(repo))
    from ktlo.store import default_store_path  # imports DuckDB: after git started

    early.store = db or default_store_path(repo.path)
    if early.store.exists():
        early.close()
        return None
    return early
