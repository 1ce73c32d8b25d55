"""Time verdict inheritance (ktlo.verdicts.reclassify.inherit, run after every sync) on a
store of COMMITS commits each naming one of ISSUES issues (a key and a `#N`), every issue
with a strong verdict.

    python bench/inherit.py [--commits 200000] [--issues 50000]

The reference, measured in the same run on the same store, is one DuckDB join of every
reference with the issue it names: the floor of finding them. Before the OR join was split
in two (CHANGELOG), 200,000 commits took 60.6 s; after, 0.26 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from ktlo.store import Store
from ktlo.verdicts.reclassify import inherit


def build(store: Store, commits: int, issues: int) -> None:
    store.con.execute(
        f"""
        INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body, is_bot,
                                created_at, labels, refs)
        SELECT 'jira:issue:' || i, 'jira', 'issue', 'jira/PAY', 'PAY-' || i, 'issue', '', false,
               TIMESTAMP '2026-01-01', [], []
        FROM range({issues}) t(i)
        UNION ALL
        SELECT 'git:commit:r:' || i, 'git', 'commit', 'github.com/a/r', 'sha' || i, 'change', '',
               false, TIMESTAMP '2026-01-02', [], ['PAY-' || (i % {issues}), '#' || (i % 97)]
        FROM range({commits}) t(i)
        """
    )
    store.con.execute(
        """
        INSERT INTO verdicts
        SELECT item_id, if(kind = 'issue', 'ktlo', 'new_work'), if(kind = 'issue', 'bug', 'feature'),
               if(kind = 'issue', 0.95, 0.3), ['bench'], 'bench', TIMESTAMP '2026-01-03'
        FROM work_items
        """
    )


def reference(store: Store) -> float:
    started = time.perf_counter()
    store.con.execute(
        "SELECT count(*) FROM (SELECT unnest(refs) AS ref FROM work_items) r "
        "JOIN work_items p ON p.external_id = r.ref"
    ).fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=200_000)
    parser.add_argument("--issues", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "k.duckdb") as store:
        build(store, args.commits, args.issues)
        floor = reference(store)
        started = time.perf_counter()
        moved = inherit(store)
        took = time.perf_counter() - started
    print(json.dumps({
        "commits": args.commits, "issues": args.issues, "inherited": moved,
        "inherit_seconds": round(took, 2), "reference_join_seconds": round(floor, 2),
        "ratio": round(took / floor, 1) if floor else None,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
