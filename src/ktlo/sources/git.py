"""Read a git repository's history through one streaming `git log` process.

One subprocess for the whole history (never one per commit): git computes the
per-file diffs, and Python parses its NUL-separated output while git keeps going.
Commits come oldest first in topological order, so every prefix of the stream is
closed under ancestry: a store holding a prefix can resume with `--not <tips>`.

A diff git cannot read (a blob missing from a damaged clone, or from a partial clone with
no way to fetch it) makes `git log --numstat` stop at that commit. The history is still
read: that commit is read again with `--name-only` (its files, line counts unknown), and
`git log` goes on from the next commit of the same order (`--no-walk=unsorted` over the
list `git rev-list` gives, RESTART_WINDOW commits at a time). After MAX_RESTARTS such
commits, the rest is read with `--name-only` in one pass. Each is counted
(`ReadIssues.diffs_unreadable`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from ktlo.errors import RepositoryError
from ktlo.records import Commit
from ktlo.sources import repo_ids
from ktlo.sources.git_records import (
    DATE_FORMAT,
    LOG_FORMAT,
    ReadIssues,
    decode,
    parse_stream,
    utc_naive,
    utc_offset_minutes,
)

__all__ = ["ReadIssues", "decode", "utc_naive", "utc_offset_minutes"]

CHUNK = 1 << 20
READ_AHEAD_CHUNKS = 64  # at most 64 MiB of git output waits for the parser

# What `git log` is asked for, beside the revisions (bench/real_repos.py times the same).
LOG_OPTIONS = (
    "-z", "--numstat", "-M", "--no-color", "--no-ext-diff", "--no-textconv", DATE_FORMAT,
    f"--format={LOG_FORMAT}",
)  # fmt: skip

# What a listed read asks for instead: the files without line counts (no blob is read:
# `--no-renames`, as rename detection compares contents), or the commit alone.
_NAMES_OPTIONS = (
    "-z", "--name-only", "--no-renames", "--no-color", DATE_FORMAT, f"--format={LOG_FORMAT}",
)  # fmt: skip
_ALONE_OPTIONS = ("-z", "-s", "--no-color", DATE_FORMAT, f"--format={LOG_FORMAT}")
# git's words for an object it cannot read (a missing or damaged blob)
_UNREADABLE_OBJECT = re.compile(
    r"unable to read|missing blob|bad object|could not read|corrupt|invalid object", re.IGNORECASE
)
MAX_RESTARTS = 200  # diffs git could not read, each one `git log` started again
RESTART_WINDOW = 1_000  # commits per `git log` after the first such diff

GIT_ENV = {
    "LC_ALL": "C",
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
}
GIT_CONFIG = (
    "-c", "core.quotepath=off",
    "-c", "i18n.logOutputEncoding=UTF-8",
    "-c", "log.showSignature=false",
    "-c", "log.showRoot=true",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Repository:
    """A local git repository ktlo can read."""

    path: Path
    repo_id: str  # normalised origin URL, or local:<absolute path>
    name: str
    remote_url: str | None
    is_bare: bool
    shallow_boundary: frozenset[str]
    head: str | None  # None for an empty repository
    folder: str = ""  # the folder inside the repository that was asked for ("" for all of it)

    @property
    def is_shallow(self) -> bool:
        return bool(self.shallow_boundary)


def open_repository(path: Path | str) -> Repository:
    """Inspect `path`; raise RepositoryError with a fix if it is not a readable repository."""
    path = Path(path).expanduser()
    if not path.exists():
        raise RepositoryError(f"{path} does not exist", "check the path to the repository")
    if not os.access(path, os.R_OK | os.X_OK):
        raise RepositoryError(f"{path} is not readable", "check its permissions")
    if not path.is_dir():
        raise RepositoryError(f"{path} is not a directory", "point ktlo at a repository folder")
    # the four questions asked at once: each is a git process, and this runs before the
    # first commit is read (`ktlo analyze` start-up)
    top, toplevel, remote_out, head = _git_all(
        path,
        ("rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-prefix"),
        ("rev-parse", "--show-toplevel"),
        ("config", "--get", "remote.origin.url"),
        ("rev-parse", "--verify", "-q", "HEAD^{commit}"),
    )
    if top.returncode != 0:
        raise RepositoryError(f"{path} is not a git repository", _git_fix(top.stderr))
    is_bare_text, git_dir, prefix = [*top.stdout.decode().split("\n"), ""][:3]
    is_bare = is_bare_text == "true"
    root = Path(git_dir) if is_bare else _work_tree_root(path, toplevel)
    remote = remote_out.stdout.decode().strip()
    return Repository(
        path=root,
        repo_id=normalise_remote(remote) if remote else f"local:{root.resolve()}",
        name=_repo_name(remote, root),
        remote_url=remote or None,
        is_bare=is_bare,
        shallow_boundary=_shallow_boundary(Path(git_dir)),
        head=head.stdout.decode().strip() or None if head.returncode == 0 else None,
        folder=prefix.strip("/") if not is_bare else "",
    )


def read_commits(
    repo: Repository,
    exclude: Iterable[str] = (),
    *,
    head: str | None = None,
    skip: int = 0,
    limit: int | None = None,
    issues: ReadIssues | None = None,
) -> Iterator[Commit]:
    """Stream the commits reachable from HEAD (or `head`) and not from `exclude`, parents first.

    `skip` and `limit` select a slice of that stream counted from its newest end (git's
    `--skip` and `--max-count` apply before `--reverse`): with the same `head` and
    `exclude`, disjoint slices split one history across processes. Commits git recorded
    oddly are read as far as they can be and counted in `issues` (ktlo.sources.git_records).
    """
    if (head or repo.head) is None:
        return
    yield from LogStream(repo, exclude, head=head, skip=skip, limit=limit).commits(issues)


class LogStream:
    """One running `git log` (see `read_commits`), started now and read later: a command can
    start git first and load the rest of itself while git computes the diffs.

    `listed` reads exactly those commits, in that order (`--no-walk=unsorted`), instead of
    a walk from `head`; with `diff="names"` their files without line counts, with
    `diff="none"` the commits alone (what reading past an unreadable diff needs)."""

    def __init__(
        self,
        repo: Repository,
        exclude: Iterable[str] = (),
        *,
        head: str | None = None,
        skip: int = 0,
        limit: int | None = None,
        listed: Sequence[str] | None = None,
        diff: str = "numstat",
    ) -> None:
        self.repo = repo
        self.head = head or repo.head
        self.exclude = tuple(sha for sha in exclude if sha)
        self.listed = listed
        self.names_only = diff == "names"
        self.said = ""  # what git wrote on stderr, once it ended
        options = {"numstat": LOG_OPTIONS, "names": _NAMES_OPTIONS, "none": _ALONE_OPTIONS}[diff]
        if listed is None:
            known = existing_commits(repo.path, list(self.exclude))
            window = [f"--skip={skip}"] if skip else []
            window += [f"--max-count={limit}"] if limit is not None else []
            self._walk = ["--topo-order", "--reverse", *window]
            self._revs = "".join([f"{self.head}\n", *(f"^{sha}\n" for sha in known)])
        else:
            self._walk = ["--no-walk=unsorted"]
            self._revs = "".join(f"{sha}\n" for sha in listed)
        cmd = ["git", *GIT_CONFIG, "-C", str(repo.path), "log", "--stdin", *self._walk, *options]
        self._stderr = tempfile.TemporaryFile()  # a file: git never blocks on what it says there
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **GIT_ENV},
        )
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(self._revs.encode())
        self._proc.stdin.close()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=READ_AHEAD_CHUNKS)
        self._reader = threading.Thread(
            target=_drain, args=(self._proc.stdout, self._chunks), daemon=True
        )
        self._reader.start()

    def commits(self, issues: ReadIssues | None = None) -> Generator[Commit, None, None]:
        """The commits, parents first; a diff git cannot read is read past (see the module);
        raises RepositoryError if git fails otherwise. Reads once."""
        issues = issues if issues is not None else ReadIssues()
        stopped = yield from self._read(issues)
        if stopped is not None:
            yield from self._read_past(stopped, issues)

    def _read(self, issues: ReadIssues) -> Generator[Commit, None, str | None]:
        """This git's commits; None when it ended well. When it stopped at a diff it could
        not read: the sha of the last record it wrote, which is held back until git's exit
        says it was whole ("" when it wrote none). git writes a commit's header after
        detecting its renames and before counting its lines, so that record is either the
        commit it stopped at or the one before it (`_read_past` tells them apart)."""
        held: Commit | None = None
        try:
            for commit in parse_stream(iter(self._chunks.get, None), issues, self.names_only):
                if held is not None:
                    yield held
                held = commit
        finally:
            returncode = self.close()
        if returncode == 0:
            if held is not None:
                yield held
            return None
        if not _UNREADABLE_OBJECT.search(self.said):
            raise RepositoryError(
                f"git could not read the history of {self.repo.path}", _git_fix(self.said)
            )
        return held.sha if held is not None else ""

    def _read_past(self, stopped: str | None, issues: ReadIssues) -> Generator[Commit, None, None]:
        """The rest of this read's order from the record git stopped at (`_read`): each
        commit git stops at read alone (`_read_alone`), and `git log` started again after
        it, over the next RESTART_WINDOW commits of the order at a time."""
        pending = list(self.listed) if self.listed is not None else self._order()
        stops = 0
        while pending:
            if stopped is not None:  # read the commit git stopped at (or the one before) alone
                if stopped:
                    if stopped not in pending:
                        raise RepositoryError(
                            f"git could not read the history of {self.repo.path}",
                            _git_fix(self.said),
                        )
                    pending = pending[pending.index(stopped) :]
                alone = _read_alone(self.repo, pending[0], issues)
                if alone is not None:
                    yield alone
                pending = pending[1:]
                stops += 1
                if not pending:
                    return
            if stops > MAX_RESTARTS:  # too many: the rest without line counts, each counted
                names = LogStream(self.repo, listed=pending, diff="names")
                reading = _each_counted(names._read(issues), issues)
                window = pending
            else:  # git reads every listed commit before its first diff: a window at a time
                window = pending[:RESTART_WINDOW]
                reading = LogStream(self.repo, listed=window)._read(issues)
            stopped = yield from reading
            if stopped is None:
                pending = pending[len(window) :]
            # else: the next turn reads alone the commit it stopped at ("": the window's first)

    def _order(self) -> list[str]:
        """The commits this walk reads, in its order (`git rev-list`, no diffs)."""
        out = _git(
            self.repo.path, "rev-list", "--stdin", *self._walk, input=self._revs, check=False
        )
        if out.returncode != 0:
            raise RepositoryError(
                f"git could not read the history of {self.repo.path}", _git_fix(self.said)
            )
        return out.stdout.decode().split()

    def caught_up(self) -> bool:
        """Everything git wrote so far has been read: the reader would wait for git now."""
        return self._chunks.empty()

    def close(self) -> int:
        """Stop git if it still runs (the reader stopped early); its exit status."""
        proc = self._proc
        if proc.poll() is None:
            proc.kill()
        while self._reader.is_alive():  # unblock a reader waiting for room, then let it finish
            with contextlib.suppress(queue.Empty):
                self._chunks.get_nowait()
            self._reader.join(0.01)
        assert proc.stdout
        proc.stdout.close()
        returncode = proc.wait()
        if not self._stderr.closed:
            self._stderr.seek(0)
            self.said = self._stderr.read().decode(errors="replace")
            self._stderr.close()
        return returncode


def _each_counted(
    reading: Generator[Commit, None, str | None], issues: ReadIssues
) -> Generator[Commit, None, str | None]:
    """`reading`'s commits (read without line counts), each counted as such; its answer."""
    try:
        while True:
            try:
                commit = next(reading)
            except StopIteration as end:
                return end.value  # type: ignore[no-any-return]
            issues.note("diffs_unreadable", commit.sha)
            yield commit
    finally:
        reading.close()


