"""Time `ktlo health --json` for a whole organisation over a large synthetic store.

    python bench/health.py [--builds 1000000] [--deployments 100000] [--incidents 50000]
                           [--alerts 500000] [--rounds 3]

The store is generated in DuckDB SQL over two years: 40 services in 40 repositories (10
teams of 4), deployments to production and staging with successes, failures and rollbacks,
CI runs of four workflows with re-runs and a red main branch now and then, incidents with
acknowledgements and fingerprints, alerts (some linked to incidents, some noise, responders
on call), merged pull requests with their first commits, and bugs. ktlo.toml gives every
service an SLO and a cost per minute. The reference, measured on the same store in the same
run, is one DuckDB pass that reads the columns every section reads (the floor of any report
over these rows). Target: under 3 seconds on 2 cores, Python start-up included. The CPU
seconds the command used are printed too, and the load average: on a shared machine the
wall-clock time says more about the neighbours than about ktlo.
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
from pathlib import Path

import duckdb

from ktlo.store import Store

SERVICES = 40
DAYS = 730
START = "TIMESTAMP '2024-11-01'"


def _at(i: str, n: int) -> str:
    """The i-th of n moments spread over the two years."""
    return f"{START} + to_seconds(({i} * {DAYS}.0 / {n} * 86400)::BIGINT)"


def build_store(path: Path, builds: int, deployments: int, incidents: int, alerts: int) -> None:
    Store.open(path).close()  # create the schema
    con = duckdb.connect(str(path))
    repo = f"'github.com/acme/svc' || (i % {SERVICES})"
    con.execute(
        f"""
        INSERT INTO deployments (deployment_id, source, external_id, repo_id, service, environment, sha,
                                 ref, status, created_at, finished_at)
        SELECT 'bench:deployment:' || i, 'bench', i::VARCHAR, {repo}, 'svc' || (i % {SERVICES}),
               CASE WHEN i % 5 = 0 THEN 'staging' ELSE 'production' END, 'sha' || i, 'main',
               CASE WHEN hash(i) % 100 < 5 THEN 'failure' WHEN hash(i) % 100 < 8 THEN 'rolled_back'
                    ELSE 'success' END,
               {_at("i", deployments)}, {_at("i", deployments)} + INTERVAL 4 MINUTE
        FROM range({deployments}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO builds (build_id, source, external_id, repo_id, workflow, job, sha, branch, event,
                            status, conclusion, attempt, queued_at, started_at, finished_at)
        SELECT 'bench:build:' || i, 'bench', i::VARCHAR, {repo},
               ['CI', 'Lint', 'e2e', 'Deploy production'][1 + ((i // {SERVICES}) % 4)::BIGINT],
               NULL, 'c' || (i // 320), CASE WHEN hash(i) % 2 = 0 THEN 'main' ELSE 'feature-' || (i % 97) END,
               'push', 'completed',
               CASE WHEN hash(i * 7) % 100 < 12 THEN 'failure' WHEN hash(i * 7) % 100 < 15 THEN 'cancelled'
                    ELSE 'success' END,
               1 + (hash(i * 3) % 20 = 0)::INT,
               {_at("i", builds)}, {_at("i", builds)} + to_seconds(hash(i) % 300),
               {_at("i", builds)} + to_seconds(180 + hash(i * 5) % 1620)
        FROM range({builds}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO incidents (incident_id, source, external_id, title, service, teams, severity, status,
                               created_at, acknowledged_at, resolved_at, raw)
        SELECT 'bench:incident:' || i, 'bench', 'INC-' || i,
               ['Checkout latency high', 'Database connection pool exhausted', 'Payment webhook failures',
                'Search index stale', 'Login errors spike', 'Disk almost full on worker'][1 + (hash(i) % 6)::BIGINT]
                   || ' (' || (i % 13) || ')',
               'svc' || (i % {SERVICES}), [], 'sev' || (1 + hash(i * 11) % 4), 'resolved',
               {_at("i", incidents)}, {_at("i", incidents)} + to_seconds(60 + hash(i) % 1800),
               {_at("i", incidents)} + to_seconds(600 + hash(i * 13) % 36000),
               CASE WHEN i % 3 = 0 THEN '{{"fingerprint": "fp' || (i % 500) || '"}}' END
        FROM range({incidents}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO incident_events (incident_id, occurred_at, kind, person, detail)
        SELECT 'bench:incident:' || i, {_at("i", incidents)} + to_seconds(60 + hash(i) % 1800),
               'acknowledged', 'oncall' || (i % 30), NULL
        FROM range({incidents}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO alerts (alert_id, source, external_id, incident_id, service, title, severity, created_at,
                            acknowledged_at, closed_at, count, tags, responders)
        SELECT 'bench:alert:' || i, 'bench', i::VARCHAR,
               CASE WHEN i % 5 = 0 THEN 'bench:incident:' || (i * {incidents} // {alerts}) END,
               'svc' || (i % {SERVICES}), 'alert ' || (hash(i) % 50), 'P' || (1 + i % 4),
               {_at("i", alerts)},
               CASE WHEN i % 3 = 0 THEN {_at("i", alerts)} + INTERVAL 2 MINUTE END,
               {_at("i", alerts)} + to_seconds(60 + hash(i * 17) % 7200), 1, [],
               ['oncall' || (i % 30)]
        FROM range({alerts}) t(i)
        """
    )
    pulls = deployments
    con.execute(
        f"""
        INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body, is_bot, created_at,
                                labels, refs, merged_at, closed_at, state, standard_type)
        SELECT 'github:pull_request:' || {repo} || ':' || i, 'github', 'pull_request', {repo}, i::VARCHAR,
               CASE WHEN i % 40 = 0 THEN 'Revert "change ' || (i - 1) || '"' ELSE 'change ' || i END,
               CASE WHEN i % 40 = 0 THEN 'Reverts acme/svc' || (i % {SERVICES}) || '#' || (i - {SERVICES}) ELSE '' END,
               false, {_at("i", pulls)} - INTERVAL 20 HOUR, [], [], {_at("i", pulls)}, {_at("i", pulls)},
               'merged', NULL
        FROM range({pulls}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO activities (item_id, person, kind, occurred_at, source, detail)
        SELECT 'github:pull_request:' || {repo} || ':' || i, 'dev' || (i % 200), 'committed',
               {_at("i", pulls)} - INTERVAL 30 HOUR, 'github', NULL
        FROM range({pulls}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO work_items (item_id, source, kind, repo_id, external_id, title, body, is_bot, created_at,
                                labels, refs, closed_at, state, standard_type)
        SELECT 'github:issue:' || {repo} || ':' || i, 'github', 'issue', {repo}, i::VARCHAR,
               'bug ' || i, '', false, {_at("i", 20000)}, CASE WHEN i % 4 = 0 THEN ['production'] ELSE [] END,
               [], CASE WHEN i % 5 <> 0 THEN least({_at("i", 20000)} + to_seconds(hash(i) % 2000000), {START} + INTERVAL {DAYS} DAY) END,
               'open', 'bug'
        FROM range(20000) t(i)
        """
    )
    con.execute("CHECKPOINT")
    con.close()


def write_config(path: Path) -> None:
    lines = []
    for team in range(10):
        services = ", ".join(f'"svc{s}"' for s in range(SERVICES) if s % 10 == team)
        lines.append(f'[[teams]]\nname = "team{team}"\nservices = [{services}]\n')
    for s in range(SERVICES):
        lines.append(
            f'[services.svc{s}]\nrepositories = ["acme/svc{s}"]\nslo = 99.5\ncost_per_minute = 25\n'
        )
    path.write_text("\n".join(lines))


def time_command(args: list[str]) -> tuple[float, float]:
    """Wall-clock seconds, and the CPU seconds (user + system) the command used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ktlo", *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def time_reference(db: Path) -> float:
    start = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    for sql in (
        "SELECT date_trunc('month', created_at), service, count(*), median(epoch(finished_at - created_at)) FROM deployments GROUP BY ALL",
        "SELECT date_trunc('month', started_at), workflow, count(*), median(epoch(finished_at - started_at)) FROM builds GROUP BY ALL",
        "SELECT date_trunc('month', created_at), service, count(*), median(epoch(resolved_at - created_at)) FROM incidents GROUP BY ALL",
        "SELECT date_trunc('month', created_at), service, count(*), median(epoch(closed_at - created_at)) FROM alerts GROUP BY ALL",
    ):
        con.execute(sql).fetchall()
    con.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--builds", type=int, default=1_000_000)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--alerts", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, config = Path(tmp) / "org.duckdb", Path(tmp) / "ktlo.toml"
        started = time.perf_counter()
        build_store(db, args.builds, args.deployments, args.incidents, args.alerts)
        built = time.perf_counter() - started
        write_config(config)
        command = ["health", "--json", "--db", str(db), "--config", str(config)]
        ktlo = [time_command(command) for _ in range(args.rounds)]
        reference = [time_reference(db) for _ in range(args.rounds)]
        startup = statistics.median(time_command(["--version"])[0] for _ in range(3))
    wall = statistics.median(w for w, _ in ktlo)
    print(json.dumps({
        "builds": args.builds, "deployments": args.deployments, "incidents": args.incidents,
        "alerts": args.alerts, "store_built_seconds": round(built, 1),
        "ktlo_health_json_seconds": round(wall, 2),
        "ktlo_health_json_cpu_seconds": round(statistics.median(c for _, c in ktlo), 2),
        "of_which_python_startup_seconds": round(startup, 2),
        "reference_scan_seconds": round(statistics.median(reference), 2),
        "ratio": round(wall / statistics.median(reference), 1),
        "load_average": round(os.getloadavg()[0], 1),
        "target_seconds": 3.0,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
