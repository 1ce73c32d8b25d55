"""`ktlo deps` in the terminal: one line per repository (inventory, freshness, open
vulnerabilities), its direct packages, then the open vulnerabilities and time to patch."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ktlo.metrics.dependencies import DepsDocument
from ktlo.render.dependency_risk import render_risk

SHOWN_PACKAGES = 40  # per repository; --json and --csv carry every one


def render_deps(doc: DepsDocument, console: Console) -> None:
    """The summary per repository, its direct packages, then the risk sections."""
    inv = doc.inventory
    if not inv.repositories:
        console.print(
            "No dependencies found: no manifest or lockfile in the repositories' history."
        )
        for note in doc.not_refreshed:
            console.print(Text(f"Not refreshed: {note}", style="yellow"))
        return
    console.print(_summary(doc))
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
    render_risk(doc, console)


def _summary(doc: DepsDocument) -> Table:
    """Per repository: packages, direct, changes, libyears, versions behind, open by band."""
    fresh = {r.repo_id: r.totals for r in doc.freshness.repositories}
    opened = {r.repo_id: r.open for r in doc.vulnerabilities.repositories}
    summary = Table(
        title="Dependencies" + (f" of {doc.team}" if doc.team else "")
        + f" as of {doc.freshness.as_of}"
    )  # fmt: skip
    columns = ("repository", "team", "packages", "direct", "changes", "last 12 months",
               "libyears", "behind", "critical", "high", "other")  # fmt: skip
    for column in columns:
        summary.add_column(column, justify="left" if column in ("repository", "team") else "right")
    for repo in doc.inventory.repositories:
        recent = sum(m.changes for m in repo.changes_per_month[-12:])
        f, o = fresh.get(repo.repo_id), opened.get(repo.repo_id)
        summary.add_row(
            repo.repo_id, repo.team or "-", str(repo.packages), str(repo.direct),
            str(repo.changes), str(recent),
            f"{f.libyears:.1f}" if f and f.dated else "-",
            str(f.versions_behind) if f and f.dated else "-",
            Text(str(o.critical if o else 0), style="bold red" if o and o.critical else ""),
            Text(str(o.high if o else 0), style="red" if o and o.high else ""),
            str(o.medium + o.low + o.unknown if o else 0),
        )  # fmt: skip
    return summary
