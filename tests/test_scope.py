"""Scope: new work that spans many weeks, people or items is a project; KTLO stays KTLO."""

from __future__ import annotations

from pathlib import Path

from ktlo.config import Config
from ktlo.ingest.sync import sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from ktlo.verdicts.reclassify import reclassify

EXPORT = """id,title,kind,labels,assignees,estimate,created_at,closed_at,parent
P-1,Gift cards for the shop,issue,feature,ana;raj;lee;kim,,2026-01-05,2026-03-20,
P-2,Export invoices as CSV,issue,feature,ana,2,2026-01-05,2026-01-09,
P-3,Checkout timeouts under load,issue,bug,ana;raj;lee;kim;bo,,2026-01-05,2026-04-01,
P-4,Loyalty points,issue,feature,ana,21,2026-01-05,2026-03-01,
E-1,Self-serve onboarding,issue,enhancement,,,2026-02-01,,
"""


def test_size_and_span_make_new_work_a_project(store: Store, tmp_path: Path) -> None:
    rows = [EXPORT]
    for n in range(8):  # eight stories under E-1
        rows.append(f"S-{n},Onboarding step {n},issue,,,,2026-02-02,2026-02-09,E-1\n")
    export = tmp_path / "work_items.csv"
    export.write_text("".join(rows), encoding="utf-8")
    source = make_source(SourceContext("tracker", {}), {"type": "files"})
    sync_source(store, source, NullReporter(), export)
    store.con.execute(
        "UPDATE work_items SET updated_at = TIMESTAMP '2026-02-03' WHERE external_id = 'E-1'"
    )
    summary = reclassify(store, Config())
    verdicts = {
        row["external_id"]: (row["subcategory"], row["reasons"][-1])
        for row in store.query(
            "SELECT w.external_id, v.subcategory, v.reasons FROM verdicts v JOIN work_items w USING (item_id)"
        )
    }
    assert verdicts["P-1"] == ("project", "scope: 10 weeks, 4 people → project")
    assert verdicts["P-4"] == ("project", "scope: 7 weeks, 21.0 points → project")
    assert verdicts["P-2"][0] == "feature"  # small and short
    assert verdicts["P-3"][0] == "bug"  # a long, crowded bug is still KTLO
    assert verdicts["E-1"][0] == "feature"  # eight children, but one piece of evidence only
    assert summary.projects_by_scope == 2
