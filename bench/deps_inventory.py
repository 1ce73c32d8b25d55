"""Time the dependency inventory of a repository's whole history against git reading it.

    python bench/deps_inventory.py REPO [REPO ...] [--rounds 3]

Per repository, alternating, on the same history:
- git: the same `git log --raw` the inventory runs, then `git cat-file --batch` reading every
  blob it names (piped to this process and dropped): the least any reader of those revisions
  must pay;
- inventory: `update_inventory` into a fresh store (git, parsing every revision, comparing
  it with the previous one, storing the changes).
The figure is the ratio of median wall times (target: within 2x). Counts are printed too:
revisions, changes stored, packages held now, unreadable revisions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from ktlo.ingest.dependencies import NO_BLOB, first_parent_chain, read_chain, update_inventory
from ktlo.sources import git
from ktlo.store import Store


def git_only(repo: git.Repository) -> tuple[float, int, int]:
    """Seconds for the log and reading each blob once; revisions and bytes read."""
    started = time.perf_counter()
    steps = {sha: i for i, sha in enumerate(reversed(first_parent_chain(repo)))}
    blobs = [f.new for c in read_chain(repo, steps, None) for f in c.files if f.new != NO_BLOB]
    proc = subprocess.Popen(
        ["git", "-C", str(repo.path), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, **git.GIT_ENV},
    )
    assert proc.stdin and proc.stdout
    stdin = proc.stdin

    def feed() -> None:
        stdin.write("".join(f"{b}\n" for b in blobs).encode())
        stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    size = 0
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
        size += len(chunk)
    writer.join()
    proc.wait()
    return time.perf_counter() - started, len(blobs), size


def inventory(repo: git.Repository) -> tuple[float, dict[str, int]]:
    """Seconds for a whole inventory into a fresh store, and what it found."""
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp) / "bench.duckdb") as store:
            started = time.perf_counter()
            result = update_inventory(store, repo)
            seconds = time.perf_counter() - started
            row = store.con.execute(
                "SELECT count(*) FROM (SELECT DISTINCT ecosystem, package FROM dependency_changes "
                "QUALIFY row_number() OVER (PARTITION BY path, ecosystem, package "
                "ORDER BY step DESC) = 1 AND version IS NOT NULL)"
            ).fetchone()
    counts = {
        "commits": result.commits,
        "revisions": result.revisions,
        "changes": result.changes,
        "packages_now": int(row[0]) if row else 0,
        "unreadable": len(result.malformed),
    }
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for path in args.repos:
        repo = git.open_repository(path)
        git_times, inv_times = [], []
        counts: dict[str, int] = {}
        size = 0
        for _ in range(args.rounds):
            seconds, _, size = git_only(repo)
            git_times.append(seconds)
            seconds, counts = inventory(repo)
            inv_times.append(seconds)
        g, i = statistics.median(git_times), statistics.median(inv_times)
        print(
            f"{path}: {counts} blobs {size / 1e6:.0f} MB | git log + cat-file {g:.2f} s | "
            f"inventory {i:.2f} s | ratio {i / g:.2f}"
        )


if __name__ == "__main__":
    main()
