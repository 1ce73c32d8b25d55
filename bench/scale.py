"""Mine N synthetic repositories: one process, local processes, a Dask LocalCluster.

    python bench/scale.py --repos 200 --commits 2000 [--workers 2] [--rounds 1]

Each mode runs `ktlo analyze DIR --recursive --json` on a fresh store, as a user would,
modes alternating within a round; the figures are the ingest's own time (from the
command's JSON: mining, classification and loading, all repositories) and the command's
wall time (with start-up and the analysis). Then the same command again over the
unchanged repositories: the incremental re-run. The Dask cluster is started before the
clock starts (its start-up is printed apart). Prints one JSON document.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.synthetic import build_repo  # noqa: E402

PEAK_RSS = """
import resource, sys
from ktlo.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def analyze(
    repos: Path | list[Path], db: Path, *extra: str, env: dict[str, str] | None = None
) -> dict[str, float]:
    """One `ktlo analyze` run: ingest seconds, wall seconds, new commits, the writer's peak RSS."""
    paths = [str(p) for p in repos] if isinstance(repos, list) else [str(repos), "--recursive"]
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "analyze", *paths, "--db", str(db), "--json", *extra],
        check=True, capture_output=True, text=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    wall = time.perf_counter() - started
    try:
        ingest = json.loads(out.stdout)["ingest"]
    except json.JSONDecodeError:
        sys.exit(f"not one JSON document: {out.stdout[:300]!r} (stderr: {out.stderr[-500:]!r})")
    return {
        "ingest_seconds": ingest["seconds"],
        "load_seconds": ingest["load_seconds"],
        "wall_seconds": wall,
        "new_commits": ingest["new_commits"],
        "writer_peak_rss_mib": int(out.stderr.strip().splitlines()[-1]) // 1024,
    }


def generate(root: Path, repos: int, commits: int, distinct: int) -> None:
    """`distinct` histories from `git fast-import`; the rest are clones of them (hard links),
    each without a remote, so that every one is a repository of its own (`local:<path>`)."""
    sources = [build_repo(root / "sources" / f"s{i}", commits) for i in range(min(distinct, repos))]
    for i in range(repos):
        target = root / "repos" / f"repo{i:04d}.git"
        source = sources[i % len(sources)]
        subprocess.run(["git", "clone", "-q", "--bare", str(source), str(target)], check=True)
        subprocess.run(["git", "--git-dir", str(target), "remote", "remove", "origin"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--distinct", type=int, default=10, help="histories generated; the rest are clones"
    )
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--memory", action="store_true", help="writer memory: N/4 vs N repos")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        generate(work, args.repos, args.commits, args.distinct)
        generated = time.perf_counter() - started
        modes: dict[str, list[str]] = {
            "one process": ["--jobs", "1"],
            f"--jobs {args.workers}": ["--jobs", str(args.workers)],
        }
        cluster = None
        cluster_start = 0.0
        if not args.no_dask:
            from distributed import LocalCluster

            started = time.perf_counter()
            cluster = LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address="127.0.0.1:0",
            )  # fmt: skip
            cluster_start = time.perf_counter() - started
            address = cluster.scheduler_address.removeprefix("tcp://")
            modes[f"dask LocalCluster, {args.workers} workers"] = [
                "--executor",
                f"dask://{address}",
            ]
        runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
        reruns: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
        try:
            for round_ in range(args.rounds):
                for number, (mode, extra) in enumerate(modes.items()):
                    db = work / f"store-{round_}-{number}.duckdb"
                    runs[mode].append(analyze(work / "repos", db, *extra))
                    reruns[mode].append(analyze(work / "repos", db, *extra))
                    for leftover in (db, Path(f"{db}.wal")):
                        leftover.unlink(missing_ok=True)
            memory = writer_memory(work, args.repos, args.workers) if args.memory else {}
        finally:
            if cluster is not None:
                cluster.close()
    total = args.repos * args.commits
    base = statistics.median(r["ingest_seconds"] for r in runs["one process"])
    result = {
        "repositories": args.repos,
        "commits_per_repository": args.commits,
        "commits": total,
        "rounds": args.rounds,
        "load_average_at_end": os.getloadavg()[0],
        "generate_seconds": round(generated, 1),
        "dask_cluster_start_seconds": round(cluster_start, 2),
        "modes": {
            mode: {
                "ingest_seconds": round(
                    seconds := statistics.median(r["ingest_seconds"] for r in rs), 2
                ),
                "commits_per_second": round(total / seconds),
                "speed_up": round(base / seconds, 2),
                "writer_load_seconds": round(statistics.median(r["load_seconds"] for r in rs), 2),
                "wall_seconds": round(statistics.median(r["wall_seconds"] for r in rs), 2),
                "writer_peak_rss_mib": max(r["writer_peak_rss_mib"] for r in rs),
                "rerun_unchanged_ingest_seconds": round(
                    statistics.median(r["ingest_seconds"] for r in reruns[mode]), 3
                ),
                "rerun_unchanged_wall_seconds": round(
                    statistics.median(r["wall_seconds"] for r in reruns[mode]), 2
                ),
            }
            for mode, rs in runs.items()
        },
    }
    if memory:
        result["writer_peak_rss_mib_by_repositories"] = memory
    print(json.dumps(result, indent=2))


INGEST_PEAK_RSS = """
import resource, sys
from pathlib import Path
from ktlo.ingest.scale.executors import Engine
from ktlo.ingest.scale.runner import ingest_many
from ktlo.store import Store
paths = [Path(p) for p in sys.argv[3:]]
with Store.open(Path(sys.argv[1])) as store:
    run = ingest_many(store, paths, Engine(jobs=int(sys.argv[2])))
assert not run.failures, run.failures
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def writer_memory(work: Path, repos: int, workers: int) -> dict[int, int]:
    """The writer's peak RSS (MiB) ingesting a quarter of the repositories and all of them
    (`--jobs workers`, no analysis), DuckDB capped at 64MB so its cache cannot hide growth."""
    every = sorted(str(p) for p in (work / "repos").iterdir())
    peaks = {}
    for count in (max(1, repos // 4), repos):
        db = work / f"memory-{count}.duckdb"
        out = subprocess.run(
            [sys.executable, "-c", INGEST_PEAK_RSS, str(db), str(workers), *every[:count]],
            check=True, capture_output=True, text=True,
            env={**os.environ, "KTLO_MEMORY_LIMIT": "64MB"},
        )  # fmt: skip
        peaks[count] = int(out.stdout.strip().splitlines()[-1]) // 1024
    return peaks


if __name__ == "__main__":
    main()
