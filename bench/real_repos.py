"""`ktlo analyze` on real repositories against `git log --numstat` over the same history.

    python bench/real_repos.py DIR... [--rounds 3] [--json]

For each repository (a clone or a bare mirror; a folder inside a clone is analysed as a
folder, and read whole, as ktlo does), in each round, alternating which goes first:
  - `git log` with exactly the options and revisions ktlo passes (ktlo.sources.git:
    `--topo-order --reverse -z --numstat -M ... --date=raw --format=...` of HEAD), its
    output discarded;
  - `ktlo analyze DIR --json` on a fresh store, as a user runs it (a new Python process,
    start-up, reading, classifying, storing, the analysis, the JSON), with ktlo's
    bytecode written beforehand as an installed ktlo has it.
The ratio is ktlo's wall time over git's in the same round; the table shows their medians
and every round's ratio (a machine shared with other work shows as spread). Then the same
command again on the same store, which has nothing new to read: its JSON must equal the
first run's byte for byte apart from the `ingest` block. Peak RSS is the ktlo process's
(DuckDB included; git and any worker processes are apart, the largest of them shown too).
CPU seconds (user + system) stand beside the wall times: on a machine shared with other
work, a run's wall time follows its CPU, so ktlo's own CPU next to git's says what a quiet
machine would show (there git and ktlo's parsing overlap on two cores).

A repository with blobs missing (a damaged or partial clone) stops the reference `git log`
at its first: ktlo reads past each (ktlo.sources.git), so there is no ratio to take; the
table shows how many commits ktlo stored and how many of them without line counts.
Targets (issue 14): ratio <= 1.5 from 5,000 commits, <= 1.1 from 20,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ktlo.sources.git import GIT_CONFIG, GIT_ENV, LOG_OPTIONS

RUN_KTLO = """
import resource, sys
from ktlo.launch import main  # what the `ktlo` executable runs
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"KTLO_PEAK {me.ru_maxrss} {kids.ru_maxrss} {me.ru_utime + me.ru_stime} "
      f"{kids.ru_utime + kids.ru_stime}", file=sys.stderr)
sys.exit(code)
"""


@dataclass
class Result:
    """One repository's figures."""

    repository: str
    commits: int
    git_seconds: float
    ktlo_seconds: float
    ratio: float  # the median of the rounds' ratios
    ratios: list[float]
    git_cpu: float  # seconds of CPU (user + system), medians
    ktlo_cpu: float  # ktlo's own process
    ktlo_git_cpu: float  # the git (and worker) processes ktlo started
    peak_rss_mib: int
    child_peak_rss_mib: int
    noop_identical: bool
    noop_seconds: float
    target: float | None
    engine: str  # where ktlo mined: this process, or N local processes
    stored: int  # commits ktlo stored (`ingest.new_commits` of its first run)
    diffs_unreadable: int  # of them, read without line counts (a blob missing)
    git_stopped: bool  # the reference `git log` stopped at a diff it could not read

    @property
    def meets(self) -> str:
        if self.target is None or self.git_stopped:
            return "—"
        return "yes" if self.ratio <= self.target else "NO"


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def time_git_log(path: Path) -> tuple[float, float, bool]:
    """`git log` as ktlo runs it over HEAD's whole history, output discarded: wall and CPU
    s, and whether git stopped early (a diff it could not read: no reference then)."""
    cmd = ["git", *GIT_CONFIG, "-C", str(path), "log", "--stdin", "--topo-order", "--reverse",
           *LOG_OPTIONS]  # fmt: skip
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(
        cmd, input=b"HEAD\n", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **GIT_ENV},
    )  # fmt: skip
    return time.perf_counter() - started, children_cpu() - cpu, done.returncode != 0


