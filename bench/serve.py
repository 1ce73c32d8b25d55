"""Latency of `ktlo serve` and time and size of `ktlo report --html` over 1,000,000 work items.

    python bench/serve.py [--items 1000000] [--requests 2000] [--operations] [--keep DIR]

The store is the one bench/allocation.py generates (commits by 200 people in 50
repositories over two years, 10 teams), with each team's two-week sprints (a quarter of the
commits in one, half of those planned; see `add_sprints`); with --operations, also the operational records of
bench/health.py at a tenth of its default volume (deployments, CI runs, incidents, alerts
and bugs of 40 services with SLOs), so that the health, KTLO-mode and rotation panels have
data to compute. `ktlo serve` runs in its own process on 127.0.0.1; one client
(httpx2, one keep-alive connection) sends `--requests` requests in turn over the main
pages and their JSON twins: the organisation, each team, the KTLO items of each team,
one item, and /metrics. Each page is first asked once, and that first answer is reported
apart (the dashboard computes a page once per copy of the store, ahead of visitors for the
home and team pages, or at its first request); then the timed requests. Targets: p95
under 200 ms; the report under 10 seconds and 5 MB.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
import allocation as effort_bench  # noqa: E402  (bench/allocation.py: the work items)
import health as health_bench  # noqa: E402  (bench/health.py: the operational records)

TEAMS = 10


def write_config(path: Path, people: int) -> None:
    """bench/allocation.py's teams and people, with bench/health.py's services and SLOs."""
    effort_bench.write_config(path, people)
    text = path.read_text()
    for team in range(TEAMS):
        services = ", ".join(f'"svc{s}"' for s in range(health_bench.SERVICES) if s % TEAMS == team)
        text = text.replace(
            f'name = "team{team}"\n', f'name = "team{team}"\nservices = [{services}]\n'
        )
    services = [
        f'[services.svc{s}]\nrepositories = ["acme/svc{s}"]\nslo = 99.5\ncost_per_minute = 25\n'
        for s in range(health_bench.SERVICES)
    ]
    path.write_text(text + "\n" + "\n".join(services))


SPRINT_DAYS = 14


def add_sprints(path: Path, people: int) -> None:
    """Two-week sprints of every team over bench/allocation.py's two years (52 each), a
    quarter of the commits in their author's team's sprint of the day, and half of those in
    it three days before it started (planned; the others were added mid-sprint). Once."""
    con = duckdb.connect(str(path))
    try:
        row = con.execute("SELECT count(*) FROM sprints").fetchone()
        if row and row[0]:
            return
        start = "TIMESTAMP '2024-11-01'"
        con.execute(
            f"""
            INSERT INTO sprints (sprint_id, source, name, team, state, starts_at, ends_at)
            SELECT 'jira:sprint:team' || t || ':' || n, 'jira', 'Sprint ' || (n + 1), 'team' || t,
                   'closed', {start} + INTERVAL (n * {SPRINT_DAYS}) DAY,
                   {start} + INTERVAL (n * {SPRINT_DAYS} + {SPRINT_DAYS - 1}) DAY
            FROM range({TEAMS}) a(t), range(730 // {SPRINT_DAYS}) b(n)
            """
        )
        number = "CAST(split_part(item_id, ':', 4) AS BIGINT)"
        con.execute(
            f"""
            UPDATE work_items SET sprint = 'jira:sprint:team' || ({number} % {people} % {TEAMS})
                   || ':' || (date_diff('day', {start}, created_at) // {SPRINT_DAYS})
            WHERE {number} // {people} % 4 = 0
              AND date_diff('day', {start}, created_at) >= 0
              AND date_diff('day', {start}, created_at) < 730 // {SPRINT_DAYS} * {SPRINT_DAYS}
            """
        )
        con.execute(
            f"""
            INSERT INTO state_changes (item_id, occurred_at, field, from_value, to_value, changed_by)
            SELECT w.item_id, s.starts_at - INTERVAL 3 DAY, 'sprint', NULL, s.sprint_id, 'bench'
            FROM work_items w JOIN sprints s ON s.sprint_id = w.sprint
            WHERE CAST(split_part(w.item_id, ':', 4) AS BIGINT) // {people} % 8 = 0
            """
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def urls(item: str) -> list[str]:
    pages = ["/", "/index.json", "/metrics", f"/items/{item}", f"/items/{item}.json"]
    for team in range(TEAMS):
        pages += [f"/teams/team{team}", f"/teams/team{team}.json",
                  f"/items?team=team{team}&investment=ktlo", f"/items.json?team=team{team}&investment=ktlo"]  # fmt: skip
    return pages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, config: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    command = [sys.executable, "-m", "ktlo", "serve", "--db", str(db), "--config", str(config),
               "--port", str(port)]  # fmt: skip
    started = time.perf_counter()
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/index.json", timeout=120).status_code == 200:
                return server, time.perf_counter() - started
        except httpx.TransportError:
            if server.poll() is not None:
                raise SystemExit("ktlo serve failed to start") from None
            time.sleep(0.2)


def measure(port: int, requests: int, item: str) -> dict[str, object]:
    """Each page once (its first answer, reported apart), then `requests` requests in turn."""
    pages = urls(item)
    first: dict[str, float] = {}
    latencies: list[float] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
        for url in pages:
            first[url] = _get(client, url)
        for n in range(requests):
            latencies.append(_get(client, pages[n % len(pages)]))
    ordered = sorted(latencies)
    return {
        "requests": requests,
        "distinct_pages": len(pages),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * len(ordered)) - 1], 1),
        "p99_ms": round(ordered[int(0.99 * len(ordered)) - 1], 1),
        "max_ms": round(ordered[-1], 1),
        "first_request_ms": {
            "median": round(statistics.median(first.values()), 1),
            "max": round(max(first.values()), 1),
            "slowest": max(first, key=lambda u: first[u]),
        },  # fmt: skip
    }


def _get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    answer = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url}: {answer.status_code} {answer.text[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--operations", action="store_true", help="Add operational records.")
    parser.add_argument("--keep", type=Path, help="Build the store in DIR and keep it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, config = folder / "org.duckdb", folder / "ktlo.toml"
        started = time.perf_counter()
        if not db.exists():
            effort_bench.build_store(db, args.items, args.people)
            if args.operations:
                health_bench.build_store(db, 100_000, 10_000, 5_000, 50_000)
        add_sprints(db, args.people)
        built = time.perf_counter() - started
        write_config(config, args.people)
        report = folder / "report.html"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ktlo", "report", "--db", str(db), "--config",
                        str(config), "--html", str(report)], check=True, stderr=subprocess.DEVNULL)  # fmt: skip
        report_seconds = time.perf_counter() - started
        report_mb = report.stat().st_size / 1e6
        port = free_port()
        server, ready = start_server(db, config, port)
        try:
            latency = measure(port, args.requests, "git:commit:bench:12345")
        finally:
            server.terminate()
            server.wait()
    print(json.dumps({
        "items": args.items, "operations": args.operations, "store_built_seconds": round(built, 1),
        "report_html_seconds": round(report_seconds, 2), "report_html_mb": round(report_mb, 2),
        "serve_ready_seconds": round(ready, 1), **latency,
        "targets": {"p95_ms": 200, "report_seconds": 10, "report_mb": 5},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
