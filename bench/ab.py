"""A/B: the same ktlo command from two (or more) source trees, in turns, on a machine whose
speed moves by a third within minutes.

    git archive ba5fd2d src | tar -x -C /tmp/before        # the other tree's code
    python -m compileall -q /tmp/before/src src

    # a fresh-store `ktlo analyze REPO --json` per run, and `git log` as ktlo runs it
    python bench/ab.py --rounds 10 --analyze $M/psf+requests/repo /tmp/before/src src

    # any command, each tree in its own folder (its own copy of the store: a saved
    # allocation table's fingerprint covers the code, so the trees must not share one)
    python bench/ab.py --rounds 5 /tmp/before/src=/tmp/a src=/tmp/b -- \\
        allocation --by initiative --json --db org.duckdb --config ktlo.toml

Each round runs every tree once, the order reversed every other round (and `git log`
first, with --analyze); a tree first runs once unmeasured, as a warm-up. Prints each
tree's median and fastest wall time, the median CPU seconds of the process and its
children (user + system: git and DuckDB's threads included), and with --analyze the ratio
of the medians to git's. Alternating is what makes two trees comparable here: measured
minutes apart, the same code differs by more than most changes do.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ktlo.sources.git import GIT_CONFIG, GIT_ENV, LOG_OPTIONS

RUN_KTLO = "import sys; from ktlo.launch import main; main(sys.argv[1:])"


def timed(command: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run (its output discarded; a failure stops the bench)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--analyze", metavar="REPO", help="a fresh-store `ktlo analyze REPO`")
    parser.add_argument("trees", nargs="+", help="SRC or SRC=DIR (the folder to run in)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    ns, args = parser.parse_args(argv[:cut]), argv[cut + 1 :]  # after `--`: ktlo's arguments
    if not ns.analyze and not args:
        parser.error("give --analyze REPO, or the ktlo arguments after --")
    trees = [(t.partition("=")[0], t.partition("=")[2] or None) for t in ns.trees]
    store = Path(tempfile.mkdtemp(prefix="ktlo-ab-")) / "ab.duckdb"

    def run(src: str, cwd: str | None) -> tuple[float, float]:
        env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
        if ns.analyze:
            for leftover in store.parent.glob("ab.duckdb*"):
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
            command = ["analyze", ns.analyze, "--db", str(store), "--json"]
        else:
            command = args
        return timed([sys.executable, "-c", RUN_KTLO, *command], env, cwd)

    git = None
    if ns.analyze:
        head = subprocess.run(["git", "-C", ns.analyze, "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        git = ["git", *GIT_CONFIG, "-C", ns.analyze, "log", "--topo-order", "--reverse",
               *LOG_OPTIONS, head]  # fmt: skip
    for src, cwd in trees:
        run(src, cwd)
    results: dict[str, list[tuple[float, float]]] = {src: [] for src, _ in trees}
    results["git log"] = []
    for round_ in range(ns.rounds):
        if git:
            results["git log"].append(timed(git, {**os.environ, **GIT_ENV}))
        for src, cwd in trees if round_ % 2 == 0 else trees[::-1]:
            results[src].append(run(src, cwd))
    reference = statistics.median(w for w, _ in results["git log"]) if git else None
    for name, runs in results.items():
        if not runs:
            continue
        wall = statistics.median(w for w, _ in runs)
        ratio = f"  ratio {wall / reference:.2f}" if reference else ""
        print(f"{name:32s} median {wall:6.3f} s  fastest {min(w for w, _ in runs):6.3f} s  "
              f"CPU median {statistics.median(c for _, c in runs):6.3f} s{ratio}")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, {ns.rounds} rounds")
    shutil.rmtree(store.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
