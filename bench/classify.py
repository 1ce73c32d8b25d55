"""Throughput of `ktlo classify --jsonl -` on one core, against a JSON round trip of the same lines.

    python bench/classify.py [--items 200000] [--repo PATH]

The items are real commits with their bodies and the files they touched, read from the
history of a git repository (`--repo`, default this checkout; a fetched public history
such as git/git has the long bodies of real projects), repeated to `--items`. The
reference is the floor of any JSON-lines tool in Python: parse each line and write one
JSON line back. Both run pinned to one core when `taskset` exists, `--rounds` times each,
alternating. Two figures per command: items per second of wall time, and items per second
of **process time on one core** (the child's user + system CPU time, from getrusage: what
the machine's other work does not move); the load average is printed beside them.
Target: at least 20,000 items per second on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUND_TRIP = """
import json, sys
out = sys.stdout.write
for line in sys.stdin:
    item = json.loads(line)
    out(json.dumps({"id": item.get("id"), "investment": None, "subcategory": None, "confidence": 0, "reasons": []}) + "\\n")
"""


def read_history(repo: Path, most: int = 20_000) -> list[dict[str, object]]:
    """The newest `most` non-merge commits of `repo`: subject, body and files touched."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--no-merges", f"--max-count={most}", "--name-only",
         "--format=%x1e%B%x1f"],
        capture_output=True, check=True,
    ).stdout.decode(errors="replace")  # fmt: skip
    commits = []
    for record in out.split("\x1e")[1:]:
        message, _, names = record.partition("\x1f")
        title, _, body = message.strip().partition("\n")
        files = [n for n in names.split("\n") if n.strip()]
        commits.append({"title": title, "body": body.strip(), "files": files, "kind": "commit"})
    return commits


def make_items(count: int, repo: Path) -> tuple[list[str], float]:
    """`count` JSON lines of real commits (repeated as needed), and their mean body length."""
    commits = read_history(repo)
    rng = random.Random(7)
    lines = [json.dumps({"id": i, **rng.choice(commits)}) for i in range(count)]
    mean_body = sum(len(str(c["body"])) for c in commits) / max(1, len(commits))
    return lines, mean_body


def compile_ktlo() -> None:
    """Write ktlo's bytecode first, as `pip install ktlo` does (bench/real_repos.py does the
    same): from an editable install with PYTHONDONTWRITEBYTECODE set, as on the machine
    these figures come from, every run would otherwise compile the modules it imports from
    source, ≈ 0.035 s of CPU that no installed ktlo spends."""
    import compileall

    import ktlo

    compileall.compile_dir(Path(ktlo.__file__).parent, quiet=1)


def timed(cmd: list[str], data: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of `cmd` reading `data`."""
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with data.open("rb") as stdin:
        start = time.perf_counter()
        subprocess.run([*pin, *cmd], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--repo", type=Path, default=ROOT, help="where the commits come from")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    compile_ktlo()
    load_before = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float]]] = {"ktlo": [], "reference": []}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "items.jsonl"
        lines, mean_body = make_items(args.items, args.repo)
        data.write_text("\n".join(lines) + "\n")
        for _ in range(args.rounds):
            runs["reference"].append(timed([sys.executable, "-c", ROUND_TRIP], data))
            runs["ktlo"].append(
                timed([sys.executable, "-m", "ktlo", "classify", "--jsonl", "-"], data)
            )
    per_second = {
        name: {
            "wall": [round(args.items / wall) for wall, _ in timings],
            "process_time_one_core": [round(args.items / cpu) for _, cpu in timings],
        }
        for name, timings in runs.items()
    }
    ktlo_cpu = sorted(per_second["ktlo"]["process_time_one_core"])[len(runs["ktlo"]) // 2]
    print(json.dumps({
        "items": args.items,
        "repository": str(args.repo),
        "mean_body_characters": round(mean_body),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "ktlo_items_per_second": per_second["ktlo"],
        "json_round_trip_items_per_second": per_second["reference"],
        "ktlo_items_per_second_of_process_time_median": ktlo_cpu,
        "target_items_per_second": 20_000,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
