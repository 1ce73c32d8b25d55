"""Where `ktlo report`'s time goes: each section of the report document, timed in process.

    python bench/report_parts.py [--items 1000000] [--keep DIR] [--skip-mode] [--rounds 3]
                                 [--operations]

The store is bench/allocation.py's (commits by 200 people in 50 repositories over two
years, 10 teams with their members), with bench/serve.py's services and sprints (520
two-week sprints, a quarter of the commits in one); with `--operations`, also
bench/serve.py's operational records, so that the health and on-call panels have data;
`--keep DIR` builds it once in DIR and reuses it. Each part is what `ktlo.report.document.report_document`
calls, in its order, on one read-only connection; the best of `--rounds` rounds is
reported per part (the first round also builds `alloc_all`). `--skip-mode` leaves out the
KTLO-mode panel, the slowest part. `ktlo sprints` (effort computed afresh, as the command
does) is timed beside the report's sprints section, which reads `alloc_all`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import allocation as effort_bench  # noqa: E402  (bench/allocation.py: the work items)
import serve as serve_bench  # noqa: E402  (bench/serve.py: teams with services)

from ktlo.config import load_config  # noqa: E402
from ktlo.planning.sprints import sprint_report  # noqa: E402
from ktlo.render.html import render_report  # noqa: E402
from ktlo.report import ops, sections, steer  # noqa: E402
from ktlo.report.document import report_document  # noqa: E402
from ktlo.report.model import (  # noqa: E402
    ReportFilters,
    apply_filters,
    prepare,
    report_coverage,
    team_names,
)
from ktlo.store import Store  # noqa: E402


def parts(store: Store, config: Any, skip_mode: bool) -> dict[str, float]:
    """One pass over the report's sections: seconds per part."""
    times: dict[str, float] = {}
    results: dict[str, Any] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        results[name] = work()
        times[name] = time.perf_counter() - started
        return results[name]

    filters = ReportFilters()
    timed("filters", lambda: apply_filters(store, config, filters))
    teams = team_names(store, config)
    balances = timed("balance", lambda: sections.balances(store, config, teams, "month", True))
    timed("team cards", lambda: sections.team_cards(store, config, balances, teams, "month"))
    timed("hotspots", lambda: sections.hotspots(store, None))
    timed("people", lambda: sections.people(store, None))
    timed("largest items", lambda: sections.largest_items(store, None))
    counts = timed("synced counts", lambda: ops.synced_counts(store))
    timed("health", lambda: ops.health_section(store, config, filters, counts))
    if not skip_mode:
        timed("ktlo mode", lambda: ops.mode_section(store, config, filters))
    covered = report_coverage(store, filters)
    as_of = covered.as_of.isoformat() if covered.as_of else None
    timed("rotation load", lambda: ops.rotation_section(store, config, filters, as_of, counts))
    forecast = timed(
        "forecast", lambda: steer.forecast_section(store, config, filters, balances, covered)
    )
    sprints = timed("sprints", lambda: steer.sprints_section(store, config, filters))
    alone = timed("sprints, effort afresh (ktlo sprints)", lambda: sprint_report(store, config))
    shown = [s for team in sprints["teams"] for s in team["sprints"]]
    assert sorted(shown, key=lambda s: (s["starts_at"], s["sprint_id"])) == alone["sprints"]
    plan = timed(
        "rotation calendar", lambda: steer.rotation_plan_section(store, config, filters, as_of)
    )
    weekly = sections.balances(store, config, teams, "week", True)
    timed(
        "forecast, weekly report",
        lambda: steer.forecast_section(
            store, config, ReportFilters(period="week"), weekly, covered
        ),
    )
    assert all(not t["missing"] for t in forecast["teams"]), "every team has history"
    assert plan["teams"], "every team has members"
    assert len(shown) == 520, "every team has its sprints"
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Build the store in DIR and keep it.")
    parser.add_argument("--skip-mode", action="store_true", help="Leave out KTLO mode.")
    parser.add_argument("--operations", action="store_true", help="Add operational records.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, config_path = folder / "org.duckdb", folder / "ktlo.toml"
        if not db.exists():
            effort_bench.build_store(db, args.items, args.people)
            if args.operations:
                serve_bench.health_bench.build_store(db, 100_000, 10_000, 5_000, 50_000)
        serve_bench.add_sprints(db, args.people)
        serve_bench.write_config(config_path, args.people)
        config = load_config(config_path)
        best: dict[str, float] = {}
        with Store.open(db, read_only=True) as store:
            started = time.perf_counter()
            prepare(store, config)
            built = time.perf_counter() - started
            for _ in range(args.rounds):
                for name, seconds in parts(store, config, args.skip_mode).items():
                    best[name] = min(best.get(name, seconds), seconds)
            started = time.perf_counter()
            render_report(report_document(store, config, ReportFilters()))
            whole = time.perf_counter() - started
    print(json.dumps({
        "items": args.items, "operations": args.operations, "rounds": args.rounds,
        "alloc_all_seconds": round(built, 2),
        "parts_seconds": {k: round(v, 3) for k, v in best.items()},
        "report_document_and_html_seconds": round(whole, 2),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
