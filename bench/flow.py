"""Time `ktlo flow --json` and `ktlo allocation --by category --json` over a synthetic
organisation of 1,000,000 work items with a tracker: commits, issues with their status
history and pull requests.

    python bench/flow.py [--items 1000000] [--people 200] [--rounds 3]

The commits are bench/allocation.py's (70% of the items); 20% are Jira issues in 10
projects, one in twenty a parent of the next nineteen, each with its status changes (To Do,
In Progress, In Review, Done; one in ten still in progress, one in thirty dropped) and
opened by someone; 10% are pull requests (opened, most merged, some closed unmerged), each
containing two commits and naming an issue, as do 30% of the commits. ktlo.toml is
bench/allocation.py's ten teams, each owning five repositories and a project with a KTLO
WIP limit, and five custom categories over labels, paths, subcategories, epics and
repositories. In the same run: `ktlo allocation --json` (the same store, by investment),
`ktlo allocation --by initiative --json` (10,000 initiatives), `ktlo capitalization --json`
and `ktlo flow --period 2026-09 --json` (work in progress rebuilt at a past period's end);
each with its median wall time and, apart, its CPU seconds (user + system). The
allocation and capitalization commands are timed cold (`..._cold_seconds`: nothing saved
beside the store, so they build their allocation table and save it, ktlo.effort.alloc_cache)
and warm (right after, reading it back). Target: under 2 seconds each on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from allocation import build_store, time_command, write_config  # noqa: E402

CATEGORIES = """
[custom_categories."Compliance"]
match = [{ label = "compliance" }, { epic = "P3-60" }]

[custom_categories."Incident response"]
match = { subcategory = "incident" }

[custom_categories."Hot module"]
match = [{ path = "src/module7/*" }, { path = "src/module42/*" }]

[custom_categories."Supply chain"]
match = [{ subcategory = "dependency" }, { subcategory = "security" }]

[custom_categories."Developer experience"]
match = [{ repository = "acme/repo0" }, { issue_type = "Task", subcategory = "maintenance" }]
"""


def add_tracker(path: Path, issues: int, pulls: int, commits: int, people: int) -> None:
    """Issues with their status history, and pull requests, into the commits' store."""
    con = duckdb.connect(str(path))
    span = "TIMESTAMP '2024-11-01' + to_seconds((i * 730.0 / {n} * 86400)::BIGINT)"
    kinds = "['bug', 'feature', 'maintenance', 'dependency', 'incident', 'feature', 'tech_debt']"
    con.execute(
        f"""
        CREATE TEMP TABLE iss AS
        SELECT i, 'P' || (i // 20 % 10) || '-' || i AS key, 'P' || (i // 20 % 10) AS project,
               'jira:issue:bench:' || i AS item_id, i % {people} AS p,
               {span.format(n=issues)} AS created, {kinds}[1 + (hash(i) % 7)::INT] AS kind
        FROM range({issues}) t(i)
        """
    )
    con.execute(
        """
        INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body, author_name,
                                author_email, is_bot, created_at, labels, issue_type, refs, project,
                                parent_key)
        SELECT item_id, 'jira', 'issue', NULL, key, 'issue ' || i, '', 'Person ' || p,
               'p' || p || '@acme.com', false, created,
               CASE WHEN i % 7 = 0 THEN ['compliance'] ELSE [] END,
               CASE WHEN kind = 'bug' THEN 'Bug' WHEN kind = 'feature' THEN 'Story' ELSE 'Task' END,
               [], project,
               CASE WHEN i % 20 <> 0 THEN 'P' || (i // 20 % 10) || '-' || (i - i % 20) END
        FROM iss
        """
    )
    con.execute(
        """
        INSERT INTO state_changes
        SELECT item_id, created, 'status', NULL, 'To Do', 'p' || p FROM iss
        UNION ALL
        SELECT item_id, created + to_hours(1 + i % 71), 'status', 'To Do', 'In Progress', 'p' || p
        FROM iss WHERE i % 30 <> 7
        UNION ALL
        SELECT item_id, created + to_hours(80 + i % 200), 'status', 'In Progress', 'In Review', 'p' || p
        FROM iss WHERE i % 10 <> 3 AND i % 30 <> 7
        UNION ALL
        SELECT item_id, created + to_hours(90 + i % 300), 'status', 'In Review', 'Done', 'p' || p
        FROM iss WHERE i % 10 <> 3 AND i % 30 <> 7
        UNION ALL
        SELECT item_id, created + to_hours(5), 'status', 'To Do', 'Won''t Do', 'p' || p
        FROM iss WHERE i % 30 = 7
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE pr AS
        SELECT i, 'github:pull_request:github.com/acme/repo' || (i % 50) || ':' || i AS item_id,
               i % {people} AS p, {span.format(n=pulls)} AS created
        FROM range({pulls}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body, author_name,
                                author_email, is_bot, created_at, labels, issue_type, refs,
                                merged_at, closed_at)
        SELECT item_id, 'github', 'pull_request', 'github.com/acme/repo' || (i % 50), i::VARCHAR,
               'pull ' || i, '', 'Person ' || p, 'p' || p || '@acme.com', false, created, [], NULL,
               ['P' || (i // 20 % 10) || '-' || (i * 2 % {issues})],
               CASE WHEN i % 8 NOT IN (0, 1) THEN created + to_hours(2 + i % 150) END,
               CASE WHEN i % 8 = 1 THEN created + to_hours(30) END
        FROM pr
        """
    )
    con.execute(
        f"""
        INSERT INTO links
        SELECT item_id, 'sha' || ((i * 7 + k) % {commits}), 'contains' FROM pr, range(2) r(k)
        """
    )
    con.execute(  # 30% of the commits name an issue
        f"""
        UPDATE work_items SET refs = ['P' || (n // 20 % 10) || '-' || n]
        FROM (SELECT item_id, (hash(item_id) % {issues})::BIGINT AS n FROM work_items
              WHERE kind = 'commit' AND hash(item_id) % 10 < 3) c
        WHERE work_items.item_id = c.item_id
        """
    )
    con.execute(
        """
        INSERT INTO activities
        SELECT item_id, 'p' || p || '@acme.com', 'opened', created, 'jira', NULL FROM iss
        UNION ALL
        SELECT item_id, 'p' || p || '@acme.com', 'opened', created, 'github', NULL FROM pr
        """
    )
    con.execute(
        """
        INSERT INTO verdicts
        SELECT item_id, CASE WHEN kind = 'feature' THEN 'new_work' ELSE 'ktlo' END, kind, 0.9,
               ['bench'], 'bench', TIMESTAMP '2026-11-01' FROM iss
        UNION ALL
        SELECT item_id, CASE WHEN i % 3 = 0 THEN 'new_work' ELSE 'ktlo' END,
               CASE WHEN i % 3 = 0 THEN 'feature' ELSE 'bug' END, 0.9, ['bench'], 'bench',
               TIMESTAMP '2026-11-01' FROM pr
        """
    )
    con.execute("CHECKPOINT")
    con.close()


