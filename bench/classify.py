"""Throughput of `ktlo classify --jsonl -` on one core, against a JSON round trip of the same lines.

    python bench/classify.py [--items 200000]

The reference is the floor of any JSON-lines tool in Python: parse each line and
write one JSON line back. Both run pinned to one core when `taskset` exists.
Target: at least 20,000 items per second.
"""

from __future__ import annotations

import argparse
import csv
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


def make_items(count: int) -> list[str]:
    """Lines shaped like real input: the evaluation texts, with ids, some bodies and files."""
    rows = list(csv.DictReader((ROOT / "eval" / "ktlo-eval.csv").open()))
    rng = random.Random(7)
    lines = []
    for i in range(count):
        title, _, body = rng.choice(rows)["text"].partition("\n")
        item = {"id": i, "title": title, "body": body}
        if rng.random() < 0.3:
            item["files"] = rng.choice(
                [["src/app.py"], ["package-lock.json"], ["docs/a.md", "README.md"]]
            )
        lines.append(json.dumps(item))
    return lines


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "items.jsonl"
        data.write_text("\n".join(make_items(args.items)) + "\n")
        reference = timed([sys.executable, "-c", ROUND_TRIP], data)
        ktlo = timed([sys.executable, "-m", "ktlo", "classify", "--jsonl", "-"], data)
    print(json.dumps({
        "items": args.items,
        "ktlo_items_per_second": round(args.items / ktlo),
        "json_round_trip_items_per_second": round(args.items / reference),
        "ratio_to_round_trip": round(ktlo / reference, 2),
        "target_items_per_second": 20_000,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
