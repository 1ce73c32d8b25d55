"""The dependency inventory over history: each package version a commit set in a manifest or
lockfile, stored in `dependency_changes`.

The history read is HEAD's first-parent chain (the mainline), each commit against its first
parent: a branch's dependency changes count when they land (the merge commit, or the
squashed commit), and the changes replayed in chain order give exactly what each file holds
at HEAD. One `git log --raw` limited to the manifests' and lockfiles' names finds the
commits that touched them with each file's old and new blob; one `git cat-file --batch`
reads every blob once; each revision is parsed once (ktlo.ingest.lockfiles) and compared
with the file's previous revision. A revision that cannot be parsed is counted and skipped
(its packages are taken as unchanged), never an abort.

Incremental like the commits: the cursor (sync_state, source `dependencies`) is the last
chain commit read; a re-run reads only commits after it. When the cursor is no longer on
HEAD's chain (a rewrite, a reset, a force-push), the rows of commits no longer on it are
deleted and reading resumes after the newest commit still on it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from ktlo.errors import RepositoryError
from ktlo.ingest.lockfiles import PATHSPECS, parser_for
from ktlo.ingest.manifests import Malformed, Packages
from ktlo.sources import git
from ktlo.store import Store

SOURCE = "dependencies"
BATCH_COMMITS = 500  # commits written per transaction, with the cursor after them
NO_BLOB = "0" * 40
COLUMNS = [
    "repo_id", "path", "ecosystem", "package", "version", "direct", "sha", "changed_at", "step",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileChange:
    """A manifest or lockfile one commit changed: its blob before and after (NO_BLOB: none)."""

    path: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ChainCommit:
    """A commit of the first-parent chain that touched a manifest or lockfile."""

    sha: str
    committed_at: datetime
    step: int  # its place on the chain, from the root (0)
    files: tuple[FileChange, ...]


@dataclass(slots=True)
class InventoryResult:
    """What one inventory run read and stored for a repository."""

    repo_id: str
    commits: int = 0  # chain commits read that touched a manifest or lockfile
    revisions: int = 0  # file revisions parsed
    changes: int = 0  # rows stored
    removed: int = 0  # rows deleted because their commit left the chain
    malformed: list[tuple[str, str, str]] = field(default_factory=list)  # (path, sha, why)
    # every unreadable revision of the stored history, this run's and earlier runs' (cursor)
    unreadable: list[list[str]] = field(default_factory=list)


def update_inventory(store: Store, repo: git.Repository) -> InventoryResult:
    """Read the manifests' and lockfiles' revisions not yet stored and store their changes."""
    result = InventoryResult(repo.repo_id)
    if repo.head is None:
        return result
    chain = first_parent_chain(repo)
    steps = {sha: i for i, sha in enumerate(reversed(chain))}
    since = _resume_point(store, repo.repo_id, steps, result)
    commits = list(read_chain(repo, steps, since))
    wanted = [f.new for c in commits for f in c.files if f.new != NO_BLOB]
    with FileStates(store, repo, wanted, fresh=since is None and not result.removed) as files:
        batch: list[tuple[object, ...]] = []
        for i, commit in enumerate(commits, 1):
            batch += commit_rows(repo.repo_id, commit, files, result)
            result.commits += 1
            if i % BATCH_COMMITS == 0 and i < len(commits):
                _write(store, result, batch, commit.sha)
                result.changes, batch = result.changes + len(batch), []
        _write(store, result, batch, repo.head)
        result.changes += len(batch)
    return result


def first_parent_chain(repo: git.Repository) -> list[str]:
    """HEAD's first-parent chain, newest first (no diffs: cheap)."""
    out = subprocess.run(
        [
            "git",
            *git.GIT_CONFIG,
            "-C",
            str(repo.path),
            "rev-list",
            "--first-parent",
            str(repo.head),
        ],
        capture_output=True,
        env={**os.environ, **git.GIT_ENV},
    )
    if out.returncode != 0:
        raise RepositoryError(f"git could not list the history of {repo.path}", out.stderr.decode(errors="replace").strip() or "run `git fsck`")  # fmt: skip
    return out.stdout.decode().split()