def run_ktlo(path: Path, db: Path, cache: Path) -> tuple[float, dict[str, object], list[float]]:
    """Wall seconds, the JSON document, and [peak RSS (KiB) of ktlo, of its largest child,
    CPU seconds of ktlo, of its children]."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", RUN_KTLO, "analyze", str(path), "--db", str(db), "--json"],
        capture_output=True, env=env,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    peaks = [line for line in out.stderr.decode().splitlines() if line.startswith("KTLO_PEAK")]
    if out.returncode != 0 or not peaks:
        sys.exit(f"ktlo failed on {path}: {out.stderr.decode()[-2000:]}")
    return elapsed, json.loads(out.stdout), [float(v) for v in peaks[-1].split()[1:]]


def measure(path: Path, rounds: int, workdir: Path) -> Result:
    commits = int(git(path, "rev-list", "--count", "HEAD"))
    git_times, ktlo_times, ratios, peaks, child_peaks = [], [], [], [], []
    git_cpu, ktlo_cpu, ktlo_git_cpu = [], [], []
    git_stopped = False
    first: dict[str, object] = {}
    db = workdir / "ktlo.duckdb"
    for index in range(rounds):
        for leftover in workdir.glob("ktlo.duckdb*"):
            leftover.unlink()
        order = ("git", "ktlo") if index % 2 == 0 else ("ktlo", "git")
        for which in order:
            if which == "git":
                wall, cpu, stopped = time_git_log(path)
                git_stopped = git_stopped or stopped
                git_times.append(wall)
                git_cpu.append(cpu)
            else:
                elapsed, first, (own, children, own_cpu, kids_cpu) = run_ktlo(
                    path, db, workdir / "cache"
                )
                ktlo_times.append(elapsed)
                peaks.append(int(own))
                child_peaks.append(int(children))
                ktlo_cpu.append(own_cpu)
                ktlo_git_cpu.append(kids_cpu)
        ratios.append(round(ktlo_times[-1] / git_times[-1], 3))
    noop_seconds, again, _ = run_ktlo(path, db, workdir / "cache")
    ingest: dict[str, Any] = first.pop("ingest", {})  # type: ignore[assignment]
    engine = str(ingest.get("engine", "?"))
    unreadable = ingest.get("unreadable") or {}
    again.pop("ingest", None)
    identical = json.dumps(first, sort_keys=False) == json.dumps(again, sort_keys=False)
    target = 1.1 if commits >= 20_000 else 1.5 if commits >= 5_000 else None
    return Result(
        str(path), commits, round(statistics.median(git_times), 2),
        round(statistics.median(ktlo_times), 2), round(statistics.median(ratios), 3), ratios,
        round(statistics.median(git_cpu), 2), round(statistics.median(ktlo_cpu), 2),
        round(statistics.median(ktlo_git_cpu), 2), max(peaks) // 1024, max(child_peaks) // 1024,
        identical, round(noop_seconds, 2), target, engine, int(ingest.get("new_commits", 0)),
        int(unreadable.get("diffs_unreadable", 0)), git_stopped,
    )  # fmt: skip


def table(results: list[Result]) -> str:
    lines = [
        "| repository | commits | stored (diffs git could not read) | git log s | ktlo analyze s "
        "| ratio | rounds | target | engine | CPU s: git / ktlo + its git "
        "| peak RSS MiB (largest child) | no-op re-run identical (s) |",
        "|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---|",
    ]
    for r in results:
        name = Path(r.repository).parent.name if r.repository.endswith("/repo") else r.repository
        target = f"≤ {r.target} {r.meets}" if r.target else "—"
        # worker processes are not ktlo's children once reaped by the forkserver: not counted
        cpu = f"{r.git_cpu:.2f} / {r.ktlo_cpu:.2f} + {r.ktlo_git_cpu:.2f}"
        cpu = cpu if r.engine == "this process" else f"{r.git_cpu:.2f} / (workers)"
        # a reference that stopped at a missing blob did less work: no ratio to it
        ratio = "— (git log stopped)" if r.git_stopped else f"**{r.ratio:.2f}**"
        lines.append(
            f"| {name} | {r.commits:,} | {r.stored:,} ({r.diffs_unreadable}) | "
            f"{r.git_seconds:.2f} | {r.ktlo_seconds:.2f} | "
            f"{ratio} | {', '.join(f'{x:.2f}' for x in r.ratios)} | {target} | "
            f"{r.engine} | {cpu} | "
            f"{r.peak_rss_mib} ({r.child_peak_rss_mib}) | "
            f"{'yes' if r.noop_identical else 'NO'} ({r.noop_seconds:.2f}) |"
        )
    return "\n".join(lines)


def compile_ktlo() -> None:
    """Write ktlo's bytecode first, as `pip install ktlo` does: from an editable install
    with PYTHONDONTWRITEBYTECODE set (as on the machine these figures come from) every run
    would otherwise compile ktlo's modules from source, ≈ 0.05–0.1 s of CPU that no
    installed ktlo spends."""
    import compileall

    import ktlo

    compileall.compile_dir(Path(ktlo.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON document instead")
    args = parser.parse_args()
    compile_ktlo()
    load_before = os.getloadavg()
    results = []
    for path in args.dirs:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(path.resolve(), args.rounds, Path(tmp)))
        print(f"{path}: ratio {results[-1].ratio}", file=sys.stderr)
    load_after = os.getloadavg()
    if args.json:
        print(
            json.dumps(
                {"load": [load_before, load_after], "results": [asdict(r) for r in results]},
                indent=2,
            )
        )
        return
    print(table(results))
    print(
        f"\nload average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load_before)} at the start, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} at the end; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
