"""`ktlo deps` in the terminal: one line per repository, then its direct packages."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ktlo.metrics.dependencies import DepsDocument

SHOWN_PACKAGES = 40  # per repository; --json and --csv carry every one


def render_deps(doc: DepsDocument, console: Console) -> None:
    """The inventory: per repository its packages, direct ones, changes (the last 12 months)."""
    inv = doc.inventory
    if not inv.repositories:
        console.print(
            "No dependencies found: no manifest or lockfile in the repositories' history."
        )
        return
    summary = Table(title="Dependencies" + (f" of {doc.team}" if doc.team else ""))
    for column in ("repository", "team", "packages", "direct", "changes", "last 12 months"):
        summary.add_column(
            column, justify="right" if column not in ("repository", "team") else "left"
        )
    for repo in inv.repositories:
        recent = sum(m.changes for m in repo.changes_per_month[-12:])
        summary.add_row(repo.repo_id, repo.team or "-", str(repo.packages), str(repo.direct),
                        str(repo.changes), str(recent))  # fmt: skip
    console.print(summary)
    for repo in inv.repositories:
        direct = [p for p in inv.packages if p.repo_id == repo.repo_id and p.direct]
        if not direct:
            continue
        table = Table(title=f"{repo.repo_id}: direct dependencies")
        for column in ("file", "package", "version", "since"):
            table.add_column(column)
        for p in direct[:SHOWN_PACKAGES]:
            table.add_row(p.path, f"{p.package} ({p.ecosystem})", p.version, p.since[:10])
        console.print(table)
        if len(direct) > SHOWN_PACKAGES:
            console.print(f"… and {len(direct) - SHOWN_PACKAGES} more (--json or --csv for all)")