def _read_alone(repo: Repository, sha: str, issues: ReadIssues) -> Commit | None:
    """One commit where git stopped: whole if git reads it alone (the stop was the next
    commit's); else with its files, line counts unknown; else without its files. Counted in
    `issues` when not whole (skipped when not even its header can be read)."""
    for diff in ("numstat", "names", "none"):
        stream = LogStream(repo, listed=[sha], diff=diff)
        found = list(parse_stream(iter(stream._chunks.get, None), ReadIssues(), diff == "names"))
        if stream.close() == 0 and found:
            if diff == "numstat":
                return found[0]
            issues.note("diffs_unreadable", sha)
            return found[0] if diff == "names" else replace(found[0], lines_known=False)
    issues.note("skipped", sha)
    return None


def _drain(stream: IO[bytes], chunks: queue.Queue[bytes | None]) -> None:
    """Read git's output as fast as git writes it, so git never waits on our parsing.

    What git wrote is handed over at once when the parser waits for it (the queue is
    empty), else gathered into chunks of CHUNK bytes, so the queue's bound is in MiB."""
    pending = bytearray()
    read = getattr(stream, "read1", stream.read)  # read1: what is there, without waiting for more
    try:
        for data in iter(lambda: read(CHUNK), b""):
            pending += data
            if len(pending) >= CHUNK or chunks.empty():
                chunks.put(bytes(pending))
                pending.clear()
    except (OSError, ValueError):  # the stream was closed under us: the consumer stopped
        pass
    finally:
        if pending:
            chunks.put(bytes(pending))
        chunks.put(None)