def write_tracker_config(path: Path, people: int) -> None:
    """bench/allocation.py's teams, each owning repositories and a project with a WIP limit,
    and the custom categories."""
    write_config(path, people)
    text = path.read_text().split("[custom_categories")[0]  # this bench's own, below
    for team in range(10):
        repos = ", ".join(f'"acme/repo{r}"' for r in range(50) if r % 10 == team)
        text = text.replace(
            f'name = "team{team}"\n',
            f'name = "team{team}"\nrepositories = [{repos}, "P{team}"]\nktlo_wip_limit = 40\n',
        )
    path.write_text(text + CATEGORIES)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    commits, issues = args.items * 7 // 10, args.items * 2 // 10
    pulls = args.items - commits - issues
    with tempfile.TemporaryDirectory() as tmp:
        db, config = Path(tmp) / "org.duckdb", Path(tmp) / "ktlo.toml"
        started = time.perf_counter()
        build_store(db, commits, args.people)
        add_tracker(db, issues, pulls, commits, args.people)
        built = time.perf_counter() - started
        write_tracker_config(config, args.people)
        common = ["--json", "--db", str(db), "--config", str(config)]
        timed = {
            "ktlo_flow_json_seconds": ["flow", *common],
            "ktlo_flow_period_2026_09_seconds": ["flow", "--period", "2026-09", *common],
            "ktlo_allocation_by_category_seconds": ["allocation", "--by", "category", *common],
            "ktlo_allocation_json_seconds": ["allocation", *common],
            "ktlo_allocation_by_initiative_seconds": ["allocation", "--by", "initiative", *common],
            "ktlo_capitalization_json_seconds": ["capitalization", *common],
        }
        # the commands that save their allocation table beside the store are timed cold
        # (nothing saved: they build and save it) and warm (reading it back)
        for name in [n for n, c in timed.items() if c[0] != "flow"]:
            timed[name.replace("_seconds", "_cold_seconds")] = timed[name]
        figures = {name: [] for name in timed}  # type: dict[str, list[float]]
        cpu = {name: [] for name in timed}  # type: dict[str, list[float]]
        for _ in range(args.rounds):  # alternating, so a change in the load falls on all
            for name in sorted(timed, key=lambda n: (timed[n][:3], "_cold" not in n)):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                figures[name].append(time_command(timed[name], db if "_cold" in name else None))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(
                    after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                )
        startup = statistics.median(time_command(["--version"]) for _ in range(3))
    print(json.dumps({
        "items": args.items, "commits": commits, "issues": issues, "pull_requests": pulls,
        "people": args.people, "store_built_seconds": round(built, 1),
        **{name: round(statistics.median(times), 2) for name, times in figures.items()},
        "cpu_seconds": {  # user + system of the process and DuckDB's threads: the load's
            name.removesuffix("_seconds"): round(statistics.median(times), 2)  # share aside
            for name, times in cpu.items()
        },
        "of_which_python_startup_seconds": round(startup, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "target_seconds": 2.0,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
