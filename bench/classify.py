"""Throughput of `ktlo classify --jsonl -` on one core, against a JSON round trip of the same lines.

    python bench/classify.py [--items 200000] [--repo PATH]

The items are real commits with their bodies and the files they touched, read from the
history of a git repository (`--repo`, default this checkout; a fetched public history
such as git/git has the long bodies of real projects), repeated to `--items`. The
reference is the floor of any JSON-lines tool in Python: parse each line and write one
JSON line back. Both run pinned to one core when `taskset` exists.
Target: at least 20,000 items per second.
"""

from __future__ import annotations

import argparse
import json
import random
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


def timed(cmd: list[str], data: Path) -> float:
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    with data.open("rb") as stdin:
        start = time.perf_counter()
        subprocess.run([*pin, *cmd], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--repo", type=Path, default=ROOT, help="where the commits come from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "items.jsonl"
        lines, mean_body = make_items(args.items, args.repo)
        data.write_text("\n".join(lines) + "\n")
        reference = timed([sys.executable, "-c", ROUND_TRIP], data)
        ktlo = timed([sys.executable, "-m", "ktlo", "classify", "--jsonl", "-"], data)
    print(json.dumps({
        "items": args.items,
        "repository": str(args.repo),
        "mean_body_characters": round(mean_body),
        "ktlo_items_per_second": round(args.items / ktlo),
        "json_round_trip_items_per_second": round(args.items / reference),
        "ratio_to_round_trip": round(ktlo / reference, 2),
        "target_items_per_second": 20_000,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