def _resume_point(
    store: Store, repo_id: str, steps: dict[str, int], result: InventoryResult
) -> str | None:
    """The chain commit to read on from (None: from the root), once rows of commits the chain
    no longer holds are deleted."""
    cursor = store.get_cursor(SOURCE, repo_id) or {}
    last = cursor.get("last")
    result.unreadable = [u for u in cursor.get("unreadable", []) if u[1] in steps]
    if last is None or last in steps:
        return str(last) if last else None
    with store.transaction():
        shas = [r[0] for r in store.con.execute("SELECT DISTINCT sha FROM dependency_changes WHERE repo_id = ?", [repo_id]).fetchall()]  # fmt: skip
        gone = [sha for sha in shas if sha not in steps]
        row = store.con.execute(
            "SELECT count(*) FROM dependency_changes WHERE repo_id = ? AND list_contains(?, sha)",
            [repo_id, gone],
        ).fetchone()
        result.removed = int(row[0]) if row else 0
        store.con.execute(
            "DELETE FROM dependency_changes WHERE repo_id = ? AND list_contains(?, sha)",
            [repo_id, gone],
        )
        kept = [sha for sha in shas if sha in steps]
        resume = max(kept, key=steps.__getitem__) if kept else None
        store.set_cursor(SOURCE, repo_id, {"last": resume, "unreadable": result.unreadable})
    return resume


def read_chain(
    repo: git.Repository, steps: dict[str, int], since: str | None
) -> Iterator[ChainCommit]:
    """The chain commits after `since` that touched a manifest or lockfile, oldest first."""
    cmd = [
        "git", *git.GIT_CONFIG, "-C", str(repo.path), "log", "-z", "--raw", "--no-abbrev",
        "--no-renames", "--first-parent", "--diff-merges=first-parent", "--topo-order",
        "--reverse", "--format=%x01%H %ct", str(repo.head), *([f"^{since}"] if since else []),
        "--", *PATHSPECS,
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, env={**os.environ, **git.GIT_ENV})
    if out.returncode != 0:
        raise RepositoryError(f"git could not read the history of {repo.path}", out.stderr.decode(errors="replace").strip() or "run `git fsck`")  # fmt: skip
    yield from parse_raw_log(out.stdout, steps)


def parse_raw_log(data: bytes, steps: dict[str, int]) -> Iterator[ChainCommit]:
    """Commits of `git log -z --raw --format=%x01%H %ct`, each with the files it changed that a
    parser reads (submodules and unknown names skipped)."""
    tokens = data.split(b"\0")
    sha, when = "", 0
    files: list[FileChange] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        i += 1
        if token.startswith(b"\x01"):
            if sha:
                yield _chain_commit(sha, when, steps, files)
            head, _, stamp = token[1:].decode().partition(" ")
            sha, when, files = head, int(stamp), []
        elif token.startswith(b":") and i < len(tokens):
            meta, path = token.decode().split(), tokens[i].decode("utf-8", "replace")
            i += 1
            if meta[1] != "160000" and parser_for(path) is not None:
                files.append(FileChange(path, meta[2], meta[3]))
    if sha:
        yield _chain_commit(sha, when, steps, files)


def _chain_commit(
    sha: str, when: int, steps: dict[str, int], files: list[FileChange]
) -> ChainCommit:
    at = datetime.fromtimestamp(when, UTC).replace(tzinfo=None)
    return ChainCommit(sha, at, steps.get(sha, -1), tuple(files))


def commit_rows(
    repo_id: str, commit: ChainCommit, files: FileStates, result: InventoryResult
) -> list[tuple[object, ...]]:
    """The rows of the packages whose version (or directness) this commit changed."""
    rows: list[tuple[object, ...]] = []
    for change in commit.files:
        after = files.parse(change, commit.sha, result)
        if after is None:  # unreadable: its packages are taken as unchanged
            continue
        before = files.state(change.path)
        for (eco, name), (version, direct) in diff(before, after).items():
            rows.append((repo_id, change.path, eco, name, version, direct, commit.sha, commit.committed_at, commit.step))  # fmt: skip
        files.states[change.path] = after
    return rows


def diff(
    before: Packages, after: Packages
) -> dict[tuple[str, str], tuple[str | None, bool | None]]:
    """What changed from `before` to `after`: the new (version, direct), version None when
    the package is gone."""
    changed: dict[tuple[str, str], tuple[str | None, bool | None]] = dict(
        after.items() - before.items()  # set operations on the views: at C speed
    )
    for key in before.keys() - after.keys():
        changed[key] = (None, before[key][1])
    return changed


