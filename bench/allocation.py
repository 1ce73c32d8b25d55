"""Time `ktlo allocation --json` over a synthetic organisation of 1,000,000 work items, and
beside it `ktlo allocation --by initiative --json`, `ktlo allocation --by category --json`
(three custom categories over paths and subcategories) and `ktlo capitalization --json`.

    python bench/allocation.py [--items 1000000] [--people 200] [--rounds 3]

The store is generated in DuckDB SQL: commits by `people` people over 2 years in 50
repositories, one file each, 20% of them with a review by someone else, and verdicts
spread over every subcategory; ktlo.toml puts the people in 10 teams (every tenth person
in two teams, by shares). The reference, measured in the same run on the same store, is
one DuckDB GROUP BY over the same rows (count and lines per month and verdict): the
floor of any query that reads them. Each command is timed cold (nothing saved beside the
store: it builds the allocation table and saves it, ktlo.effort.alloc_cache) and then warm
(reading it back): `..._cold_seconds` and `..._seconds`. Target: under 2 seconds on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from ktlo.store import Store

KINDS = ["bug", "feature", "maintenance", "dependency", "tech_debt", "feature", "reliability",
         "performance", "security", "incident", "project", "feature"]  # fmt: skip


def build_store(path: Path, items: int, people: int) -> None:
    Store.open(path).close()  # create the schema
    con = duckdb.connect(str(path))
    kinds = "[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    con.execute(
        f"""
        CREATE TEMP TABLE gen AS
        SELECT i, 'git:commit:bench:' || i AS item_id, i % {people} AS p,
               TIMESTAMP '2024-11-01' + to_seconds((i * 730.0 / {items} * 86400)::BIGINT) AS ts,
               {kinds}[1 + (hash(i) % {len(KINDS)})::INT] AS kind
        FROM range({items}) t(i)
        """
    )
    con.execute(
        """
        INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body, author_name,
                                author_email, is_bot, created_at, labels, issue_type, refs)
        SELECT item_id, 'git', 'commit', 'github.com/acme/repo' || (i % 50), 'sha' || i,
               'change ' || i, '', 'Person ' || p, 'p' || p || '@acme.com', false, ts, [], NULL, []
        FROM gen
        """
    )
    con.execute(
        """
        INSERT INTO commits SELECT item_id, 'github.com/acme/repo' || (i % 50), 'sha' || i, [],
               ts, 0, 'Person ' || p, 'p' || p || '@acme.com', ts, false, false, 1, 10 + i % 90, i % 40
        FROM gen
        """
    )
    con.execute(
        "INSERT INTO commit_files SELECT item_id, 'src/module' || (i % 300) || '/file.py', NULL, "
        "10 + i % 90, i % 40, false FROM gen"
    )
    con.execute(
        f"""
        INSERT INTO activities SELECT item_id, 'p' || ((p + 7) % {people}) || '@acme.com', 'reviewed',
               ts + INTERVAL 1 DAY, 'github', NULL
        FROM gen WHERE i % 5 = 0
        """
    )
    con.execute(
        """
        INSERT INTO verdicts SELECT item_id,
               CASE WHEN kind IN ('feature', 'project') THEN 'new_work' ELSE 'ktlo' END, kind, 0.9,
               ['bench'], 'bench', TIMESTAMP '2026-11-01'
        FROM gen
        """
    )
    con.execute("CHECKPOINT")
    con.close()


def write_config(path: Path, people: int) -> None:
    lines = []
    for team in range(10):
        members = [
            f'"p{p}@acme.com"'
            for p in range(people)
            if p % 10 == team or p % 10 == (team + 1) % 10 and p % 20 == 0
        ]
        lines.append(f'[[teams]]\nname = "team{team}"\nmembers = [{", ".join(members)}]\n')
    for p in range(0, people, 20):  # in two teams: share their time
        lines.append(
            f'[people.person{p}]\naliases = ["p{p}@acme.com"]\nteams = {{ team{p % 10} = 0.5, team{(p % 10 + 1) % 10} = 0.5 }}\n'
        )
    lines.append(
        '[custom_categories."Hot module"]\nmatch = [{ path = "src/module7/*" }, '
        '{ path = "src/module42/*" }]\n[custom_categories."Incident response"]\n'
        'match = { subcategory = "incident" }\n[custom_categories."Supply chain"]\n'
        'match = [{ subcategory = "dependency" }, { subcategory = "security" }]\n'
    )
    path.write_text("\n".join(lines))


def time_command(args: list[str], cold: Path | None = None) -> float:
    """Wall seconds of `ktlo ARGS`; `cold`: a store whose saved allocation tables
    (ktlo.effort.alloc_cache) are deleted first, so the command builds and saves its own."""
    if cold is not None:
        shutil.rmtree(cold.with_name(cold.name + ".cache"), ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ktlo", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_reference(db: Path) -> float:
    start = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    con.execute(
        "SELECT date_trunc('month', c.authored_at) AS m, v.investment, v.subcategory, count(*), "
        "sum(c.lines_added + c.lines_deleted) FROM commits c JOIN verdicts v USING (item_id) GROUP BY ALL"
    ).fetchall()
    con.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, config = Path(tmp) / "org.duckdb", Path(tmp) / "ktlo.toml"
        started = time.perf_counter()
        build_store(db, args.items, args.people)
        built = time.perf_counter() - started
        write_config(config, args.people)
        command = ["allocation", "--json", "--db", str(db), "--config", str(config)]
        timed = {
            "ktlo_allocation_json": command,
            "ktlo_allocation_by_initiative": [*command, "--by", "initiative"],
            "ktlo_allocation_by_category": [*command, "--by", "category"],
            "ktlo_capitalization_json": ["capitalization", "--json", *command[2:]],
        }
        # cold: with nothing saved beside the store; warm: reading what the cold run saved
        cold = {name: [] for name in timed}  # type: dict[str, list[float]]
        warm = {name: [] for name in timed}  # type: dict[str, list[float]]
        for _ in range(args.rounds):
            for name, args_ in timed.items():
                cold[name].append(time_command(args_, cold=db))
                warm[name].append(time_command(args_))
        reference = [time_reference(db) for _ in range(args.rounds)]
        startup = statistics.median(time_command(["--version"]) for _ in range(3))
    ktlo = warm["ktlo_allocation_json"]
    print(json.dumps({
        "items": args.items, "people": args.people, "store_built_seconds": round(built, 1),
        **{f"{name}_seconds": round(statistics.median(t), 2) for name, t in warm.items()},
        **{f"{name}_cold_seconds": round(statistics.median(t), 2) for name, t in cold.items()},
        "of_which_python_startup_seconds": round(startup, 2),
        "reference_group_by_seconds": round(statistics.median(reference), 2),
        "ratio": round(statistics.median(ktlo) / statistics.median(reference), 1),
        "target_seconds": 2.0,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