def normalise_remote(url: str) -> str:
    """`git@github.com:acme/shop.git` and `https://github.com/acme/shop` -> `github.com/acme/shop`.

    The one rule every source names repositories by (`ktlo.sources.repo_ids`): ports dropped.
    """
    return repo_ids.normalise_remote(url)


def _repo_name(remote: str, root: Path) -> str:
    if remote:
        return normalise_remote(remote).rstrip("/").rsplit("/", 1)[-1]
    name = root.resolve().name
    return name.removesuffix(".git") or name


def _work_tree_root(path: Path, out: subprocess.CompletedProcess[bytes]) -> Path:
    return Path(out.stdout.decode().strip()) if out.returncode == 0 else path.resolve()


def _shallow_boundary(git_dir: Path) -> frozenset[str]:
    shallow = git_dir / "shallow"
    if not shallow.exists():
        return frozenset()
    return frozenset(line.strip() for line in shallow.read_text().splitlines() if line.strip())


def existing_commits(path: Path, shas: list[str]) -> list[str]:
    """Keep the shas that still name commits here (history may have been rewritten)."""
    if not shas:
        return []
    out = _git(path, "cat-file", "--batch-check", input="\n".join(shas) + "\n", check=False)
    answers = (line.split() for line in out.stdout.decode().splitlines())
    return [parts[0] for parts in answers if len(parts) > 1 and parts[1] == "commit"]


