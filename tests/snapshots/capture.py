"""Capture the fixed documents the terminal snapshot tests render (tests/test_terminal_snapshots.py).

    .venv/bin/python tests/snapshots/capture.py [DEMO_FOLDER]

Runs `ktlo demo` into a temporary folder (or reads DEMO_FOLDER, a demo already run), computes
each command's document from its store as the command would, trims long lists to a few
entries, and writes them to tests/snapshots/inputs/. The renderers are then tested on these
frozen documents: a change in how the library computes a figure does not move the snapshots,
a change in how a renderer lays it out does. Re-run this only when a document gains a field a
renderer shows; then update the snapshots (KTLO_UPDATE_SNAPSHOTS=1) and read their diff.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

INPUTS = Path(__file__).resolve().parent / "inputs"
ROOT = Path(__file__).resolve().parents[2]


def capture(demo: Path) -> dict[str, Any]:
    """Every document, keyed by the name of its input file."""
    from ktlo.config import load_config
    from ktlo.effort.allocation import AllocationOptions, allocation, budget_report
    from ktlo.effort.capitalization import capitalization
    from ktlo.metrics.common import HealthOptions
    from ktlo.metrics.health import health
    from ktlo.metrics.repository import AnalyzeOptions, analyze
    from ktlo.planning.ktlo_mode.answer import ktlo_mode
    from ktlo.planning.outlook import outlook
    from ktlo.planning.rotation_review import rotation_review
    from ktlo.planning.sprints import sprint_report
    from ktlo.planning.team import find_team
    from ktlo.report.document import build_report
    from ktlo.report.model import ReportFilters
    from ktlo.store import Store
    from ktlo.verdicts.review_queue import review_queue

    config = load_config(demo / "ktlo.toml")
    docs: dict[str, Any] = {}
    with Store.open(demo / "ktlo.duckdb", read_only=True) as store:
        payments = "github.com/acme-demo/payments-api"
        docs["analyze"] = analyze(store, AnalyzeOptions(payments), config).to_json()
        docs["analyze_many"] = analyze(store, AnalyzeOptions(), config).to_json()
        for by in ("team", "person", "subcategory"):
            team = "payments" if by == "subcategory" else None
            docs[f"allocation_{by}"] = allocation(
                store, config, AllocationOptions(team=team, by=by)
            ).to_json()
        docs["allocation_initiative"] = allocation(
            store, config, AllocationOptions(by="initiative", period="quarter")
        ).to_json()
        docs["budget"] = budget_report(store, config).to_json()
        docs["health"] = health(store, config, HealthOptions()).to_json()
        docs["capitalization"] = capitalization(store, config, "quarter", "payments").to_json()
        docs["mode"] = ktlo_mode(store, config).to_json()
        docs["forecast"] = outlook(store, config, "payments", 2, "month").to_json()
        docs["sprints"] = sprint_report(store, config).to_json()
        since = date.fromisoformat(docs["budget"]["as_of"]) - timedelta(days=75)
        docs["rotation_review"] = rotation_review(
            store, config, find_team(config, "payments"), since
        ).to_json()
        docs["review"] = [r.to_json() for r in review_queue(store, config, 5)]
        docs["report"] = build_report(store, config, ReportFilters())
    from ktlo.classify.evaluate import evaluate, read_labeled

    docs["eval"] = evaluate(read_labeled(ROOT / "eval" / "test.csv"))
    return trim(docs)


def trim(docs: dict[str, Any]) -> dict[str, Any]:
    """Keep the documents small: long lists cut to what a screen shows of them."""
    for name in ("analyze", "analyze_many"):
        docs[name]["periods"] = docs[name]["periods"][-6:]
        docs[name]["trend"]["series"] = docs[name]["trend"]["series"][-12:]
        docs[name]["hotspots"]["directories"] = docs[name]["hotspots"]["directories"][:6]
        docs[name]["hotspots"]["files"] = []
    docs["allocation_person"]["groups"] = docs["allocation_person"]["groups"][:6]
    for name in (
        "allocation_team",
        "allocation_person",
        "allocation_subcategory",
        "allocation_initiative",
    ):
        docs[name]["periods"] = docs[name]["periods"][-4:]
        for period in docs[name]["periods"]:
            period["groups"] = period["groups"][:3]
    for entry in docs["health"]["dora"].get("failures") or []:
        entry.pop("items", None)
    docs["health"]["dora"]["failures"] = docs["health"]["dora"]["failures"][:4]
    docs["sprints"]["sprints"] = docs["sprints"]["sprints"][-6:]
    docs["eval"]["mistakes"] = docs["eval"]["mistakes"][:3]
    report = docs["report"].to_json()
    docs["report"] = {
        "as_of": report["as_of"],
        "teams": report["teams"],
        "hotspots": report["hotspots"][:5],
        "health": {"panels": report["health"]["panels"]},
    }
    return docs


def main() -> None:
    INPUTS.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) > 1:
        docs = capture(Path(sys.argv[1]))
    else:
        from ktlo.demo import run_demo

        with tempfile.TemporaryDirectory() as tmp:
            run_demo(Path(tmp) / "demo", seed=7)
            docs = capture(Path(tmp) / "demo")
    for name, doc in docs.items():
        text = json.dumps(doc, indent=1, ensure_ascii=False, default=str)
        (INPUTS / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print("wrote", ", ".join(sorted(docs)))


if __name__ == "__main__":
    main()
