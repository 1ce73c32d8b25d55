"""`ktlo deps-risk` in the terminal: each repository's freshness and open vulnerabilities,
the open vulnerabilities most severe first, time to patch, and what was not refreshed."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ktlo.metrics.dependency_risk_document import DependencyRiskDocument

BAND_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "dim",
    "unknown": "dim",
}
SHOWN = 15


def render_dependency_risk(doc: DependencyRiskDocument, console: Console) -> None:
    """Repositories, open vulnerabilities, time to patch, then what could not be refreshed."""
    fresh, vulns = doc.freshness, doc.vulnerabilities
    if not fresh.repositories:
        console.print(f"No packages in the inventory as of {fresh.as_of}.")
        for note in doc.not_refreshed:
            console.print(f"Note: {note}", style="dim")
        return
    opened = {r.repo_id: r.open for r in vulns.repositories}
    table = Table(box=None, header_style="dim", title_justify="left", pad_edge=False,
                  title=f"Dependency risk as of {fresh.as_of}")  # fmt: skip
    for column in ("repository", "packages", "libyears", "behind", "critical", "high", "other"):
        table.add_column(column, justify="left" if column == "repository" else "right")
    for repo in fresh.repositories:
        o = opened.get(repo.repo_id)
        table.add_row(
            repo.repo_id, str(repo.totals.packages), f"{repo.totals.libyears:.1f}",
            str(repo.totals.versions_behind),
            Text(str(o.critical if o else 0), style="bold red" if o and o.critical else ""),
            Text(str(o.high if o else 0), style="red" if o and o.high else ""),
            str(o.medium + o.low + o.unknown if o else 0),
        )  # fmt: skip
    console.print(table)
    if vulns.open:
        console.print(f"\nOpen vulnerabilities ({len(vulns.open)}):")
        for v in vulns.open[:SHOWN]:
            line = Text("  ")
            line.append(f"{v.severity:<8}", style=BAND_STYLE[v.severity])
            age = f", {v.age_days:.0f} days" if v.age_days is not None else ""
            fix = f" → {v.fixed_in}" if v.fixed_in else ""
            line.append(f" {v.advisory_id} {v.package} {v.version}{fix} in {v.repo_id}{age}")
            console.print(line)
    ttp = vulns.time_to_patch
    if ttp.patches:
        console.print(
            f"\nTime to patch: median {ttp.median_days:.1f} days, 90th percentile "
            f"{ttp.p90_days:.1f} days over {ttp.patches} patches"
        )
    for note in doc.not_refreshed:
        console.print(Text(f"Not refreshed: {note}", style="yellow"))
    if fresh.not_dated:
        console.print(Text(f"No release dates for {len(fresh.not_dated)} packages", style="dim"))
    if vulns.unchecked:
        console.print(
            Text(f"Never checked against OSV: {len(vulns.unchecked)} packages", style="dim")
        )