def _git(
    path: Path, *args: str, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        result = subprocess.run(
            ["git", *GIT_CONFIG, "-C", str(path), *args],
            capture_output=True,
            input=input.encode() if input is not None else None,
            env={**os.environ, **GIT_ENV},
        )
    except FileNotFoundError as exc:
        raise RepositoryError("git is not installed", "install git 2.30 or newer") from exc
    if check and result.returncode != 0:
        raise RepositoryError(f"git failed in {path}", _git_fix(result.stderr.decode()))
    return result


def _git_all(path: Path, *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess[bytes]]:
    """Run several read-only git commands in `path` at once; each one's result, in order."""
    env = {**os.environ, **GIT_ENV}
    try:
        running = [
            (args, subprocess.Popen(
                ["git", *GIT_CONFIG, "-C", str(path), *args],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            ))
            for args in commands
        ]  # fmt: skip
    except FileNotFoundError as exc:
        raise RepositoryError("git is not installed", "install git 2.30 or newer") from exc
    results = []
    for args, process in running:
        out, err = process.communicate()
        results.append(subprocess.CompletedProcess(list(args), process.returncode, out, err))
    return results


def _git_fix(stderr: str | bytes) -> str:
    """Turn git's last complaint into advice."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = lines[-1] if lines else "git gave no reason"
    if "dubious ownership" in text:
        return f"git refuses to read it ({said}); run the `git config --global --add safe.directory` command git suggests"
    if "not a git repository" in text:
        return "point ktlo at a clone (the folder that holds .git) or a bare repository"
    return f"git said: {said}; run `git fsck` in the repository to find damaged objects"


def start_count(repo: Repository) -> subprocess.Popen[bytes]:
    """`git rev-list --count HEAD`, started and not waited for (its answer on stdout)."""
    return subprocess.Popen(
        ["git", *GIT_CONFIG, "-C", str(repo.path), "rev-list", "--count", repo.head or "HEAD"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **GIT_ENV},
    )


def count_commits(repo: Repository, exclude: Iterable[str] = ()) -> int:
    """How many commits `read_commits` would yield (cheap: no diffs)."""
    if repo.head is None:
        return 0
    known = existing_commits(repo.path, [sha for sha in exclude if sha])
    revs = "".join([f"{repo.head}\n", *(f"^{sha}\n" for sha in known)])
    out = _git(repo.path, "rev-list", "--count", "--stdin", input=revs, check=False)
    if out.returncode != 0:
        raise RepositoryError(
            f"git could not count the history of {repo.path}", _git_fix(out.stderr)
        )
    return int(out.stdout.decode().strip() or 0)


def descends_from(repo: Repository, tips: Iterable[str]) -> bool:
    """HEAD descends from every one of `tips`, so nothing stored was cut off (cheap: git walks
    only the commits between them). False when a tip no longer names a commit (a gc)."""
    tips = [sha for sha in tips if sha]
    if not tips:
        return True
    if repo.head is None:
        return False
    revs = "".join([*(f"{sha}\n" for sha in tips), f"^{repo.head}\n"])
    out = _git(repo.path, "rev-list", "--max-count=1", "--stdin", input=revs, check=False)
    return out.returncode == 0 and not out.stdout.strip()


def reachable_commits(repo: Repository) -> list[str]:
    """Every commit HEAD reaches (a walk of the whole graph without diffs: about a second for
    80,000 commits), to tell which stored commits a rewritten history left behind."""
    if repo.head is None:
        return []
    out = _git(repo.path, "rev-list", repo.head, check=False)
    if out.returncode != 0:
        raise RepositoryError(
            f"git could not list the history of {repo.path}", _git_fix(out.stderr)
        )
    return out.stdout.decode().split()
