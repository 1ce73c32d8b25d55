"""Time `ktlo analyze` over a repository's whole history against plain `git log --numstat`.

    python bench/git_ingest.py REPO [--rounds 3]

Both run in the same session, alternating, on the same history; the figure is the
ratio of median wall times (target: <= 1.3 on a repository of 30,000+ commits).
Peak memory is measured on 25%, 50% and 100% of the history: of the ingest alone with
DuckDB's buffer pool capped at 32MB (KTLO_MEMORY_LIMIT; below the store's size, so a
growing cache cannot hide a leak), and of the whole command with ktlo's default cap (1GB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEAK_RSS = """
import resource, sys
from ktlo.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


CAPPED = "32MB"  # well below the store size, so the buffer pool cannot hide growth


INGEST_PEAK_RSS = """
import resource, sys
from pathlib import Path
from ktlo.ingest.history import ingest_repository
from ktlo.sources.git import open_repository
from ktlo.store import Store
with Store.open(Path(sys.argv[2])) as store:
    ingest_repository(store, open_repository(sys.argv[1]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def ingest_peak_rss(repo: Path, workdir: Path) -> int:
    """Peak RSS (MiB) of ingesting `repo` alone, with DuckDB capped at CAPPED."""
    db = workdir / f"ingest-{time.monotonic_ns()}.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", INGEST_PEAK_RSS, str(repo), str(db)],
        check=True, capture_output=True, text=True, env={**os.environ, "KTLO_MEMORY_LIMIT": CAPPED},
    )  # fmt: skip
    return int(out.stdout.strip()) // 1024


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def time_git_log(repo: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "log", "-z", "--numstat", "-M", "--format=%H%x00%P%x00%aN%x00%aE%x00%aI%x00%B", "HEAD"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def time_ktlo(repo: Path, workdir: Path, memory_limit: str | None = None) -> tuple[float, int]:
    """Wall time of a fresh `ktlo analyze --json`, and the ktlo process's peak RSS in KiB."""
    db = workdir / f"bench-{time.monotonic_ns()}.duckdb"
    env = {**os.environ, **({"KTLO_MEMORY_LIMIT": memory_limit} if memory_limit else {})}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "analyze", str(repo), "--db", str(db), "--json"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    return elapsed, int(result.stderr.strip().splitlines()[-1])


def truncated_copy(repo: Path, workdir: Path, fraction: float) -> Path:
    """A bare clone whose HEAD is the commit `fraction` of the way through the first-parent history."""
    shas = git(repo, "rev-list", "--first-parent", "--reverse", "HEAD").split()
    target = shas[max(0, int(len(shas) * fraction) - 1)]
    copy = workdir / f"part-{int(fraction * 100)}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(copy)], check=True)
    subprocess.run(
        ["git", "--git-dir", str(copy), "update-ref", "refs/heads/bench", target], check=True
    )
    subprocess.run(
        ["git", "--git-dir", str(copy), "symbolic-ref", "HEAD", "refs/heads/bench"], check=True
    )
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repo", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory-growth runs")
    args = parser.parse_args()
    repo = args.repo.resolve()
    commits = int(git(repo, "rev-list", "--count", "HEAD"))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        git_times, ktlo_times, peaks = [], [], []
        for _ in range(args.rounds):
            git_times.append(time_git_log(repo))
            elapsed, peak = time_ktlo(repo, workdir)
            ktlo_times.append(elapsed)
            peaks.append(peak)
        memory: dict[int, dict[str, int]] = {}
        if not args.no_memory:
            for fraction in (0.25, 0.5, 1.0):
                part = truncated_copy(repo, workdir, fraction)
                part_commits = int(git(part, "rev-list", "--count", "HEAD"))
                memory[part_commits] = {
                    "ingest": ingest_peak_rss(part, workdir),
                    "analyze_command_default_cap": time_ktlo(part, workdir)[1] // 1024,
                }
    git_median, ktlo_median = statistics.median(git_times), statistics.median(ktlo_times)
    result = {
        "repository": str(repo),
        "commits": commits,
        "rounds": args.rounds,
        "git_log_numstat_seconds": round(git_median, 2),
        "ktlo_analyze_seconds": round(ktlo_median, 2),
        "ratio": round(ktlo_median / git_median, 3),
        "ktlo_commits_per_second": round(commits / ktlo_median),
        "peak_rss_mib_default_cap": max(peaks) // 1024,
        "peak_rss_mib_by_commits": memory,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
