"""Write the documents of issue 19's commands on a store, and compare them byte for byte
with the same documents written by other code (a speed change must not move a figure).

    python bench/documents.py --db org.duckdb --config ktlo.toml --out after/ [--against before/]
    PYTHONPATH=/tmp/old/src python bench/documents.py ... --out before/   # older code's

Each command runs in a fresh process (`python -m ktlo`, so PYTHONPATH chooses the code):
`allocation`, `allocation --by initiative`, `allocation --by category`, `capitalization`
and `flow`, each `--json`. The allocation and capitalization commands run twice, first
with nothing saved beside the store (ktlo.effort.alloc_cache: they build their table and
save it) and then reading it back; both documents must be the same bytes. Use a copy of the
store: the first run saves its tables beside it. Prints one line per command and exits 1
when a document differs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

COMMANDS = {
    "allocation": ["allocation"],
    "allocation_by_initiative": ["allocation", "--by", "initiative"],
    "allocation_by_category": ["allocation", "--by", "category"],
    "capitalization": ["capitalization"],
    "flow": ["flow"],
}


def document(args: list[str], db: Path, config: Path) -> bytes:
    """The JSON `ktlo ARGS --json` writes on the store."""
    command = [sys.executable, "-m", "ktlo", *args, "--json", "--db", str(db), "--config", str(config)]  # fmt: skip
    return subprocess.run(command, check=True, capture_output=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    failed = False
    for name, command in COMMANDS.items():
        shutil.rmtree(args.db.with_name(args.db.name + ".cache"), ignore_errors=True)
        first = document(command, args.db, args.config)
        again = document(command, args.db, args.config)
        (args.out / f"{name}.json").write_bytes(first)
        verdict = "saved table: same bytes" if again == first else "saved table: DIFFERS"
        failed |= again != first
        if args.against is not None:
            before = (args.against / f"{name}.json").read_bytes()
            verdict += ", against --against: " + ("same bytes" if before == first else "DIFFERS")
            failed |= before != first
        print(f"{name:26s} {len(first):>10,} bytes  {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