def _write(
    store: Store, result: InventoryResult, rows: Sequence[tuple[object, ...]], last: str | None
) -> None:
    """Store rows with the cursor after them (and the unreadable revisions so far), in one
    transaction."""
    seen = {tuple(u) for u in result.unreadable}
    result.unreadable += [list(m) for m in result.malformed if m not in seen]
    with store.transaction():
        if rows:
            store.insert("dependency_changes", COLUMNS, rows)
        cursor = {"last": last, "unreadable": result.unreadable}
        store.set_cursor(SOURCE, result.repo_id, cursor)


class FileStates:
    """Each file's packages as replayed so far (read from the store the first time a run
    meets the file), and one `git cat-file --batch` reading each new revision once."""

    def __init__(
        self, store: Store, repo: git.Repository, blobs: Sequence[str], fresh: bool
    ) -> None:
        """`blobs`: every revision the run will read, in the order it reads them, asked for
        at once (git answers while the last answer is parsed: no round trip per blob);
        `fresh`: nothing is stored of this repository yet (no file's state to look up)."""
        self._store, self._repo_id, self._fresh = store, repo.repo_id, fresh
        self._proc = subprocess.Popen(
            ["git", *git.GIT_CONFIG, "-C", str(repo.path), "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, **git.GIT_ENV},
        )  # fmt: skip
        self._asking = threading.Thread(target=self._ask, args=(blobs,), daemon=True)
        self._asking.start()
        self.states: dict[str, Packages] = {}

    def _ask(self, blobs: Sequence[str]) -> None:
        stdin = self._proc.stdin
        assert stdin
        with contextlib.suppress(OSError, ValueError):  # git stopped: the run is over
            stdin.write("".join(f"{blob}\n" for blob in blobs).encode())
            stdin.close()

    def __enter__(self) -> FileStates:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc.stdout
        self._proc.stdout.close()  # unblocks the asking thread when the run stopped early
        self._asking.join()
        self._proc.wait()

    def state(self, path: str) -> Packages:
        """What `path` holds as stored so far: the replay of its rows."""
        if path not in self.states and self._fresh:
            self.states[path] = {}
        if path not in self.states:
            rows = self._store.con.execute(STATE_SQL, [self._repo_id, path]).fetchall()
            self.states[path] = {
                (eco, name): (version, direct) for eco, name, version, direct in rows
            }
        return self.states[path]

    def parse(self, change: FileChange, sha: str, result: InventoryResult) -> Packages | None:
        """The packages of the new revision ({} when the commit deleted the file); None and
        counted when it cannot be read."""
        if change.new == NO_BLOB:
            return {}
        parser = parser_for(change.path)
        assert parser is not None
        result.revisions += 1
        try:
            return parser(self.read(change.new))
        except (Malformed, KeyError, TypeError, AttributeError, ValueError) as exc:
            # a well-formed file of the wrong shape (a key missing, a list for an object)
            # is as unreadable as a broken one
            result.malformed.append((change.path, sha, _why(exc)))
            return None

    def read(self, blob: str) -> bytes:
        """The blob's bytes: git's next answer (it answers in the order asked)."""
        assert self._proc.stdout
        return read_object(self._proc.stdout, blob)


# A file's packages now: the last row of each package, unless it removed the package.
STATE_SQL = """
    SELECT ecosystem, package, version, direct FROM dependency_changes
    WHERE repo_id = ? AND path = ?
    QUALIFY row_number() OVER (PARTITION BY ecosystem, package ORDER BY step DESC) = 1
        AND version IS NOT NULL
"""


def read_object(stdout: IO[bytes], blob: str) -> bytes:
    """One answer of `git cat-file --batch`."""
    header = stdout.readline().split()
    if len(header) != 3 or header[0].decode() != blob:
        raise RepositoryError(f"git could not read blob {blob}", "run `git fsck` in the repository")
    data = stdout.read(int(header[2]) + 1)
    return data[:-1]


def _why(exc: Exception) -> str:
    text = str(exc) if isinstance(exc, Malformed) else f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def update_known_repositories(store: Store) -> tuple[list[InventoryResult], list[str]]:
    """Bring the inventory of every repository the store knows (repositories.path) up to
    date; the results, and a note for each repository that could not be read."""
    results: list[InventoryResult] = []
    notes: list[str] = []
    rows = store.con.execute(
        "SELECT repo_id, path FROM repositories WHERE path IS NOT NULL ORDER BY repo_id"
    ).fetchall()
    for repo_id, path in rows:
        try:
            repo = git.open_repository(path)
            results.append(update_inventory(store, repo))
        except RepositoryError as exc:
            notes.append(f"{repo_id}: not refreshed ({exc}); its stored inventory is shown")
    return results, notes
